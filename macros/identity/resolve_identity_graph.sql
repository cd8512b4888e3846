{#- Returns nothing; run as int_identity_graph's pre-hook (and by identity_graph_operation). Leaves beside
    `work` the tables of resolve_identity_subgraph: `__state_nodes` (node id, attributes, super-component,
    component), `__edge_status` (one row per distinct candidate edge: tier, is_admitted, rejection_reason,
    first_observed_at) and `__rounds`; the view `__labels` (node_id, component_id) over the state; and
    `__incremental` (how the run went: mode, nodes, nodes redone). State nodes and edge status are the
    state the next run starts from.

    Incremental runs redo only what new data can change. Decisions (limits, tiers, components) are taken
    within a super-component: the nodes joined by any candidate edge, admitted or refused; nothing outside
    one can change anything in it. So a run compares its nodes and edges with the last run's by node id
    (a node id must name the same node in every run: int_identity_nodes hashes the node key): the nodes of a changed edge or with changed
    attributes, new or gone, are dirty; the super-components they were in, plus the new nodes, are
    resolved again from scratch (resolve_identity_subgraph), and only their rows of state and edge status
    are replaced (identity_replace_rows: delete + insert on DuckDB); every other node keeps its
    component and every other edge its status. The result equals a full run's. A full refresh
    (`dbt build --full-refresh`), var identity_incremental false, or a missing state resolves everything.
    The comparison reads the nodes and edges whole, but as integers and timestamps, in two hash joins. -#}
{% macro resolve_identity_graph(nodes, edges, work, max_rounds=none, incremental=none) %}
    {%- if execute and flags.WHICH in ['run', 'build', 'run-operation'] -%}
        {%- set state_nodes = cdp.identity_work_relation(work, 'state_nodes') -%}
        {%- set labels = cdp.identity_work_relation(work, 'labels') -%}
        {%- set edge_status = cdp.identity_work_relation(work, 'edge_status') -%}
        {%- set rounds = cdp.identity_work_relation(work, 'rounds') -%}
        {%- set wanted = var('identity_incremental', true) if incremental is none else incremental -%}
        {%- set state_relations = [] -%}
        {%- for relation in [state_nodes, edge_status] -%}
            {%- set found = adapter.get_relation(relation.database, relation.schema, relation.identifier) -%}
            {%- if found is not none -%}
                {%- do state_relations.append(found) -%}
            {%- endif -%}
        {%- endfor -%}
        {#- a state written by an older version of this macro (other columns) is not compared with -#}
        {%- set has_state = state_relations | length == 2
            and 'component_id' in (adapter.get_columns_in_relation(state_nodes) | map(attribute='name') | list)
            and 'first_observed_at' in (adapter.get_columns_in_relation(edge_status) | map(attribute='name') | list) -%}
        {%- set is_incremental_run = wanted and has_state and not flags.FULL_REFRESH -%}
        {%- if is_incremental_run -%}
            {%- set dirty = cdp.identity_work_relation(work, 'dirty') -%}
            {%- set affected = cdp.identity_work_relation(work, 'affected') -%}
            {%- do cdp.identity_create_table(dirty, "
                with current_edges as (
                    select from_node_id, to_node_id, tier, min(observed_at) as first_observed_at
                    from " ~ edges ~ "
                    group by from_node_id, to_node_id, tier
                ),
                changed_edges as (
                    select
                        coalesce(current_edges.from_node_id, state.from_node_id) as from_node_id,
                        coalesce(current_edges.to_node_id, state.to_node_id) as to_node_id
                    from current_edges
                    full outer join " ~ edge_status ~ " as state
                        on current_edges.from_node_id = state.from_node_id
                        and current_edges.to_node_id = state.to_node_id
                        and current_edges.tier = state.tier
                    where current_edges.from_node_id is null
                        or state.from_node_id is null
                        or not (
                            current_edges.first_observed_at = state.first_observed_at
                            or (current_edges.first_observed_at is null and state.first_observed_at is null)
                        )
                ),
                changed_nodes as (
                    select coalesce(nodes.node_id, state.node_id) as node_id
                    from " ~ nodes ~ " as nodes
                    full outer join " ~ state_nodes ~ " as state on nodes.node_id = state.node_id
                    where nodes.node_id is null
                        or state.node_id is null
                        or nodes.node_type <> state.node_type
                        or nodes.priority <> state.priority
                        or nodes.max_per_customer <> state.max_per_customer
                )
                select from_node_id as node_id from changed_edges
                union
                select to_node_id as node_id from changed_edges
                union
                select node_id from changed_nodes") -%}
            {#- the dirty nodes (gone ones included: their rows go) and every node of their super-components -#}
            {%- do cdp.identity_create_table(affected, "
                with dirty_supers as (
                    select distinct state.super_id
                    from " ~ state_nodes ~ " as state
                    inner join " ~ dirty ~ " as dirty on state.node_id = dirty.node_id
                )
                select node_id from " ~ dirty ~ "
                union
                select state.node_id
                from " ~ state_nodes ~ " as state
                inner join dirty_supers on state.super_id = dirty_supers.super_id") -%}
            {%- set sub_nodes = cdp.identity_work_relation(work, 'sub_nodes') -%}
            {%- set sub_edges = cdp.identity_work_relation(work, 'sub_edges') -%}
            {%- do cdp.identity_create_table(sub_nodes, "
                select nodes.* from " ~ nodes ~ " as nodes
                inner join " ~ affected ~ " as affected on nodes.node_id = affected.node_id") -%}
            {%- set counts = run_query("select (select count(*) from " ~ nodes ~ "), (select count(*) from "
                ~ sub_nodes ~ "), (select count(*) from " ~ affected ~ ")").rows[0] -%}
            {%- if counts[2] > 0 -%}
                {#- an edge from an affected node ends at one too: it is new (both ends dirty) or old (one super) -#}
                {%- do cdp.identity_create_table(sub_edges, "
                    select edges.* from " ~ edges ~ " as edges
                    inner join " ~ affected ~ " as affected on edges.from_node_id = affected.node_id") -%}
                {%- do cdp.resolve_identity_subgraph(sub_nodes, sub_edges, work, max_rounds, 'sub_') -%}
                {#- every other node keeps its component and every other edge its status -#}
                {%- set sub_status = cdp.identity_work_relation(work, 'sub_edge_status') -%}
                {%- set sub_state = cdp.identity_work_relation(work, 'sub_state_nodes') -%}
                {%- do cdp.identity_replace_rows(edge_status, 'from_node_id', affected, sub_status) -%}
                {%- do cdp.identity_replace_rows(state_nodes, 'node_id', affected, sub_state) -%}
                {%- do adapter.drop_relation(rounds) -%}
                {%- do adapter.rename_relation(cdp.identity_work_relation(work, 'sub_rounds'), rounds) -%}
                {%- do cdp.identity_drop_tables([sub_edges, sub_status, sub_state]) -%}
            {%- else -%}
                {%- do cdp.identity_create_table(rounds, "select 0 as tier, 0 as rounds") -%}
            {%- endif -%}
            {%- set mode = 'incremental' -%}
            {%- do cdp.identity_drop_tables([dirty, affected, sub_nodes]) -%}
        {%- else -%}
            {#- drop the state of older versions of this macro, if any -#}
            {%- for name in ['state_edges', 'keyed_edges'] -%}
                {%- do adapter.drop_relation(cdp.identity_work_relation(work, name)) -%}
            {%- endfor -%}
            {%- do cdp.resolve_identity_subgraph(nodes, edges, work, max_rounds) -%}
            {%- set total = run_query("select count(*) from " ~ nodes).columns[0].values()[0] -%}
            {%- set counts = [total, total] -%}
            {%- set mode = 'full' -%}
        {%- endif -%}
        {#- labels: a view, so the state is written once (a table of that name from an older version goes) -#}
        {%- set found = adapter.get_relation(labels.database, labels.schema, labels.identifier) -%}
        {%- if found is none or found.type != 'view' -%}
            {%- if found is not none -%}
                {%- do adapter.drop_relation(found) -%}
            {%- endif -%}
            {%- do run_query(create_view_as(labels.incorporate(type='view'),
                "select node_id, component_id from " ~ state_nodes)) -%}
        {%- endif -%}
        {%- set stats = cdp.identity_work_relation(work, 'incremental') -%}
        {%- do cdp.identity_create_table(stats, "select '" ~ mode ~ "' as mode, cast(" ~ counts[0]
            ~ " as bigint) as nodes_total, cast(" ~ counts[1] ~ " as bigint) as nodes_resolved") -%}
    {%- endif -%}
{% endmacro %}
