{#- One row per source record that carries an identifier, with the customer it resolves to: the customer
    of its anchor node, its highest-priority linkable identifier (int_identity_edges draws the record's
    edges from that node), or the record itself when all its identifiers are junk, shared or unparseable. -#}

with

observations as (

    select * from {{ ref('int_identifier_observations') }}

),

nodes as (

    select * from {{ ref('int_identity_nodes') }}

),

registry as (

    select * from {{ ref('int_customer_id_registry') }}

),

suppressed_customers as (

    select * from {{ ref('int_suppressed_customers') }}

),

suppressed_records as (

    select * from {{ ref('int_suppressed_records') }}

),

record_nodes as (

    select
        observations.source,
        observations.source_table,
        observations.source_record_id,
        observations.source_record_key,
        coalesce(nodes.node_key, 'record:' || observations.source_record_key) as node_key,
        coalesce(nodes.priority, 1000000) as priority
    from observations
    left join nodes
        on observations.identifier_key = nodes.node_key

),

ranked as (

    select
        source,
        source_table,
        source_record_id,
        source_record_key,
        node_key,
        row_number() over (partition by source_record_key order by priority, node_key) as node_rank
    from record_nodes

),

final as (

    select
        registry.customer_id,
        ranked.source,
        ranked.source_table,
        ranked.source_record_id,
        ranked.source_record_key,
        ranked.node_key as anchor_node_key
    from ranked
    inner join registry
        on ranked.node_key = registry.node_key
        and registry.is_current
    -- a suppressed person (privacy request) resolves to no customer: no mart, segment or sync has them
    left join suppressed_customers
        on registry.customer_id = suppressed_customers.customer_id
    left join suppressed_records
        on ranked.source_record_key = suppressed_records.source_record_key
    where
        ranked.node_rank = 1
        and suppressed_customers.customer_id is null
        and suppressed_records.source_record_key is null

)

select * from final
