{#- The identity audit: every identifier that may not link records, every candidate edge that was
    refused (probabilistic edges refused by a limit included) and every probabilistic link the matcher's
    guards rejected before the graph (cannot-link, strict threshold, chaining), with the reason, so a
    missed merge can be traced to the rule that blocked it. -#}

with

identifiers as (

    select * from {{ ref('int_identifiers_judged') }}

),

edges as (

    select * from {{ ref('int_identity_edges_judged') }}

),

match_links as (

    select * from {{ ref('int_identity_match_links') }}

),

rejected_identifiers as (

    select
        'identifier' as rejected_kind,
        identifier_key,
        cast(null as {{ dbt.type_string() }}) as linked_identifier_key,
        cast(null as {{ dbt.type_string() }}) as source_record_key,
        unlinkable_reason as rejection_reason
    from identifiers
    where not is_linkable

),

rejected_edges as (

    select
        'edge' as rejected_kind,
        to_node_key as identifier_key,
        from_node_key as linked_identifier_key,
        source_record_key,
        rejection_reason
    from edges
    where not is_admitted

),

rejected_match_links as (

    select
        'match_link' as rejected_kind,
        'record:' || record_key_r as identifier_key,
        'record:' || record_key_l as linked_identifier_key,
        'matching/identity_match_candidates/' || record_key_l || ' ' || record_key_r as source_record_key,
        rejection_reason
    from match_links
    where link_status = 'rejected'

),

final as (

    select * from rejected_identifiers
    union all
    select * from rejected_edges
    union all
    select * from rejected_match_links

)

select * from final
