{#- Customers who ordered in the last 90 days after a break of at least 180 days without an order. -#}

with

orders as (

    select * from {{ ref('int_orders_unioned') }}

),

order_gaps as (

    select
        customer_id,
        ordered_at,
        lag(ordered_at) over (partition by customer_id order by ordered_at asc) as previous_ordered_at
    from orders
    where customer_id is not null and not is_return

),

final as (

    select distinct customer_id
    from order_gaps
    where
        ordered_at > {{ dbt.dateadd('day', -90, cdp.segment_as_of()) }}
        and ordered_at <= {{ cdp.segment_as_of() }}
        and previous_ordered_at < {{ dbt.dateadd('day', -180, 'ordered_at') }}

)

select * from final
