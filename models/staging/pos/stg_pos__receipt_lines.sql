with

source as (

    select * from {{ source('pos', 'receipt_lines') }}

),

renamed as (

    select
        -- ids
        line_id as receipt_line_id,
        receipt_id,
        sku,

        -- line
        cast(line_no as integer) as line_number,
        cast(quantity as integer) as quantity,

        -- money: minor units in the receipt's currency
        cast(unit_price_minor / 100 as decimal(18, 2)) as unit_price_amount,
        cast(line_total_minor / 100 as decimal(18, 2)) as line_amount,

        -- timestamps
        cast(updated_at as timestamp) as updated_at

    from source

)

select * from renamed
