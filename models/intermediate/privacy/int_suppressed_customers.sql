{#- One row per customer holding an identifier on the suppression list (privacy.suppressions, written by
    `cdp privacy request suppress ...`): keyed hashes of "<type>:<value>", matched here by hashing each
    identity node of the registry the same way. int_source_records_resolved leaves these customers'
    records out, so no mart, segment or sync holds them. Without a suppression list (a new warehouse, or an engine that has none)
    the model is empty. -#}

{%- set suppressions = adapter.get_relation(
    database=target.database, schema='privacy', identifier='suppressions') if execute else none -%}

with

registry as (

    select * from {{ ref('int_customer_id_registry') }}

),

{% if suppressions %}
suppressed_hashes as (

    select
        identifier_hash,
        min(suppressed_at) as suppressed_at
    from {{ suppressions }}
    group by identifier_hash

),

-- a node key is "<type>:<normalised value>", the form the list hashes
hashed_nodes as (

    select
        customer_id,
        node_key,
        {{ cdp.keyed_hash('lower(node_key)') }} as identifier_hash
    from registry
    where is_current

),
{% else %}
suppressed_hashes as (

    select
        cast(null as {{ dbt.type_string() }}) as identifier_hash,
        cast(null as {{ dbt.type_timestamp() }}) as suppressed_at
    where 1 = 0

),

hashed_nodes as (

    select
        customer_id,
        node_key,
        cast(null as {{ dbt.type_string() }}) as identifier_hash
    from registry
    where 1 = 0

),
{% endif %}

final as (

    select
        hashed_nodes.customer_id,
        min(suppressed_hashes.suppressed_at) as suppressed_at,
        count(*) as count_suppressed_identifiers
    from hashed_nodes
    inner join suppressed_hashes
        on hashed_nodes.identifier_hash = suppressed_hashes.identifier_hash
    group by hashed_nodes.customer_id

)

select * from final
