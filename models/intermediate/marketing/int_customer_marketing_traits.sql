{#- One row per customer with a marketing touch or an order, as of cdp.as_of(): how they were acquired
    (the first touch at or before their first order; 'unattributed' when they bought without one), their
    last paid touch and the platform of their first lead form. -#}
{{ config(
    materialized=cdp.micro_batch_materialized(),
    incremental_strategy=cdp.incremental_upsert_strategy(),
    unique_key='customer_id',
    pre_hook="{{ cdp.delete_touched_customers() }}",
) }}
-- depends_on: {{ ref('int_customers_touched') }}

with

touches as (

    select * from {{ ref('int_marketing_touches') }}

),

orders as (

    select * from {{ ref('int_orders_unioned') }}

),

known_touches as (

    select *
    from touches
    where
        customer_id is not null
        and touched_at <= {{ cdp.as_of() }}
        and {{ cdp.touched_customers_only() }}

),

first_orders as (

    select
        customer_id,
        min(ordered_at) as first_ordered_at
    from orders
    where
        customer_id is not null
        and not is_return
        and ordered_at <= {{ cdp.as_of() }}
        and {{ cdp.touched_customers_only() }}
    group by customer_id

),

customers as (

    select customer_id from known_touches
    union
    select customer_id from first_orders

),

acquisition_ranked as (

    select
        known_touches.customer_id,
        known_touches.channel,
        known_touches.utm_campaign,
        row_number() over (
            partition by known_touches.customer_id order by known_touches.touched_at, known_touches.touch_id
        ) as touch_rank
    from known_touches
    left join first_orders
        on known_touches.customer_id = first_orders.customer_id
    where first_orders.first_ordered_at is null or known_touches.touched_at <= first_orders.first_ordered_at

),

paid_ranked as (

    select
        customer_id,
        touched_at,
        channel,
        utm_campaign,
        row_number() over (partition by customer_id order by touched_at desc, touch_id desc) as touch_rank
    from known_touches
    where is_paid

),

leads_ranked as (

    select
        customer_id,
        touched_at,
        utm_source,
        row_number() over (partition by customer_id order by touched_at, touch_id) as touch_rank
    from known_touches
    where touch_type = 'lead_form'

),

final as (

    select
        customers.customer_id,
        case
            when acquisition.channel is not null then acquisition.channel
            when first_orders.customer_id is not null then 'unattributed'
        end as acquisition_channel,
        acquisition.utm_campaign as acquisition_campaign,
        last_paid.touched_at as last_paid_touch_at,
        last_paid.channel as last_paid_channel,
        last_paid.utm_campaign as last_paid_campaign,
        first_lead.utm_source as lead_source,
        first_lead.touched_at as first_lead_at
    from customers
    left join first_orders
        on customers.customer_id = first_orders.customer_id
    left join acquisition_ranked as acquisition
        on customers.customer_id = acquisition.customer_id
        and acquisition.touch_rank = 1
    left join paid_ranked as last_paid
        on customers.customer_id = last_paid.customer_id
        and last_paid.touch_rank = 1
    left join leads_ranked as first_lead
        on customers.customer_id = first_lead.customer_id
        and first_lead.touch_rank = 1

)

select * from final
