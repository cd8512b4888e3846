with

source as (

    select * from {{ source('shop', 'orders') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as order_id,
        order_number,
        cast(customer__id as {{ dbt.type_string() }}) as shop_customer_id,

        -- identifiers, normalised
        {{ cdp.normalize_email('email') }} as email,
        email as email_raw,
        {{ cdp.normalize_phone('phone', 'billing_address__country_code') }} as phone,
        phone as phone_raw,

        -- order
        source_name as sales_channel,
        financial_status,
        {{ cdp.country_code('billing_address__country_code') }} as country_code,

        -- money, in the order's currency
        upper(currency) as currency,
        cast(total_price as decimal(18, 2)) as total_amount,
        cast(subtotal_price as decimal(18, 2)) as subtotal_amount,
        cast(total_tax as decimal(18, 2)) as tax_amount,
        cast(total_discounts as decimal(18, 2)) as discount_amount,

        -- booleans
        cancelled_at is not null as is_cancelled,

        -- timestamps
        {{ cdp.utc_timestamp('created_at') }} as ordered_at,
        {{ cdp.utc_timestamp('processed_at') }} as processed_at,
        {{ cdp.utc_timestamp('cancelled_at') }} as cancelled_at,
        {{ cdp.utc_timestamp('updated_at') }} as updated_at

    from source

)

select * from renamed
