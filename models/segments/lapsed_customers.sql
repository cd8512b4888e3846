{#- Customers with at least two orders whose last order is more than 180 days old. -#}

with

orders as (

    select * from {{ ref('int_orders_unioned') }}

),

orders_per_customer as (

    select
        customer_id,
        count(*) as count_orders,
        max(ordered_at) as last_ordered_at
    from orders
    where customer_id is not null and not is_return
    group by customer_id

),

final as (

    select customer_id
    from orders_per_customer
    where
        count_orders >= 2
        and last_ordered_at < {{ dbt.dateadd('day', -180, cdp.segment_as_of()) }}

)

select * from final
