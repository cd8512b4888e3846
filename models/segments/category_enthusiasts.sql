{#- Customers who viewed or added products of one category at least five times in the last 90 days. -#}

with

web_events as (

    select * from {{ ref('stg_web__events') }}

),

records as (

    select * from {{ ref('int_source_records_resolved') }}

),

category_interest as (

    select
        records.customer_id,
        web_events.product_category,
        count(*) as count_interactions
    from web_events
    inner join records
        on records.source = 'web'
        and records.source_table = 'events'
        and web_events.event_id = records.source_record_id
    where
        web_events.event_name in ('Product Viewed', 'Product Added')
        and web_events.product_category is not null
        and web_events.occurred_at > {{ dbt.dateadd('day', -90, cdp.segment_as_of()) }}
        and web_events.occurred_at <= {{ cdp.segment_as_of() }}
    group by records.customer_id, web_events.product_category

),

final as (

    select distinct customer_id
    from category_interest
    where count_interactions >= 5

)

select * from final
