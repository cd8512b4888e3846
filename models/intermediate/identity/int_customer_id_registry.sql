{#- One row per graph node ever seen, with the customer id it holds. This table is the memory that keeps
    customer ids stable: it is incremental with full_refresh false, so `dbt build --full-refresh`
    recomputes the graph but never wipes the ids already handed out.

    Per component of the current graph: the customer ids whose anchor node (the node that founded them)
    lies in the component are its candidates; the oldest survives (a merge retires the others). A
    component holding no anchor gets a new id derived from its best node (highest priority, first seen),
    so an empty registry gives the same ids on every rebuild. A node whose customer id changed records the
    previous id and why: `merge` (its id was retired) or `split` (its id lives on with the anchor's part). -#}
{{ config(
    materialized='incremental',
    incremental_strategy=cdp.incremental_upsert_strategy(),
    unique_key='node_key',
    full_refresh=false,
) }}

with

graph as (

    select * from {{ ref('int_identity_graph') }}

),

previous as (

    {% if is_incremental() %}
    select * from {{ this }}
    {% else %}
    select
        cast(null as {{ dbt.type_string() }}) as node_key,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(null as {{ dbt.type_string() }}) as customer_anchor_key,
        cast(null as timestamp) as customer_created_at,
        cast(null as {{ dbt.type_string() }}) as previous_customer_id,
        cast(null as {{ dbt.type_string() }}) as change_type,
        cast(null as timestamp) as changed_at,
        cast(null as boolean) as is_current
    where 1 = 0
    {% endif %}

),

run_info as (

    select cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as run_at

),

current_customers as (

    select distinct
        customer_id,
        customer_anchor_key,
        customer_created_at
    from previous
    where is_current

),

anchored as (

    select
        graph.component_id,
        current_customers.customer_id,
        current_customers.customer_anchor_key,
        current_customers.customer_created_at,
        row_number() over (
            partition by graph.component_id
            order by current_customers.customer_created_at, current_customers.customer_id
        ) as age_rank
    from graph
    inner join current_customers
        on graph.node_key = current_customers.customer_anchor_key

),

best_nodes as (

    select
        component_id,
        node_key,
        -- a cannot-link decision's rule identifier never names a customer (it goes when the decision does)
        row_number() over (
            partition by component_id
            order by case when node_type like 'cannot_link:%' then 1 else 0 end, priority, first_seen_at, node_key
        ) as best_rank
    from graph

),

component_customers as (

    select
        best_nodes.component_id,
        coalesce(
            anchored.customer_id,
            'cus_' || substr({{ cdp.hash_key(['best_nodes.node_key']) }}, 1, 20)
        ) as customer_id,
        coalesce(anchored.customer_anchor_key, best_nodes.node_key) as customer_anchor_key,
        coalesce(anchored.customer_created_at, run_info.run_at) as customer_created_at
    from best_nodes
    cross join run_info
    left join anchored
        on best_nodes.component_id = anchored.component_id
        and anchored.age_rank = 1
    where best_nodes.best_rank = 1

),

assigned as (

    select
        graph.node_key,
        component_customers.customer_id,
        component_customers.customer_anchor_key,
        component_customers.customer_created_at,
        previous.customer_id as previous_customer_id,
        previous.previous_customer_id as earlier_previous_customer_id,
        previous.change_type as earlier_change_type,
        previous.changed_at as earlier_changed_at
    from graph
    inner join component_customers
        on graph.component_id = component_customers.component_id
    left join previous
        on graph.node_key = previous.node_key

),

surviving_ids as (

    select distinct customer_id from component_customers

),

current_rows as (

    select
        assigned.node_key,
        assigned.customer_id,
        assigned.customer_anchor_key,
        assigned.customer_created_at,
        case
            when assigned.previous_customer_id <> assigned.customer_id then assigned.previous_customer_id
            else assigned.earlier_previous_customer_id
        end as previous_customer_id,
        case
            when assigned.previous_customer_id <> assigned.customer_id and surviving_ids.customer_id is null
                then 'merge'
            when assigned.previous_customer_id <> assigned.customer_id then 'split'
            else assigned.earlier_change_type
        end as change_type,
        case
            when assigned.previous_customer_id <> assigned.customer_id then run_info.run_at
            else assigned.earlier_changed_at
        end as changed_at,
        true as is_current
    from assigned
    cross join run_info
    left join surviving_ids
        on assigned.previous_customer_id = surviving_ids.customer_id

),

gone_rows as (

    select
        previous.node_key,
        previous.customer_id,
        previous.customer_anchor_key,
        previous.customer_created_at,
        previous.previous_customer_id,
        previous.change_type,
        previous.changed_at,
        false as is_current
    from previous
    left join graph
        on previous.node_key = graph.node_key
    where graph.node_key is null and previous.is_current

),

final as (

    select * from current_rows
    union all
    select * from gone_rows

)

select * from final
