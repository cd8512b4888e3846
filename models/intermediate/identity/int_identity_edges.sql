{#- One row per candidate edge and source record that observed it: a record links its anchor (its
    highest-priority linkable identifier) to each other linkable identifier it carries. The edge's tier
    is the priority of its weaker end; tiers are admitted strongest first (int_identity_graph). -#}

with

observations as (

    select * from {{ ref('int_identifier_observations') }}

),

nodes as (

    select * from {{ ref('int_identity_nodes') }}

),

linkable_observations as (

    select
        observations.source,
        observations.source_table,
        observations.source_record_id,
        observations.source_record_key,
        observations.observed_at,
        nodes.node_id,
        nodes.node_key,
        nodes.priority,
        row_number() over (
            partition by observations.source_record_key
            order by nodes.priority, nodes.node_key
        ) as rank_in_record
    from observations
    inner join nodes
        on observations.identifier_key = nodes.node_key

),

anchors as (

    select * from linkable_observations
    where rank_in_record = 1

),

final as (

    select
        anchors.node_id as from_node_id,
        other_identifiers.node_id as to_node_id,
        anchors.node_key as from_node_key,
        other_identifiers.node_key as to_node_key,
        other_identifiers.priority as tier,
        other_identifiers.source,
        other_identifiers.source_table,
        other_identifiers.source_record_id,
        other_identifiers.source_record_key,
        other_identifiers.observed_at
    from anchors
    inner join linkable_observations as other_identifiers
        on anchors.source_record_key = other_identifiers.source_record_key
        and other_identifiers.rank_in_record > 1

)

select * from final
