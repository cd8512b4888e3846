{#- One row per node of the identity graph with its component: the nodes the admitted edges join. The
    work happens in the pre-hook (macro resolve_identity_graph): edges are admitted tier by tier and each
    tier's components are computed in rounds, one table per round, until a round changes nothing. -#}
{{ config(pre_hook="{{ cdp.resolve_identity_graph(ref('int_identity_nodes'), ref('int_identity_edges'), this,
    nodes_seen_at='first_seen_at') }}") }}

with

nodes as (

    select * from {{ ref('int_identity_nodes') }}

),

labels as (

    select * from {{ cdp.identity_work_relation(this, 'labels') }}

),

final as (

    select
        nodes.node_id,
        nodes.node_key,
        nodes.node_type,
        nodes.priority,
        nodes.max_per_customer,
        nodes.first_seen_at,
        labels.component_id
    from nodes
    inner join labels
        on nodes.node_id = labels.node_id

)

select * from final
