{#- Returns nothing; `dbt run-operation identity_graph_operation --args '{schema: s, nodes: n, edges: e}'`
    runs the identity graph (resolve_identity_graph) on hand-made or synthetic node and edge tables of
    schema `s` (same columns as int_identity_nodes and int_identity_edges) and leaves its work tables
    beside `<edges>`; `max_rounds` overrides var identity_max_rounds; `incremental` (true/false) overrides var
    identity_incremental: with state from an earlier run on the same tables, only what changed is redone.
    `keyed`: the tables name nodes by key only (nodes: node_key, node_type, priority, max_per_customer;
    edges: from_node_key, to_node_key, tier, observed_at); their integer ids are made first as the models
    make them (int_identity_nodes hashes each key, int_identity_edges looks the edges' keys up in the
    nodes), into `<nodes>__ids` and `<edges>__ids`, and the graph's work tables go beside `<edges>__ids`.
    `nodes_seen_at`: a timestamp column of `<nodes>` telling when each was first seen (as first_seen_at of
    int_identity_nodes): an incremental run finds the new nodes by it (see resolve_identity_graph).
    For tests of the guards and the scale benchmark, without building the project. -#}
{% macro identity_graph_operation(schema, nodes, edges, max_rounds=none, incremental=none, keyed=false,
    nodes_seen_at=none) %}
    {#- Spark's target has no database -#}
    {%- set database = target.database if target.database is defined else none -%}
    {%- set nodes_relation = api.Relation.create(database=database, schema=schema, identifier=nodes) -%}
    {%- set edges_relation = api.Relation.create(database=database, schema=schema, identifier=edges) -%}
    {%- if keyed -%}
        {%- set keyed_nodes, keyed_edges = nodes_relation, edges_relation -%}
        {%- set nodes_relation = cdp.identity_work_relation(keyed_nodes, 'ids') -%}
        {%- set edges_relation = cdp.identity_work_relation(keyed_edges, 'ids') -%}
        {%- do cdp.identity_create_table(nodes_relation, "
            select
                " ~ cdp.identity_node_id('node_key') ~ " as node_id,
                node_key,
                node_type,
                priority,
                max_per_customer
            from " ~ keyed_nodes) -%}
        {%- do cdp.identity_create_table(edges_relation, "
            select
                from_nodes.node_id as from_node_id,
                to_nodes.node_id as to_node_id,
                edges.tier,
                edges.observed_at
            from " ~ keyed_edges ~ " as edges
            inner join " ~ nodes_relation ~ " as from_nodes on edges.from_node_key = from_nodes.node_key
            inner join " ~ nodes_relation ~ " as to_nodes on edges.to_node_key = to_nodes.node_key") -%}
    {%- endif -%}
    {%- do cdp.resolve_identity_graph(nodes_relation, edges_relation, edges_relation, max_rounds, incremental,
        none if keyed else nodes_seen_at) -%}
    {#- run-operation does not commit on its own: make sure a transaction is open, then commit it -#}
    {%- call statement('identity_graph_operation_done', auto_begin=True) -%}
        select 1 as done
    {%- endcall -%}
    {%- do adapter.commit() -%}
{% endmacro %}
