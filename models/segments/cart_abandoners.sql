{#- Customers who added a product to the cart in the last 72 hours and ordered nothing since. -#}

with

web_events as (

    select * from {{ ref('stg_web__events') }}

),

records as (

    select * from {{ ref('int_source_records_resolved') }}

),

orders as (

    select * from {{ ref('int_orders_unioned') }}

),

last_cart_adds as (

    select
        records.customer_id,
        max(web_events.occurred_at) as last_added_at
    from web_events
    inner join records
        on records.source = 'web'
        and records.source_table = 'events'
        and web_events.event_id = records.source_record_id
    where
        web_events.event_name = 'Product Added'
        and web_events.occurred_at > {{ dbt.dateadd('hour', -72, cdp.segment_as_of()) }}
        and web_events.occurred_at <= {{ cdp.segment_as_of() }}
    group by records.customer_id

),

last_orders as (

    select
        customer_id,
        max(ordered_at) as last_ordered_at
    from orders
    where customer_id is not null and not is_return
    group by customer_id

),

final as (

    select last_cart_adds.customer_id
    from last_cart_adds
    left join last_orders
        on last_cart_adds.customer_id = last_orders.customer_id
    where
        last_orders.last_ordered_at is null
        or last_orders.last_ordered_at < last_cart_adds.last_added_at

)

select * from final
