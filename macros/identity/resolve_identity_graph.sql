{#- Returns nothing; run as int_identity_graph's pre-hook (and by identity_graph_operation). Leaves beside
    `work` the tables `__labels` (node_id, component_id), `__edge_status` and `__rounds` of
    resolve_identity_subgraph, plus `__incremental` (how the run went: mode, nodes, nodes redone) and the
    state the next run starts from: `__state_nodes` (node key, attributes, component, super-component) and
    `__state_edges` (edge keys, first observation, admitted or why not).

    Incremental runs redo only what new data can change. Decisions (limits, tiers, components) are taken
    within a super-component: the nodes joined by any candidate edge, admitted or refused; nothing outside
    one can change anything in it. So a run compares its nodes and edges with the state of the last run;
    the nodes of a changed edge or with changed attributes, new or gone, are dirty; the super-components
    they were in, plus the new nodes, are resolved again from scratch (resolve_identity_subgraph); every
    other node keeps its component (relabelled by the smallest current node_id, as a full run labels it)
    and every other edge its status. The result equals a full run's. A full refresh
    (`dbt build --full-refresh`), var identity_incremental false, or a missing state resolves everything.

    Super-components are cheap to keep: contract each component to one node and join the refused edges
    between components in rounds (a small graph). -#}
{% macro resolve_identity_graph(nodes, edges, work, max_rounds=none, incremental=none) %}
    {%- if execute and flags.WHICH in ['run', 'build', 'run-operation'] -%}
        {%- set state_nodes = cdp.identity_work_relation(work, 'state_nodes') -%}
        {%- set state_edges = cdp.identity_work_relation(work, 'state_edges') -%}
        {%- set labels = cdp.identity_work_relation(work, 'labels') -%}
        {%- set edge_status = cdp.identity_work_relation(work, 'edge_status') -%}
        {%- set keyed_edges = cdp.identity_work_relation(work, 'keyed_edges') -%}
        {%- set wanted = var('identity_incremental', true) if incremental is none else incremental -%}
        {%- set has_state = adapter.get_relation(state_nodes.database, state_nodes.schema, state_nodes.identifier)
            is not none and adapter.get_relation(state_edges.database, state_edges.schema, state_edges.identifier)
            is not none -%}
        {%- set is_incremental_run = wanted and has_state and not flags.FULL_REFRESH -%}
        {#- the candidate edges by node key, one row per distinct edge -#}
        {%- do adapter.drop_relation(keyed_edges) -%}
        {%- do run_query(create_table_as(False, keyed_edges, "
            select
                edges.from_node_id,
                edges.to_node_id,
                from_nodes.node_key as from_node_key,
                to_nodes.node_key as to_node_key,
                edges.tier,
                min(edges.observed_at) as first_observed_at
            from " ~ edges ~ " as edges
            inner join " ~ nodes ~ " as from_nodes on edges.from_node_id = from_nodes.node_id
            inner join " ~ nodes ~ " as to_nodes on edges.to_node_id = to_nodes.node_id
            group by edges.from_node_id, edges.to_node_id, from_nodes.node_key, to_nodes.node_key, edges.tier")) -%}
        {%- if is_incremental_run -%}
            {%- set affected = cdp.identity_work_relation(work, 'affected') -%}
            {%- do adapter.drop_relation(affected) -%}
            {%- do run_query(create_table_as(False, affected, "
                with new_edges as (
                    select from_node_key, to_node_key, tier, first_observed_at from " ~ keyed_edges ~ "
                    except
                    select from_node_key, to_node_key, tier, first_observed_at from " ~ state_edges ~ "
                ),
                gone_edges as (
                    select from_node_key, to_node_key, tier, first_observed_at from " ~ state_edges ~ "
                    except
                    select from_node_key, to_node_key, tier, first_observed_at from " ~ keyed_edges ~ "
                ),
                changed_edges as (
                    select * from new_edges
                    union all
                    select * from gone_edges
                ),
                new_nodes as (
                    select node_key, node_type, priority, max_per_customer from " ~ nodes ~ "
                    except
                    select node_key, node_type, priority, max_per_customer from " ~ state_nodes ~ "
                ),
                gone_nodes as (
                    select node_key, node_type, priority, max_per_customer from " ~ state_nodes ~ "
                    except
                    select node_key, node_type, priority, max_per_customer from " ~ nodes ~ "
                ),
                changed_nodes as (
                    select node_key from new_nodes
                    union all
                    select node_key from gone_nodes
                ),
                dirty as (
                    select from_node_key as node_key from changed_edges
                    union
                    select to_node_key as node_key from changed_edges
                    union
                    select node_key from changed_nodes
                ),
                dirty_supers as (
                    select distinct state.super_id
                    from " ~ state_nodes ~ " as state
                    inner join dirty on state.node_key = dirty.node_key
                ),
                affected_keys as (
                    select node_key from dirty
                    union
                    select state.node_key
                    from " ~ state_nodes ~ " as state
                    inner join dirty_supers on state.super_id = dirty_supers.super_id
                )
                select nodes.node_id, nodes.node_key
                from " ~ nodes ~ " as nodes
                inner join affected_keys on nodes.node_key = affected_keys.node_key")) -%}
            {%- set sub_nodes = cdp.identity_work_relation(work, 'sub_nodes') -%}
            {%- set sub_edges = cdp.identity_work_relation(work, 'sub_edges') -%}
            {%- do adapter.drop_relation(sub_nodes) -%}
            {%- do adapter.drop_relation(sub_edges) -%}
            {%- do run_query(create_table_as(False, sub_nodes, "
                select nodes.* from " ~ nodes ~ " as nodes
                inner join " ~ affected ~ " as affected on nodes.node_id = affected.node_id")) -%}
            {#- an edge from an affected node ends at one too: it is new (both ends dirty) or old (one super) -#}
            {%- do run_query(create_table_as(False, sub_edges, "
                select edges.* from " ~ edges ~ " as edges
                inner join " ~ affected ~ " as affected on edges.from_node_id = affected.node_id")) -%}
            {%- do cdp.resolve_identity_subgraph(sub_nodes, sub_edges, work, max_rounds) -%}
            {#- every other node keeps its component and every other edge its status -#}
            {%- set merged_labels = cdp.identity_work_relation(work, 'labels_merged') -%}
            {%- do adapter.drop_relation(merged_labels) -%}
            {%- do run_query(create_table_as(False, merged_labels, "
                select node_id, component_id from " ~ labels ~ "
                union all
                select
                    nodes.node_id,
                    min(nodes.node_id) over (partition by state.component_id) as component_id
                from " ~ nodes ~ " as nodes
                inner join " ~ state_nodes ~ " as state on nodes.node_key = state.node_key
                left join " ~ affected ~ " as affected on nodes.node_id = affected.node_id
                where affected.node_id is null")) -%}
            {%- do adapter.drop_relation(labels) -%}
            {%- do adapter.rename_relation(merged_labels, labels) -%}
            {%- set merged_status = cdp.identity_work_relation(work, 'edge_status_merged') -%}
            {%- do adapter.drop_relation(merged_status) -%}
            {%- do run_query(create_table_as(False, merged_status, "
                select from_node_id, to_node_id, tier, is_admitted, rejection_reason from " ~ edge_status ~ "
                union all
                select keyed.from_node_id, keyed.to_node_id, keyed.tier, state.is_admitted, state.rejection_reason
                from " ~ keyed_edges ~ " as keyed
                inner join " ~ state_edges ~ " as state
                    on keyed.from_node_key = state.from_node_key
                    and keyed.to_node_key = state.to_node_key
                    and keyed.tier = state.tier
                left join " ~ affected ~ " as affected on keyed.from_node_id = affected.node_id
                where affected.node_id is null")) -%}
            {%- do adapter.drop_relation(edge_status) -%}
            {%- do adapter.rename_relation(merged_status, edge_status) -%}
            {%- set counts = run_query("select (select count(*) from " ~ nodes ~ "), (select count(*) from "
                ~ affected ~ ")").rows[0] -%}
            {%- set mode = 'incremental' -%}
            {%- for relation in [affected, sub_nodes, sub_edges] -%}
                {%- do adapter.drop_relation(relation) -%}
            {%- endfor -%}
        {%- else -%}
            {%- do cdp.resolve_identity_subgraph(nodes, edges, work, max_rounds) -%}
            {%- set total = run_query("select count(*) from " ~ nodes).columns[0].values()[0] -%}
            {%- set counts = [total, total] -%}
            {%- set mode = 'full' -%}
        {%- endif -%}
        {%- set stats = cdp.identity_work_relation(work, 'incremental') -%}
        {%- do adapter.drop_relation(stats) -%}
        {%- do run_query(create_table_as(False, stats, "select '" ~ mode ~ "' as mode, cast(" ~ counts[0]
            ~ " as bigint) as nodes_total, cast(" ~ counts[1] ~ " as bigint) as nodes_resolved")) -%}
        {%- do cdp.save_identity_state(nodes, work) -%}
    {%- endif -%}
{% endmacro %}
