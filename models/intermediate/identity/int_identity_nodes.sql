{#- One row per node of the identity graph: every linkable identifier, and every record that carries no
    linkable identifier (it is a customer of its own). `node_id` is an integer so the component
    rounds compare numbers, not text; it is a hash of `node_key` (macro identity_node_id), so a node keeps it
    from one build to the next and an incremental graph run compares integers (customer ids come from the
    registry). -#}

with

observations as (

    select * from {{ ref('int_identifier_observations') }}

),

identifiers as (

    select * from {{ ref('int_identifiers_judged') }}

),

linkable as (

    select
        identifiers.identifier_key as node_key,
        identifiers.identifier_type as node_type,
        identifiers.priority,
        identifiers.max_per_customer,
        min(observations.observed_at) as first_seen_at
    from identifiers
    inner join observations
        on identifiers.identifier_key = observations.identifier_key
    where identifiers.is_linkable
    group by
        identifiers.identifier_key,
        identifiers.identifier_type,
        identifiers.priority,
        identifiers.max_per_customer

),

records_without_link as (

    select
        'record:' || observations.source_record_key as node_key,
        'record' as node_type,
        -- weaker than any identifier: never chosen as a customer's anchor over one
        1000000 as priority,
        1 as max_per_customer,
        min(observations.observed_at) as first_seen_at
    from observations
    inner join identifiers
        on observations.identifier_key = identifiers.identifier_key
    group by observations.source_record_key
    having max(case when identifiers.is_linkable then 1 else 0 end) = 0

),

unioned as (

    select * from linkable
    union all
    select * from records_without_link

),

final as (

    select
        {{ cdp.identity_node_id('node_key') }} as node_id,
        node_key,
        node_type,
        priority,
        max_per_customer,
        first_seen_at
    from unioned

)

select * from final
