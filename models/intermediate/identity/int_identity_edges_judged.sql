{#- One row per candidate edge and source record that observed it, with whether the edge was admitted
    and, if not, why (it would break an identifier type's per-customer limit). -#}
-- depends_on: {{ ref('int_identity_graph') }}

with

edges as (

    select * from {{ ref('int_identity_edges') }}

),

edge_status as (

    select * from {{ cdp.identity_work_relation(ref('int_identity_graph'), 'edge_status') }}

),

final as (

    select
        edges.from_node_id,
        edges.to_node_id,
        edges.from_node_key,
        edges.to_node_key,
        edges.tier,
        edges.source,
        edges.source_table,
        edges.source_record_id,
        edges.source_record_key,
        edges.observed_at,
        edge_status.is_admitted,
        edge_status.rejection_reason
    from edges
    inner join edge_status
        on edges.from_node_id = edge_status.from_node_id
        and edges.to_node_id = edge_status.to_node_id

)

select * from final
