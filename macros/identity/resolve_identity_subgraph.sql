{#- Returns nothing; run by resolve_identity_graph on the whole graph, or on the part an incremental run
    must redo. Leaves four work tables beside `work`, their names starting with `prefix`:
    `__<prefix>labels` (node_id, component_id), `__<prefix>edge_status` (one row per distinct candidate
    edge: tier, is_admitted, rejection_reason, first_observed_at), `__<prefix>state_nodes` (the nodes with
    their super-component, `super_id`) and `__<prefix>rounds` (tier, rounds; tier 0 is the
    super-components).

    A super-component is a component of every candidate edge, admitted or refused: limits and tiers are
    decided within one, nothing outside it can change it. Most hold no more values of any type than the
    type's limit; then no tier can refuse an edge in it (each tier's customers are parts of it) and it is
    one customer with every edge admitted. Only the super-components over a limit go through the tiers
    (resolve_identity_tiers), so a full run costs one set of component rounds over the whole graph plus
    the tiers over the contested part. -#}
{% macro resolve_identity_subgraph(nodes, edges, work, max_rounds=none, prefix='') %}
    {%- if execute -%}
        {%- set labels = cdp.identity_work_relation(work, prefix ~ 'labels') -%}
        {%- set edge_status = cdp.identity_work_relation(work, prefix ~ 'edge_status') -%}
        {%- set state_nodes = cdp.identity_work_relation(work, prefix ~ 'state_nodes') -%}
        {%- set contested = cdp.identity_work_relation(work, prefix ~ 'contested') -%}
        {%- set rounds = cdp.identity_work_relation(work, prefix ~ 'rounds') -%}
        {%- set string = dbt.type_string() -%}
        {%- set supers = cdp.connected_components(
            "select from_node_id as src, to_node_id as dst from " ~ edges, work, prefix ~ 'super', max_rounds) -%}
        {%- set round_rows = ["select 0 as tier, " ~ supers.rounds ~ " as rounds"] -%}
        {%- do adapter.drop_relation(state_nodes) -%}
        {%- do run_query(create_table_as(False, state_nodes, "
            select
                nodes.node_id,
                nodes.node_key,
                nodes.node_type,
                nodes.priority,
                nodes.max_per_customer,
                coalesce(supers.component_id, nodes.node_id) as super_id
            from " ~ nodes ~ " as nodes
            left join " ~ supers.relation ~ " as supers on nodes.node_id = supers.node_id")) -%}
        {%- do adapter.drop_relation(supers.relation) -%}
        {%- do adapter.drop_relation(contested) -%}
        {%- do run_query(create_table_as(False, contested, "
            select distinct super_id
            from (
                select super_id
                from " ~ state_nodes ~ "
                group by super_id, node_type, max_per_customer
                having count(*) > max_per_customer
            ) as over_limit")) -%}
        {%- set n_contested = run_query("select count(*) from " ~ contested).columns[0].values()[0] -%}
        {#- edges of the super-components within every limit: all admitted -#}
        {%- set free_status = "
            select
                edges.from_node_id,
                edges.to_node_id,
                edges.tier,
                true as is_admitted,
                cast(null as " ~ string ~ ") as rejection_reason,
                min(edges.observed_at) as first_observed_at
            from " ~ edges ~ " as edges" -%}
        {%- do adapter.drop_relation(labels) -%}
        {%- do adapter.drop_relation(edge_status) -%}
        {%- if n_contested == 0 -%}
            {%- do run_query(create_table_as(False, labels,
                "select node_id, super_id as component_id from " ~ state_nodes)) -%}
            {%- do run_query(create_table_as(False, edge_status,
                free_status ~ " group by edges.from_node_id, edges.to_node_id, edges.tier")) -%}
        {%- else -%}
            {%- set tight_nodes = cdp.identity_work_relation(work, prefix ~ 'tight_nodes') -%}
            {%- set tight_edges = cdp.identity_work_relation(work, prefix ~ 'tight_edges') -%}
            {%- do adapter.drop_relation(tight_nodes) -%}
            {%- do adapter.drop_relation(tight_edges) -%}
            {%- do run_query(create_table_as(False, tight_nodes, "
                select nodes.*
                from " ~ nodes ~ " as nodes
                inner join " ~ state_nodes ~ " as state on nodes.node_id = state.node_id
                inner join " ~ contested ~ " as contested on state.super_id = contested.super_id")) -%}
            {%- do run_query(create_table_as(False, tight_edges, "
                select edges.*
                from " ~ edges ~ " as edges
                inner join " ~ tight_nodes ~ " as tight_nodes on edges.from_node_id = tight_nodes.node_id")) -%}
            {%- set tier_rounds = cdp.resolve_identity_tiers(tight_nodes, tight_edges, work, max_rounds, prefix ~ 'tight_') -%}
            {%- do round_rows.extend(tier_rounds) -%}
            {%- set tight_labels = cdp.identity_work_relation(work, prefix ~ 'tight_labels') -%}
            {%- set tight_status = cdp.identity_work_relation(work, prefix ~ 'tight_edge_status') -%}
            {%- do run_query(create_table_as(False, labels, "
                select node_id, component_id from " ~ tight_labels ~ "
                union all
                select state.node_id, state.super_id as component_id
                from " ~ state_nodes ~ " as state
                left join " ~ contested ~ " as contested on state.super_id = contested.super_id
                where contested.super_id is null")) -%}
            {%- do run_query(create_table_as(False, edge_status, "
                select from_node_id, to_node_id, tier, is_admitted, rejection_reason, first_observed_at
                from " ~ tight_status ~ "
                union all
                " ~ free_status ~ "
                left join " ~ tight_nodes ~ " as tight_nodes on edges.from_node_id = tight_nodes.node_id
                where tight_nodes.node_id is null
                group by edges.from_node_id, edges.to_node_id, edges.tier")) -%}
            {%- for relation in [tight_nodes, tight_edges, tight_labels, tight_status] -%}
                {%- do adapter.drop_relation(relation) -%}
            {%- endfor -%}
        {%- endif -%}
        {%- do adapter.drop_relation(contested) -%}
        {%- do adapter.drop_relation(rounds) -%}
        {%- do run_query(create_table_as(False, rounds, round_rows | join(' union all '))) -%}
    {%- endif -%}
{% endmacro %}
