{#- Customers acquired by paid social (their first touch before their first order) who have not ordered a
    second time within 90 days of the first, counted once those 90 days have passed. -#}

with

traits as (

    select * from {{ ref('int_customer_marketing_traits') }}

),

orders as (

    select * from {{ ref('int_orders_unioned') }}

),

numbered_orders as (

    select
        customer_id,
        ordered_at,
        row_number() over (partition by customer_id order by ordered_at asc, order_id asc) as order_number
    from orders
    where customer_id is not null and not is_return and ordered_at <= {{ cdp.segment_as_of() }}

),

first_orders as (

    select
        customer_id,
        ordered_at as first_ordered_at
    from numbered_orders
    where order_number = 1

),

second_orders as (

    select
        customer_id,
        ordered_at as second_ordered_at
    from numbered_orders
    where order_number = 2

),

final as (

    select traits.customer_id
    from traits
    inner join first_orders
        on traits.customer_id = first_orders.customer_id
    left join second_orders
        on traits.customer_id = second_orders.customer_id
    where
        traits.acquisition_channel = 'paid_social'
        and first_orders.first_ordered_at <= {{ dbt.dateadd('day', -90, cdp.segment_as_of()) }}
        and (
            second_orders.second_ordered_at is null
            or second_orders.second_ordered_at > {{ dbt.dateadd('day', 90, 'first_orders.first_ordered_at') }}
        )

)

select * from final
