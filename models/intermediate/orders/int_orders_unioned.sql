{#- One row per order, online (shop) or in store (POS), with its amount net of refunds in the order's
    currency and in EUR, and the customer it resolves to (null for anonymous store sales). -#}

with

shop_orders as (

    select * from {{ ref('stg_shop__orders') }}

),

shop_refunds as (

    select * from {{ ref('stg_shop__refunds') }}

),

pos_receipts as (

    select * from {{ ref('stg_pos__receipts') }}

),

pos_stores as (

    select * from {{ ref('stg_pos__stores') }}

),

records as (

    select * from {{ ref('int_source_records_resolved') }}

),

currency_rates as (

    select * from {{ ref('currency_rates') }}

),

refunds_per_order as (

    select
        order_id,
        sum(refund_amount) as refunded_amount
    from shop_refunds
    group by order_id

),

online as (

    select
        'shop' as source,
        'orders' as source_table,
        shop_orders.order_id,
        'online' as order_channel,
        shop_orders.ordered_at,
        shop_orders.country_code,
        shop_orders.currency,
        shop_orders.total_amount as gross_amount,
        coalesce(refunds_per_order.refunded_amount, 0) as refunded_amount,
        false as is_return
    from shop_orders
    left join refunds_per_order
        on shop_orders.order_id = refunds_per_order.order_id
    where not shop_orders.is_cancelled

),

in_store as (

    select
        'pos' as source,
        'receipts' as source_table,
        pos_receipts.receipt_id as order_id,
        'store' as order_channel,
        pos_receipts.purchased_at as ordered_at,
        pos_stores.country_code,
        pos_receipts.currency,
        pos_receipts.total_amount as gross_amount,
        0 as refunded_amount,
        pos_receipts.is_return
    from pos_receipts
    left join pos_stores
        on pos_receipts.store_id = pos_stores.store_id

),

unioned as (

    select * from online
    union all
    select * from in_store

),

final as (

    select
        records.customer_id,
        unioned.source,
        unioned.source_table,
        unioned.order_id,
        unioned.order_channel,
        unioned.ordered_at,
        unioned.country_code,
        unioned.currency,
        unioned.is_return,
        unioned.gross_amount,
        unioned.refunded_amount,
        unioned.gross_amount - unioned.refunded_amount as net_amount,
        cast(
            (unioned.gross_amount - unioned.refunded_amount) * currency_rates.eur_per_unit as decimal(18, 2)
        ) as net_amount_eur
    from unioned
    left join currency_rates
        on unioned.currency = currency_rates.currency
    left join records
        on unioned.source = records.source
        and unioned.source_table = records.source_table
        and unioned.order_id = records.source_record_id

)

select * from final
