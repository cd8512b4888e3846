{{ config(materialized='view') }}

{#- One row per web or app event: the timeline's event type and description of it, defined once. A view:
    int_customer_events_unioned reads it for the timeline, and the real-time loader reads the rows of the
    spool files it just loaded (by file_name) to show them on profiles before the next build. -#}

with

web_events as (

    select * from {{ ref('stg_web__events') }}

),

final as (

    select
        event_id,
        anonymous_id,
        user_id,
        occurred_at,
        case
            when event_name is not null then lower(replace(event_name, ' ', '_'))
            when event_type = 'screen' and sku is not null then 'product_viewed'
            else event_type
        end as event_type,
        coalesce(sku, page_name, page_path, event_name, event_type) as event_description,
        sku,
        file_name
    from web_events

)

select * from final
