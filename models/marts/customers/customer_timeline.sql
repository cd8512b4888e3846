{{ config(
    materialized=cdp.micro_batch_materialized(),
    incremental_strategy=cdp.incremental_upsert_strategy(),
    unique_key='customer_id',
    pre_hook="{{ cdp.delete_touched_customers() }}",
    on_schema_change='fail',
) }}
-- depends_on: {{ ref('int_customers_touched') }}

with

events as (

    select * from {{ ref('int_customer_events_unioned') }}

),

final as (

    select
        customer_id,
        {{ dbt.concat(['source', "'/'", 'source_table', "'/'", 'event_id']) }} as event_key,
        occurred_at,
        source,
        event_type,
        event_description,
        sku,
        cast(amount_eur as decimal(18, 2)) as amount_eur
    from events
    where
        occurred_at <= {{ cdp.as_of() }}
        and {{ cdp.touched_customers_only() }}

)

select * from final
