with

source as (

    select * from {{ source('shop', 'orders__refunds') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as refund_id,
        cast(order_id as {{ dbt.type_string() }}) as order_id,

        -- money, in the order's currency
        cast(amount as decimal(18, 2)) as refund_amount,
        note as refund_note,

        -- timestamps
        {{ cdp.utc_timestamp('created_at') }} as refunded_at

    from source

)

select * from renamed
