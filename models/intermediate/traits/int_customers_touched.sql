{#- One row per customer whose per-customer models a micro-batch must redo (var `micro_batch_files`, set
    by the real-time loader; empty in every other run):
    - the customers of the web events loaded from the batch's files, and of every event sharing a cart
      with one of them (a cart ordered in the batch changes the cart adds of whoever added to it);
    - every old and new customer id of a node whose customer id changed in this very run (merges and
      splits of the identity graph: the records of both moved), so ids merged away are deleted. -#}

{%- set batch_files = var('micro_batch_files', none) %}
-- depends_on: {{ ref('stg_web__events') }}
-- depends_on: {{ ref('int_customer_id_registry') }}

with

records as (

    select * from {{ ref('int_source_records_resolved') }}

),

{% if batch_files is not none %}

web_events as (

    select * from {{ ref('stg_web__events') }}

),

registry as (

    select * from {{ ref('int_customer_id_registry') }}

),

batch_events as (

    select
        event_id,
        cart_id
    from web_events
    where file_name in (
        {%- for file_name in batch_files %}
        '{{ file_name | replace("'", "''") }}'{% if not loop.last %},{% endif %}
        {%- endfor %}
        {%- if not batch_files %}null{% endif %}
    )

),

batch_carts as (

    select distinct cart_id
    from batch_events
    where cart_id is not null

),

touched_events as (

    select event_id from batch_events

    union

    select web_events.event_id
    from web_events
    inner join batch_carts
        on web_events.cart_id = batch_carts.cart_id

),

event_customers as (

    select records.customer_id
    from records
    inner join touched_events
        on records.source = 'web'
        and records.source_table = 'events'
        and records.source_record_id = touched_events.event_id

),

-- the registry stamps a change with the run's start, the same instant this model sees
run_info as (

    select cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as run_at

),

changed_ids as (

    select registry.customer_id
    from registry
    inner join run_info
        on registry.changed_at = run_info.run_at

    union

    select registry.previous_customer_id as customer_id
    from registry
    inner join run_info
        on registry.changed_at = run_info.run_at
    where registry.previous_customer_id is not null

),

final as (

    select customer_id from event_customers
    union
    select customer_id from changed_ids

)

{% else %}

-- a whole build: nothing to list
final as (

    select records.customer_id
    from records
    where 1 = 0

)

{% endif %}

select * from final
