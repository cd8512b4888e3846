{#- One row per candidate edge and source record that observed it: a record links its anchor (its
    highest-priority linkable identifier) to each other linkable identifier it carries. The edge's tier
    is the priority of its weaker end; tiers are admitted strongest first (int_identity_graph).
    With var('identity_probabilistic_edges') true, probabilistic links (int_identity_match_links, accepted)
    join the two records' anchors in the last tier, var('identity_match_tier'), below every deterministic
    edge: one row per linked pair, the pair as its source record
    (`matching/identity_match_candidates/<left> <right>`). -#}

with

observations as (

    select * from {{ ref('int_identifier_observations') }}

),

nodes as (

    select * from {{ ref('int_identity_nodes') }}

),

match_links as (

    select * from {{ ref('int_identity_match_links') }}

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

deterministic as (

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

),

-- a pair whose anchors are one node, or already joined by a deterministic edge, adds nothing
probabilistic as (

    select
        match_links.from_node_id,
        match_links.to_node_id,
        from_nodes.node_key as from_node_key,
        to_nodes.node_key as to_node_key,
        {{ var('identity_match_tier', 100) }} as tier,
        'matching' as source,
        'identity_match_candidates' as source_table,
        match_links.record_key_l || ' ' || match_links.record_key_r as source_record_id,
        'matching/identity_match_candidates/' || match_links.record_key_l || ' ' || match_links.record_key_r
            as source_record_key,
        match_links.observed_at
    from match_links
    inner join nodes as from_nodes
        on match_links.from_node_id = from_nodes.node_id
    inner join nodes as to_nodes
        on match_links.to_node_id = to_nodes.node_id
    left join deterministic as same_way
        on match_links.from_node_id = same_way.from_node_id
        and match_links.to_node_id = same_way.to_node_id
    left join deterministic as other_way
        on match_links.from_node_id = other_way.to_node_id
        and match_links.to_node_id = other_way.from_node_id
    where
        -- on by default (dbt_project.yml); --vars '{identity_probabilistic_edges: false}' turns it off
        {{ 'true' if var('identity_probabilistic_edges', false) else 'false' }}
        and match_links.link_status = 'accepted'
        and match_links.from_node_id <> match_links.to_node_id
        and same_way.from_node_id is null
        and other_way.from_node_id is null

),

final as (

    select * from deterministic
    union all
    select * from probabilistic

)

select * from final
