with

source as (

    select * from {{ source('shop', 'orders__line_items') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as order_line_id,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        sku,

        -- line
        title as product_title,
        cast(quantity as integer) as quantity,

        -- money, in the order's currency
        cast(price as decimal(18, 2)) as unit_price_amount,
        cast(quantity as integer) * cast(price as decimal(18, 2)) as line_amount

    from source

)

select * from renamed
