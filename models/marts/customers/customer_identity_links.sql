{#- Why a customer's identifiers belong together, in SQL: every admitted edge of the identity graph with
    the source record that observed it. `cdp explain` walks these rows to print the path joining two
    identifiers. A record under a cannot-link decision hangs on the decision's rule identifier, which is
    no identifier of the person: its edges start at the record itself (`record:<source/table/id>`), and
    edges between rule identifiers are left out. -#}

with

edges as (

    select * from {{ ref('int_identity_edges_judged') }}

),

registry as (

    select * from {{ ref('int_customer_id_registry') }}

),

final as (

    select
        registry.customer_id,
        case
            when edges.from_node_key like 'cannot_link:%' then 'record:' || edges.source_record_key
            else edges.from_node_key
        end as from_identifier_key,
        edges.to_node_key as to_identifier_key,
        edges.source,
        edges.source_table,
        edges.source_record_id,
        edges.observed_at
    from edges
    inner join registry
        on edges.from_node_key = registry.node_key
        and registry.is_current
    where
        edges.is_admitted
        and edges.to_node_key not like 'cannot_link:%'

)

select * from final
