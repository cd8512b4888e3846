{#- One row per customer who ordered (online or in store) at or before as_of: counts per channel, revenue
    net of refunds and returns known at as_of, average order value, first and last order, recency and
    purchase frequency. -#}
{{ config(
    materialized=cdp.micro_batch_materialized(),
    incremental_strategy=cdp.incremental_upsert_strategy(),
    unique_key='customer_id',
    pre_hook="{{ cdp.delete_touched_customers() }}",
) }}
-- depends_on: {{ ref('int_customers_touched') }}

with

orders as (

    select * from {{ ref('int_orders_unioned') }}

),

refunds as (

    select * from {{ ref('int_order_refunds_converted') }}

),

known_orders as (

    select *
    from orders
    where
        customer_id is not null
        and ordered_at <= {{ cdp.as_of() }}
        and {{ cdp.touched_customers_only() }}

),

-- net_amount_eur counts every refund ever paid; as of a past date, the later ones had not happened yet
refunds_after_as_of as (

    select
        customer_id,
        sum(refund_amount_eur) as refund_amount_eur
    from refunds
    where
        customer_id is not null
        and ordered_at <= {{ cdp.as_of() }}
        and refunded_at > {{ cdp.as_of() }}
        and {{ cdp.touched_customers_only() }}
    group by customer_id

),

orders_per_customer as (

    select
        customer_id,
        count(case when not is_return then order_id end) as count_orders,
        count(case when not is_return and order_channel = 'online' then order_id end) as count_orders_online,
        count(case when not is_return and order_channel = 'store' then order_id end) as count_orders_store,
        count(case when is_return then order_id end) as count_store_returns,
        sum(net_amount_eur) as net_amount_eur,
        min(case when not is_return then ordered_at end) as first_order_at,
        max(case when not is_return then ordered_at end) as last_order_at,
        max({{ cdp.as_of() }}) as as_of_at
    from known_orders
    group by customer_id

),

final as (

    select
        orders_per_customer.customer_id,
        orders_per_customer.count_orders,
        orders_per_customer.count_orders_online,
        orders_per_customer.count_orders_store,
        orders_per_customer.count_store_returns,
        cast(
            orders_per_customer.net_amount_eur + coalesce(refunds_after_as_of.refund_amount_eur, 0)
            as decimal(18, 2)
        ) as lifetime_revenue_eur,
        cast(
            {{ cdp.safe_ratio(
                'orders_per_customer.net_amount_eur + coalesce(refunds_after_as_of.refund_amount_eur, 0)',
                'orders_per_customer.count_orders'
            ) }} as decimal(18, 2)
        ) as average_order_value_eur,
        orders_per_customer.first_order_at,
        orders_per_customer.last_order_at,
        cast(orders_per_customer.first_order_at as date) as first_order_date,
        cast(orders_per_customer.last_order_at as date) as last_order_date,
        -- explicit types: engines differ in what datediff and decimal division return
        cast(
            {{ dbt.datediff('orders_per_customer.last_order_at', 'orders_per_customer.as_of_at', 'day') }}
            as bigint
        ) as days_since_last_order,
        -- orders per year since the first one; a customer younger than 30 days counts as 30 days old
        -- in double, unrounded: engines round decimal and binary halves differently
        cast(orders_per_customer.count_orders as double) * 365 / cast(greatest(
            {{ dbt.datediff('orders_per_customer.first_order_at', 'orders_per_customer.as_of_at', 'day') }}, 30
        ) as double) as orders_per_year
    from orders_per_customer
    left join refunds_after_as_of
        on orders_per_customer.customer_id = refunds_after_as_of.customer_id

)

select * from final
