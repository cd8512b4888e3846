{#- The identity audit: every identifier that may not link records and every candidate edge that was
    refused, with the reason, so a missed merge can be traced to the rule that blocked it. -#}

with

identifiers as (

    select * from {{ ref('int_identifiers_judged') }}

),

edges as (

    select * from {{ ref('int_identity_edges_judged') }}

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

final as (

    select * from rejected_identifiers
    union all
    select * from rejected_edges

)

select * from final
