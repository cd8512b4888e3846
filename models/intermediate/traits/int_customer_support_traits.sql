{#- One row per customer who opened a support ticket at or before as_of: how many, and their average
    satisfaction (CSAT) over the ratings given by as_of. -#}
{{ config(
    materialized=cdp.micro_batch_materialized(),
    incremental_strategy=cdp.incremental_upsert_strategy(),
    unique_key='customer_id',
    pre_hook="{{ cdp.delete_touched_customers() }}",
) }}
-- depends_on: {{ ref('int_customers_touched') }}

with

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

records as (

    select * from {{ ref('int_source_records_resolved') }}
    where {{ cdp.touched_customers_only() }}

),

known_tickets as (

    select
        records.customer_id,
        tickets.ticket_id,
        case when tickets.csat_submitted_at <= {{ cdp.as_of() }} then tickets.csat_score end as csat_score
    from tickets
    inner join records
        on records.source = 'support'
        and records.source_table = 'tickets'
        and tickets.ticket_id = records.source_record_id
    where tickets.created_at <= {{ cdp.as_of() }}

),

final as (

    select
        customer_id,
        count(ticket_id) as count_support_tickets,
        round(avg(csat_score), 2) as average_csat
    from known_tickets
    group by customer_id

)

select * from final
