{#- Returns nothing; the last step of resolve_identity_graph. Writes the state the next incremental run
    compares itself with, beside `work`: `__state_nodes` (node_key, attributes, component_id, super_id)
    and `__state_edges` (edge keys, tier, first observation, is_admitted, rejection_reason). A node's
    super-component joins its component with every component a refused edge reaches (in rounds over the
    contracted graph, which is small: one node per component, one edge per refused candidate edge). -#}
{% macro save_identity_state(nodes, work) %}
    {%- set labels = cdp.identity_work_relation(work, 'labels') -%}
    {%- set edge_status = cdp.identity_work_relation(work, 'edge_status') -%}
    {%- set keyed_edges = cdp.identity_work_relation(work, 'keyed_edges') -%}
    {%- set state_nodes = cdp.identity_work_relation(work, 'state_nodes') -%}
    {%- set state_edges = cdp.identity_work_relation(work, 'state_edges') -%}
    {%- set supers = cdp.connected_components("
        select from_labels.component_id as src, to_labels.component_id as dst
        from " ~ edge_status ~ " as status
        inner join " ~ labels ~ " as from_labels on status.from_node_id = from_labels.node_id
        inner join " ~ labels ~ " as to_labels on status.to_node_id = to_labels.node_id
        where not status.is_admitted and from_labels.component_id <> to_labels.component_id", work, 'super') -%}
    {%- do adapter.drop_relation(state_nodes) -%}
    {%- do run_query(create_table_as(False, state_nodes, "
        select
            nodes.node_key,
            nodes.node_type,
            nodes.priority,
            nodes.max_per_customer,
            labels.component_id,
            coalesce(supers.component_id, labels.component_id) as super_id
        from " ~ nodes ~ " as nodes
        inner join " ~ labels ~ " as labels on nodes.node_id = labels.node_id
        left join " ~ supers.relation ~ " as supers on labels.component_id = supers.node_id")) -%}
    {%- do adapter.drop_relation(state_edges) -%}
    {%- do run_query(create_table_as(False, state_edges, "
        select
            keyed.from_node_key,
            keyed.to_node_key,
            keyed.tier,
            keyed.first_observed_at,
            status.is_admitted,
            status.rejection_reason
        from " ~ keyed_edges ~ " as keyed
        inner join " ~ edge_status ~ " as status
            on keyed.from_node_id = status.from_node_id
            and keyed.to_node_id = status.to_node_id")) -%}
    {%- do adapter.drop_relation(supers.relation) -%}
    {%- do adapter.drop_relation(keyed_edges) -%}
{% endmacro %}
