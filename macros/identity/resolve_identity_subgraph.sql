{#- Returns nothing; run by resolve_identity_graph on the whole graph, or on the part an incremental run
    must redo. Leaves three work tables beside `work`, their names starting with `prefix`:
    `__<prefix>state_nodes` (node_id, node_type, priority, max_per_customer, super_id: its
    super-component, component_id: its customer), `__<prefix>edge_status` (one row per distinct candidate
    edge: tier, is_admitted, rejection_reason, first_observed_at) and `__<prefix>rounds` (tier, rounds;
    tier 0 is the super-components).

    A super-component is a component of every candidate edge, admitted or refused: limits and tiers are
    decided within one, nothing outside it can change it. Most hold no more values of any type than the
    type's limit; then no tier can refuse an edge in it (each tier's customers are parts of it) and it is
    one customer with every edge admitted. Only the super-components over a limit go through the tiers
    (resolve_identity_tiers), so a full run costs one set of component rounds over the whole graph plus
    the tiers over the contested part. `prune_min_nodes`: see connected_components.

    Returns the number of contested super-components. -#}
{% macro resolve_identity_subgraph(nodes, edges, work, max_rounds=none, prefix='', prune_min_nodes=0,
    node_count=none) %}
    {%- if execute -%}
        {#- the results: the graph's state in a whole run (no prefix), scratch tables for a part of it -#}
        {%- set result_relation = cdp.identity_scratch_relation if prefix else cdp.identity_work_relation -%}
        {%- set edge_status = result_relation(work, prefix ~ 'edge_status') -%}
        {%- set state_nodes = result_relation(work, prefix ~ 'state_nodes') -%}
        {%- set contested = cdp.identity_scratch_relation(work, prefix ~ 'contested') -%}
        {%- set rounds = result_relation(work, prefix ~ 'rounds') -%}
        {#- one row per distinct edge, every one admitted: the edge status of every super-component within
            the limits (most, often all); the rounds read its pairs, each once -#}
        {%- do cdp.identity_create_table(edge_status, cdp.resolve_identity_admitted_status(edges)) -%}
        {%- set supers = cdp.connected_components(
            "select from_node_id as src, to_node_id as dst from " ~ edge_status, work, prefix ~ 'super', max_rounds,
            prune_min_nodes, node_count) -%}
        {%- set round_rows = ["select 0 as tier, " ~ supers.rounds ~ " as rounds"] -%}
        {%- set n_contested = cdp.identity_run_steps(cdp.resolve_identity_subgraph_state_steps(nodes, supers.relation,
            state_nodes, contested)).columns[0].values()[0] -%}
        {%- if n_contested > 0 -%}
            {%- set tight_nodes = cdp.identity_scratch_relation(work, prefix ~ 'tight_nodes') -%}
            {%- set tight_edges = cdp.identity_scratch_relation(work, prefix ~ 'tight_edges') -%}
            {%- do cdp.identity_create_table(tight_nodes, "
                select nodes.*
                from " ~ nodes ~ " as nodes
                inner join " ~ state_nodes ~ " as state on nodes.node_id = state.node_id
                inner join " ~ contested ~ " as contested on state.super_id = contested.super_id") -%}
            {%- do cdp.identity_create_table(tight_edges, "
                select edges.*
                from " ~ edges ~ " as edges
                inner join " ~ tight_nodes ~ " as tight_nodes on edges.from_node_id = tight_nodes.node_id") -%}
            {%- set tier_rounds = cdp.resolve_identity_tiers(tight_nodes, tight_edges, work, max_rounds, prefix ~ 'tight_') -%}
            {%- do round_rows.extend(tier_rounds) -%}
            {%- set tight_labels = cdp.identity_scratch_relation(work, prefix ~ 'tight_labels') -%}
            {%- set tight_status = cdp.identity_scratch_relation(work, prefix ~ 'tight_edge_status') -%}
            {%- set resolved_nodes = result_relation(work, prefix ~ 'state_nodes_resolved') -%}
            {%- do cdp.identity_create_table(resolved_nodes, "
                select
                    state.node_id,
                    state.node_type,
                    state.priority,
                    state.max_per_customer,
                    state.super_id,
                    coalesce(tight_labels.component_id, state.component_id) as component_id
                from " ~ state_nodes ~ " as state
                left join " ~ tight_labels ~ " as tight_labels on state.node_id = tight_labels.node_id") -%}
            {%- do adapter.drop_relation(state_nodes) -%}
            {%- do adapter.rename_relation(resolved_nodes, state_nodes) -%}
            {%- set resolved_status = result_relation(work, prefix ~ 'edge_status_resolved') -%}
            {%- do cdp.identity_create_table(resolved_status, "
                select from_node_id, to_node_id, tier, is_admitted, rejection_reason, first_observed_at
                from " ~ tight_status ~ "
                union all
                select
                    free.from_node_id,
                    free.to_node_id,
                    free.tier,
                    free.is_admitted,
                    free.rejection_reason,
                    free.first_observed_at
                from " ~ edge_status ~ " as free
                left join " ~ tight_nodes ~ " as tight_nodes on free.from_node_id = tight_nodes.node_id
                where tight_nodes.node_id is null") -%}
            {%- do adapter.drop_relation(edge_status) -%}
            {%- do adapter.rename_relation(resolved_status, edge_status) -%}
            {%- do cdp.identity_drop_tables([tight_nodes, tight_edges, tight_labels, tight_status]) -%}
        {%- endif -%}
        {%- do cdp.identity_run_steps([
            {'relation': rounds, 'sql': round_rows | join(' union all ')},
            {'drop': [supers.relation, contested]}]) -%}
        {{ return(n_contested) }}
    {%- endif -%}
{% endmacro %}

{#- Returns the select of the edge statuses of `edges` (rows of from_node_id, to_node_id, tier, observed_at)
    when every one is admitted: one row per distinct edge, its first observation kept, no reason. -#}
{% macro resolve_identity_admitted_status(edges) %}
    {{ return("
        select
            edges.from_node_id,
            edges.to_node_id,
            edges.tier,
            true as is_admitted,
            cast(null as " ~ dbt.type_string() ~ ") as rejection_reason,
            min(edges.observed_at) as first_observed_at
        from " ~ edges ~ " as edges
        group by edges.from_node_id, edges.to_node_id, edges.tier") }}
{% endmacro %}

{#- Returns the steps (identity_run_steps) that write `state_nodes` (each of `nodes` with its super-component
    from `supers` (node_id, component_id), looked up by its column `key`, as its customer too: a node on no
    edge is its own) and `contested` (the super-components over a type's limit), then count the contested
    ones. A type is named by its priority (unique in seed identifier_types): an integer groups faster than
    text. Were two types to share one, their values would count together: a super-component could be taken
    as contested when it is not, and the tiers would find it within the limits; none over a limit is
    missed. -#}
{% macro resolve_identity_subgraph_state_steps(nodes, supers, state_nodes, contested, key='node_id') %}
    {{ return([
        {'relation': state_nodes, 'sql': "
        select
            nodes.node_id,
            nodes.node_type,
            nodes.priority,
            nodes.max_per_customer,
            coalesce(supers.component_id, nodes." ~ key ~ ") as super_id,
            coalesce(supers.component_id, nodes." ~ key ~ ") as component_id
        from " ~ nodes ~ " as nodes
        left join " ~ supers ~ " as supers on nodes." ~ key ~ " = supers.node_id"},
        {'relation': contested, 'sql': "
        select distinct super_id
        from (
            select super_id
            from " ~ state_nodes ~ "
            group by super_id, priority, max_per_customer
            having count(*) > max_per_customer
        ) as over_limit"},
        {'sql': "select count(*) from " ~ contested}]) }}
{% endmacro %}

{#- Returns {'contested': n, 'rounds': r, 'restated': m}. An incremental run's redone part when its old
    super-components are contracted (resolve_identity_graph): each old node of `nodes` has its
    super-component's smallest node as `super_key`, a new node itself, and `pairs_sql` (integer `src`,
    `dst`) are the new edges between those keys. Leaves `__sub_state_nodes` (as resolve_identity_subgraph:
    each node takes the component of its key) and its super-components (`__sub_super_components`) and
    contested ones (`__sub_contested`), dropped by the caller. When none is contested (n = 0), every edge
    in the part is admitted and the state's rows are final; else the caller redoes the part with its
    edges. `m`: the result of `restated_sql` (a count the caller takes of the new state rows), in the same
    batch. No edge status is written: the caller has the new edges' own. -#}
{% macro resolve_identity_stood_in(nodes, pairs_sql, work, max_rounds, node_count, restated_sql) %}
    {%- set supers = cdp.connected_components(pairs_sql, work, 'sub_super', max_rounds, 50000, node_count, true) -%}
    {%- set contested = cdp.identity_scratch_relation(work, 'sub_contested') -%}
    {%- set steps = supers.steps + cdp.resolve_identity_subgraph_state_steps(nodes, supers.relation,
        cdp.identity_scratch_relation(work, 'sub_state_nodes'), contested, 'super_key') -%}
    {#- the contested ones and the restated count in one query, in place of the count alone -#}
    {%- set counts = cdp.identity_run_steps(steps[:-1] + [{'sql': "select (select count(*) from " ~ contested
        ~ "), (" ~ restated_sql ~ ")"}]).rows[0] -%}
    {{ return({'contested': counts[0], 'rounds': supers.rounds, 'restated': counts[1]}) }}
{% endmacro %}
