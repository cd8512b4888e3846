{#- Under every attribution model, an order's credits add up to 1 and its credited revenue to the order's
    revenue; and every attributable order (known customer, revenue above zero, not a return, at or before
    as_of) is in order_attribution. Returns the orders where that fails. -#}

with

attribution as (

    select * from {{ ref('order_attribution') }}

),

orders as (

    select * from {{ ref('int_orders_unioned') }}

),

per_order as (

    select
        order_source,
        order_id,
        max(order_revenue_eur) as order_revenue_eur,
        sum(credit_first_touch) as credit_first_touch,
        sum(credit_last_touch) as credit_last_touch,
        sum(credit_linear) as credit_linear,
        sum(credit_position_based) as credit_position_based,
        sum(revenue_eur_first_touch) as revenue_eur_first_touch,
        sum(revenue_eur_last_touch) as revenue_eur_last_touch,
        sum(revenue_eur_linear) as revenue_eur_linear,
        sum(revenue_eur_position_based) as revenue_eur_position_based
    from attribution
    group by order_source, order_id

),

attributable as (

    select
        source as order_source,
        order_id
    from orders
    where
        customer_id is not null
        and not is_return
        and net_amount_eur > 0
        and ordered_at <= {{ cdp.as_of() }}

),

wrong_sums as (

    select
        order_source,
        order_id,
        'credit or revenue does not add up' as problem
    from per_order
    where
        abs(credit_first_touch - 1) > 0.000001
        or abs(credit_last_touch - 1) > 0.000001
        or abs(credit_linear - 1) > 0.000001
        or abs(credit_position_based - 1) > 0.000001
        or abs(revenue_eur_first_touch - order_revenue_eur) > 0.01
        or abs(revenue_eur_last_touch - order_revenue_eur) > 0.01
        or abs(revenue_eur_linear - order_revenue_eur) > 0.01
        or abs(revenue_eur_position_based - order_revenue_eur) > 0.01

),

missing as (

    select
        attributable.order_source,
        attributable.order_id,
        'attributable order missing' as problem
    from attributable
    left join per_order
        on attributable.order_source = per_order.order_source
        and attributable.order_id = per_order.order_id
    where per_order.order_id is null

)

select * from wrong_sums
union all
select * from missing
