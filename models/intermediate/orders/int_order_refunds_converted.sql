{#- One row per webshop refund, in EUR, with when it was paid and the customer of the order. Traits
    computed as of a past date add back refunds paid after it. -#}

with

refunds as (

    select * from {{ ref('stg_shop__refunds') }}

),

orders as (

    select * from {{ ref('int_orders_unioned') }}

),

currency_rates as (

    select * from {{ ref('currency_rates') }}

),

final as (

    select
        refunds.refund_id,
        refunds.order_id,
        orders.customer_id,
        orders.ordered_at,
        refunds.refunded_at,
        cast(refunds.refund_amount * currency_rates.eur_per_unit as decimal(18, 2)) as refund_amount_eur
    from refunds
    inner join orders
        on refunds.order_id = orders.order_id
        and orders.source = 'shop'
    left join currency_rates
        on orders.currency = currency_rates.currency

)

select * from final
