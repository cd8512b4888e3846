with

source as (

    select * from {{ source('shop', 'customers') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as shop_customer_id,

        -- identifiers, normalised
        {{ cdp.normalize_email('email') }} as email,
        email as email_raw,
        {{ cdp.normalize_phone('coalesce(phone, default_address__phone)', 'default_address__country_code') }}
            as phone,
        coalesce(phone, default_address__phone) as phone_raw,

        -- person
        {{ cdp.clean_text('first_name') }} as first_name,
        {{ cdp.clean_text('last_name') }} as last_name,
        {{ cdp.country_code('default_address__country_code') }} as country_code,
        {{ cdp.clean_text('default_address__city') }} as city,
        {{ cdp.clean_text('default_address__address1') }} as address_line,
        upper({{ cdp.clean_text('default_address__zip') }}) as postcode,
        currency,
        state as account_state,

        -- booleans
        coalesce(accepts_marketing, false) as is_accepting_marketing,

        -- timestamps
        {{ cdp.utc_timestamp('accepts_marketing_updated_at') }} as accepts_marketing_updated_at,
        {{ cdp.utc_timestamp('created_at') }} as created_at,
        {{ cdp.utc_timestamp('updated_at') }} as updated_at

    from source

)

select * from renamed
