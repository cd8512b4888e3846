{#- Customers subscribed to the newsletter (ESP status `subscribed`) who never placed an order. -#}

with

esp_subscribers as (

    select * from {{ ref('stg_esp__subscribers') }}

),

records as (

    select * from {{ ref('int_source_records_resolved') }}

),

orders as (

    select * from {{ ref('int_orders_unioned') }}

),

subscribers as (

    select distinct records.customer_id
    from esp_subscribers
    inner join records
        on records.source = 'esp'
        and records.source_table = 'subscribers'
        and esp_subscribers.esp_subscriber_id = records.source_record_id
    where esp_subscribers.is_subscribed

),

buyers as (

    select distinct customer_id
    from orders
    where customer_id is not null

),

final as (

    select subscribers.customer_id
    from subscribers
    left join buyers
        on subscribers.customer_id = buyers.customer_id
    where buyers.customer_id is null

)

select * from final
