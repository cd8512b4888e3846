{#- One row per source record that carries an identifier, with the customer it resolves to.

    First identity step, kept simple on purpose: records sharing a linkable identifier are one customer
    (connected components by component_key propagation over identifier-to-identifier edges, a fixed number of
    passes). A record whose identifiers are all shared or junk forms a customer of its own. -#}

with

observations as (

    select * from {{ ref('int_identifier_observations') }}

),

identifiers as (

    select * from {{ ref('int_identifiers_judged') }}

),

judged_observations as (

    select
        observations.source,
        observations.source_table,
        observations.source_record_id,
        observations.source_record_key,
        observations.identifier_key,
        identifiers.is_valid,
        identifiers.is_linkable
    from observations
    inner join identifiers
        on observations.identifier_key = identifiers.identifier_key

),

records as (

    select
        source,
        source_table,
        source_record_id,
        source_record_key,
        -- the node a record hangs on: its smallest linkable identifier, else its smallest valid one,
        -- else the record itself (all its identifiers are junk)
        coalesce(
            min(case when is_linkable then identifier_key end),
            min(case when is_valid then identifier_key end),
            'record:' || source_record_key
        ) as anchor_key,
        max(case when is_linkable then 1 else 0 end) = 1 as has_linkable_identifier
    from judged_observations
    group by source, source_table, source_record_id, source_record_key

),

edges as (

    select distinct
        judged_observations.identifier_key as node_key,
        records.anchor_key as neighbour_key
    from judged_observations
    inner join records
        on judged_observations.source_record_key = records.source_record_key
    where
        judged_observations.is_linkable
        and records.has_linkable_identifier
        and judged_observations.identifier_key <> records.anchor_key

),

nodes as (

    select anchor_key as node_key from records
    union
    select node_key from edges

),

undirected_edges as (

    select
        node_key,
        neighbour_key
    from edges
    union
    select
        neighbour_key as node_key,
        node_key as neighbour_key
    from edges
    union
    select
        node_key,
        node_key as neighbour_key
    from nodes

),

labels_0 as (

    select
        node_key,
        node_key as component_key
    from nodes

),
{%- for i in range(1, var('identity_max_iterations') + 1) %}

labels_{{ i }} as (

    select
        undirected_edges.node_key,
        min(labels_{{ i - 1 }}.component_key) as component_key
    from undirected_edges
    inner join labels_{{ i - 1 }}
        on undirected_edges.neighbour_key = labels_{{ i - 1 }}.node_key
    group by undirected_edges.node_key

),
{%- endfor %}

final as (

    select
        'cus_' || substr({{ cdp.hash_key(['labels.component_key']) }}, 1, 20) as customer_id,
        records.source,
        records.source_table,
        records.source_record_id,
        records.source_record_key
    from records
    inner join labels_{{ var('identity_max_iterations') }} as labels
        on records.anchor_key = labels.node_key

)

select * from final
