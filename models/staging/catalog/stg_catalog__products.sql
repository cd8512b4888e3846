with

source as (

    select * from {{ source('catalog', 'products') }}

),

renamed as (

    select
        -- ids
        sku,

        -- product
        name as product_name,
        category as product_category,
        brand,
        cast(stock as bigint) as stock_quantity,

        -- money
        upper(price__currency) as currency,
        cast(price__amount as decimal(18, 2)) as price_amount,

        -- booleans
        coalesce(is_active, true) as is_active,

        -- timestamps
        {{ cdp.utc_timestamp('updated_at') }} as updated_at

    from source

)

select * from renamed
