{#- One row per customer with web or app events at or before as_of: when last seen online, sessions and
    product views in the 30 days up to as_of, and products added to carts that never became an order. -#}
{{ config(
    materialized=cdp.micro_batch_materialized(),
    incremental_strategy=cdp.incremental_upsert_strategy(),
    unique_key='customer_id',
    pre_hook="{{ cdp.delete_touched_customers() }}",
) }}
-- depends_on: {{ ref('int_customers_touched') }}

with

web_events as (

    select * from {{ ref('stg_web__events') }}

),

records as (

    select * from {{ ref('int_source_records_resolved') }}

),

known_events as (

    select
        records.customer_id,
        web_events.event_id,
        web_events.event_type,
        web_events.event_name,
        web_events.sku,
        web_events.cart_id,
        web_events.occurred_at
    from web_events
    inner join records
        on records.source = 'web'
        and records.source_table = 'events'
        and web_events.event_id = records.source_record_id
    where
        web_events.occurred_at <= {{ cdp.as_of() }}
        and {{ cdp.touched_customers_only('records.customer_id') }}

),

-- a session is a run of a customer's events with no gap over 30 minutes (Segment's and GA's default)
session_starts as (

    select
        customer_id,
        occurred_at,
        case
            when lag(occurred_at) over (partition by customer_id order by occurred_at, event_id) is null then 1
            when {{ dbt.datediff(
                'lag(occurred_at) over (partition by customer_id order by occurred_at, event_id)',
                'occurred_at', 'minute') }} > 30 then 1
            else 0
        end as is_session_start
    from known_events

),

sessions_30d as (

    select
        customer_id,
        cast(sum(is_session_start) as bigint) as count_web_sessions_30d
    from session_starts
    where {{ cdp.within_days('occurred_at', 30) }}
    group by customer_id

),

-- carts ordered by anyone (not only the customers being computed): a cart is ordered once, whoever
-- the order's event resolves to
ordered_carts as (

    select distinct web_events.cart_id
    from web_events
    inner join records
        on records.source = 'web'
        and records.source_table = 'events'
        and web_events.event_id = records.source_record_id
    where
        web_events.event_name = 'Order Completed'
        and web_events.cart_id is not null
        and web_events.occurred_at <= {{ cdp.as_of() }}

),

per_customer as (

    select
        known_events.customer_id,
        max(known_events.occurred_at) as last_web_seen_at,
        count(
            case
                when (
                    known_events.event_name = 'Product Viewed'
                    or (known_events.event_type = 'screen' and known_events.sku is not null)
                )
                and {{ cdp.within_days('known_events.occurred_at', 30) }}
                    then known_events.event_id
            end
        ) as count_product_views_30d,
        count(
            case
                when known_events.event_name = 'Product Added' and ordered_carts.cart_id is null
                    then known_events.event_id
            end
        ) as count_cart_adds_without_purchase
    from known_events
    left join ordered_carts
        on known_events.cart_id = ordered_carts.cart_id
    group by known_events.customer_id

),

final as (

    select
        per_customer.customer_id,
        per_customer.last_web_seen_at,
        coalesce(sessions_30d.count_web_sessions_30d, 0) as count_web_sessions_30d,
        per_customer.count_product_views_30d,
        per_customer.count_cart_adds_without_purchase
    from per_customer
    left join sessions_30d
        on per_customer.customer_id = sessions_30d.customer_id

)

select * from final
