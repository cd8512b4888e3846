{#- Returns the rounds used per tier (a list of selects of `tier, rounds`); run by resolve_identity_subgraph
    on the super-components where a limit is at stake. Admits the candidate edges of `edges` (see
    int_identity_edges) tier by tier, strongest first, and leaves two work tables beside `work`:
    `__<prefix>labels` (node_id, component_id) and `__<prefix>edge_status` (one row per distinct edge:
    tier, is_admitted, rejection_reason, first_observed_at).

    Per tier, an edge is refused when it would leave a customer with more values of a type than the
    type's max_per_customer (seed identifier_types), in two passes: (1) an identifier of the tier that
    touches several customers whose union breaks a limit keeps only its earliest-seen customer; (2) a
    customer the tier's remaining edges would still assemble over a limit gets none of the tier's edges
    (it falls back to the customers of the stronger tiers, which kept every limit). So no customer ever
    breaks a limit, and a weaker edge never undoes a stronger one. -#}
{% macro resolve_identity_tiers(nodes, edges, work, max_rounds, prefix) %}
    {%- if execute -%}
        {%- set labels = cdp.identity_scratch_relation(work, prefix ~ 'labels') -%}
        {%- set string = dbt.type_string() -%}
        {%- do cdp.identity_create_table(labels, "select node_id, node_id as component_id from " ~ nodes) -%}
        {%- set tiers = run_query("select distinct tier from " ~ edges ~ " order by tier").columns[0].values() -%}
        {%- set round_rows = [] -%}
        {%- set status_tables = [] -%}
        {%- for tier in tiers -%}
            {%- set candidates = cdp.identity_scratch_relation(work, prefix ~ 'candidates') -%}
            {%- do cdp.identity_create_table(candidates, "
                select
                    edges.from_node_id,
                    edges.to_node_id,
                    from_labels.component_id as from_component_id,
                    to_labels.component_id as to_component_id,
                    min(edges.observed_at) as first_observed_at
                from " ~ edges ~ " as edges
                inner join " ~ labels ~ " as from_labels on edges.from_node_id = from_labels.node_id
                inner join " ~ labels ~ " as to_labels on edges.to_node_id = to_labels.node_id
                where edges.tier = " ~ tier ~ "
                group by edges.from_node_id, edges.to_node_id, from_labels.component_id, to_labels.component_id") -%}
            {#- pass 1: an identifier whose customers would together break a limit keeps its first one -#}
            {%- set refused = cdp.identity_scratch_relation(work, prefix ~ 'refused') -%}
            {%- do cdp.identity_create_table(refused, "
                with component_types as (
                    select labels.component_id, nodes.node_type, nodes.max_per_customer, count(*) as n
                    from " ~ labels ~ " as labels
                    inner join " ~ nodes ~ " as nodes on labels.node_id = nodes.node_id
                    group by labels.component_id, nodes.node_type, nodes.max_per_customer
                ),
                touched as (
                    select to_node_id, from_component_id as component_id, min(first_observed_at) as first_observed_at
                    from " ~ candidates ~ "
                    where from_component_id <> to_component_id
                    group by to_node_id, from_component_id
                    union all
                    select distinct to_node_id, to_component_id as component_id, null as first_observed_at
                    from " ~ candidates ~ "
                ),
                ranked as (
                    select
                        to_node_id,
                        component_id,
                        row_number() over (
                            partition by to_node_id
                            order by case when first_observed_at is null then 0 else 1 end, first_observed_at, component_id
                        ) as component_rank
                    from touched
                ),
                over_limit as (
                    select
                        touched.to_node_id,
                        'would put ' || cast(sum(component_types.n) as " ~ string ~ ") || ' ' || component_types.node_type
                            || ' values in one customer (limit ' || cast(component_types.max_per_customer as " ~ string ~ ")
                            || ')' as rejection_reason
                    from touched
                    inner join component_types on touched.component_id = component_types.component_id
                    group by touched.to_node_id, component_types.node_type, component_types.max_per_customer
                    having sum(component_types.n) > component_types.max_per_customer
                ),
                conflicting as (
                    select to_node_id, min(rejection_reason) as rejection_reason
                    from over_limit
                    group by to_node_id
                )
                select candidates.from_node_id, candidates.to_node_id, conflicting.rejection_reason
                from " ~ candidates ~ " as candidates
                inner join conflicting on candidates.to_node_id = conflicting.to_node_id
                inner join ranked
                    on candidates.to_node_id = ranked.to_node_id
                    and candidates.from_component_id = ranked.component_id
                where ranked.component_rank > 2") -%}
            {%- set cc = cdp.connected_components("
                select distinct candidates.from_component_id as src, candidates.to_component_id as dst
                from " ~ candidates ~ " as candidates
                left join " ~ refused ~ " as refused
                    on candidates.from_node_id = refused.from_node_id and candidates.to_node_id = refused.to_node_id
                where refused.to_node_id is null", work, prefix ~ 'tier', max_rounds) -%}
            {%- do round_rows.append("select " ~ tier ~ " as tier, " ~ cc.rounds ~ " as rounds") -%}
            {#- pass 2: a customer the tier would still assemble over a limit keeps its stronger parts -#}
            {%- set merged = cdp.identity_scratch_relation(work, prefix ~ 'merged') -%}
            {%- do cdp.identity_create_table(merged, "
                with merged_types as (
                    select coalesce(merged.component_id, labels.component_id) as merged_id,
                        nodes.node_type, nodes.max_per_customer, count(*) as n
                    from " ~ labels ~ " as labels
                    inner join " ~ nodes ~ " as nodes on labels.node_id = nodes.node_id
                    left join " ~ cc.relation ~ " as merged on labels.component_id = merged.node_id
                    group by coalesce(merged.component_id, labels.component_id), nodes.node_type, nodes.max_per_customer
                ),
                over_limit as (
                    select merged_id, min('customer would hold ' || cast(n as " ~ string ~ ") || ' ' || node_type
                        || ' values (limit ' || cast(max_per_customer as " ~ string ~ ") || ')') as rejection_reason
                    from merged_types
                    where n > max_per_customer
                    group by merged_id
                )
                select merged.node_id as component_id,
                    case when over_limit.merged_id is null then merged.component_id else merged.node_id end as merged_id,
                    over_limit.rejection_reason
                from " ~ cc.relation ~ " as merged
                left join over_limit on merged.component_id = over_limit.merged_id") -%}
            {%- set status = cdp.identity_scratch_relation(work, prefix ~ 'edge_status_' ~ loop.index) -%}
            {%- do cdp.identity_create_table(status, "
                select
                    candidates.from_node_id,
                    candidates.to_node_id,
                    " ~ tier ~ " as tier,
                    refused.to_node_id is null and merged.rejection_reason is null as is_admitted,
                    coalesce(refused.rejection_reason, merged.rejection_reason) as rejection_reason,
                    candidates.first_observed_at
                from " ~ candidates ~ " as candidates
                left join " ~ refused ~ " as refused
                    on candidates.from_node_id = refused.from_node_id and candidates.to_node_id = refused.to_node_id
                left join " ~ merged ~ " as merged
                    on candidates.from_component_id = merged.component_id") -%}
            {%- do status_tables.append(status) -%}
            {%- set next_labels = cdp.identity_scratch_relation(work, prefix ~ 'labels_next') -%}
            {%- do cdp.identity_create_table(next_labels, "
                select labels.node_id, coalesce(merged.merged_id, labels.component_id) as component_id
                from " ~ labels ~ " as labels
                left join " ~ merged ~ " as merged on labels.component_id = merged.component_id") -%}
            {%- do adapter.drop_relation(labels) -%}
            {%- do adapter.rename_relation(next_labels, labels) -%}
            {%- do cdp.identity_drop_tables([candidates, refused, merged, cc.relation]) -%}
        {%- endfor -%}
        {%- set edge_status = cdp.identity_scratch_relation(work, prefix ~ 'edge_status') -%}
        {%- set status_selects = [] -%}
        {%- for status in status_tables -%}
            {%- do status_selects.append("select * from " ~ status) -%}
        {%- endfor -%}
        {%- do cdp.identity_create_table(edge_status, status_selects | join(' union all ')) -%}
        {%- do cdp.identity_drop_tables(status_tables) -%}
    {%- endif -%}
    {{ return(round_rows) }}
{% endmacro %}
