{#- One row per order and credited touch: each order of a known customer (net revenue above zero, at or
    before as_of) shares its revenue over the customer's touches in the var('attribution_lookback_days')
    days before it, under four models side by side; an order without a touch in the window gets one
    'unattributed' row holding all of its revenue, so every model's credit adds up to the order revenue. -#}

{%- set models = ['first_touch', 'last_touch', 'linear', 'position_based'] %}

with

orders as (

    select * from {{ ref('int_orders_unioned') }}

),

touches as (

    select * from {{ ref('customer_touchpoints') }}

),

customer_orders as (

    select
        source as order_source,
        order_id,
        customer_id,
        order_channel,
        ordered_at,
        net_amount_eur,
        cast(row_number() over (partition by customer_id order by ordered_at, source, order_id) as bigint)
            as customer_order_number
    from orders
    where customer_id is not null and not is_return and ordered_at <= {{ cdp.as_of() }}

),

attributable_orders as (

    select * from customer_orders
    where net_amount_eur > 0

),

-- touches at or before the order, within the lookback window
touches_in_window as (

    select
        attributable_orders.order_source,
        attributable_orders.order_id,
        touches.touch_id,
        touches.touched_at,
        cast(row_number() over (
            partition by attributable_orders.order_source, attributable_orders.order_id
            order by touches.touched_at, touches.touch_id
        ) as bigint) as touch_position,
        cast(count(*) over (
            partition by attributable_orders.order_source, attributable_orders.order_id
        ) as bigint) as touch_count
    from attributable_orders
    inner join touches
        on attributable_orders.customer_id = touches.customer_id
        and attributable_orders.ordered_at >= touches.touched_at
        and attributable_orders.ordered_at
        < {{ dbt.dateadd('day', var('attribution_lookback_days'), 'touches.touched_at') }}

),

-- first: all to the first touch; last: all to the last; linear: equal shares; position-based (U-shaped):
-- 40% to the first and the last, 20% shared by the touches between (50/50 for two, all for one)
credited as (

    select
        order_source,
        order_id,
        touch_id,
        touch_position,
        touch_count,
        case when touch_position = 1 then 1.0 else 0.0 end as credit_first_touch,
        case when touch_position = touch_count then 1.0 else 0.0 end as credit_last_touch,
        1.0 / touch_count as credit_linear,
        case
            when touch_count = 1 then 1.0
            when touch_count = 2 then 0.5
            when touch_position = 1 or touch_position = touch_count then 0.4
            else 0.2 / (touch_count - 2)
        end as credit_position_based
    from touches_in_window

),

unattributed as (

    select
        attributable_orders.order_source,
        attributable_orders.order_id,
        cast(null as {{ dbt.type_string() }}) as touch_id,
        cast(0 as bigint) as touch_position,
        cast(0 as bigint) as touch_count,
        1.0 as credit_first_touch,
        1.0 as credit_last_touch,
        1.0 as credit_linear,
        1.0 as credit_position_based
    from attributable_orders
    left join touches_in_window
        on attributable_orders.order_source = touches_in_window.order_source
        and attributable_orders.order_id = touches_in_window.order_id
    where touches_in_window.order_id is null

),

all_credits as (

    select * from credited
    union all
    select * from unattributed

),

final as (

    select
        all_credits.order_source || '/' || all_credits.order_id || '/' || coalesce(all_credits.touch_id, 'none')
            as attribution_id,
        all_credits.order_source,
        all_credits.order_id,
        attributable_orders.customer_id,
        attributable_orders.order_channel,
        attributable_orders.ordered_at,
        attributable_orders.customer_order_number,
        attributable_orders.net_amount_eur as order_revenue_eur,
        all_credits.touch_id,
        all_credits.touch_position,
        all_credits.touch_count,
        touches.touched_at,
        {%- for model in models %}
        cast(all_credits.credit_{{ model }} as double) as credit_{{ model }},
        cast(attributable_orders.net_amount_eur * all_credits.credit_{{ model }} as decimal(18, 4))
            as revenue_eur_{{ model }},
        {%- endfor %}
        coalesce(touches.channel, 'unattributed') as channel,
        touches.ad_platform,
        touches.utm_source,
        touches.utm_medium,
        touches.utm_campaign
    from all_credits
    inner join attributable_orders
        on all_credits.order_source = attributable_orders.order_source
        and all_credits.order_id = attributable_orders.order_id
    left join touches
        on all_credits.touch_id = touches.touch_id

)

select * from final
