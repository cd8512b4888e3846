{#- Returns nothing; `dbt run-operation identity_graph_operation --args '{schema: s, nodes: n, edges: e}'`
    runs the identity graph (resolve_identity_graph) on hand-made or synthetic node and edge tables of
    schema `s` (same columns as int_identity_nodes and int_identity_edges) and leaves its work tables
    beside `<edges>`; `max_rounds` overrides var identity_max_rounds; `incremental` (true/false) overrides var
    identity_incremental: with state from an earlier run on the same tables, only what changed is redone. For tests of the guards and the scale benchmark, without building the project. -#}
{% macro identity_graph_operation(schema, nodes, edges, max_rounds=none, incremental=none) %}
    {#- Spark's target has no database -#}
    {%- set database = target.database if target.database is defined else none -%}
    {%- set nodes_relation = api.Relation.create(database=database, schema=schema, identifier=nodes) -%}
    {%- set edges_relation = api.Relation.create(database=database, schema=schema, identifier=edges) -%}
    {%- do cdp.resolve_identity_graph(nodes_relation, edges_relation, edges_relation, max_rounds, incremental) -%}
    {#- run-operation does not commit on its own: make sure a transaction is open, then commit it -#}
    {%- call statement('identity_graph_operation_done', auto_begin=True) -%}
        select 1 as done
    {%- endcall -%}
    {%- do adapter.commit() -%}
{% endmacro %}
