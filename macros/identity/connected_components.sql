{#- Returns {'relation': r, 'rounds': n}: `r` holds one row (node_id, component_id) per node on an edge of
    `edges_sql` (a select of integer `src`, `dst`; pass each pair once: the rounds read it both ways, and
    a repeated pair only adds rows to every join), component_id being the smallest node_id of the node's
    connected component.

    FastSV-style min-label hooking with pointer jumping (Zhang, Azad and Buluc 2020). Round 0 gives each
    node its smallest neighbour (or itself), round 1 the smallest of its neighbours' round-0 parents (the
    minimum within two hops: one join and one group-by). Each later round takes, per node, the smallest
    grandparent among itself and its neighbours (aggressive hooking and shortcutting) and hooks the node's
    parent onto it too (stochastic hooking). Parents only decrease and never leave their component, and
    pointer jumping halves path lengths, so the rounds grow with the log of a component's size, not its
    diameter (a 200,000-node chain with shuffled ids converges in about 20). Each round is one table built
    from plain joins and group-bys (runs on Spark as on DuckDB), then an explicit convergence check: a
    round that changes no parent means every tree is a star rooted at its component's minimum. More than
    `max_rounds` (default var identity_max_rounds) rounds fails the build.

    Finished components leave the rounds: after rounds 1, 2, 4, 8, ... a group of nodes sharing a parent,
    with no edge to a node of another group, is a whole component, every node pointing at its minimum, so
    its nodes are set aside with their labels and later rounds join only the components still converging
    (a graph of many small customers and a few long chains spends its later rounds on the chains alone;
    round 1 alone closes every customer whose records share one anchor). The prune's counts are the
    convergence check of its round: no open group left. Only while at least `prune_min_nodes` nodes
    (`node_count` at the start, when the caller knows it) are still in the rounds: setting parts aside
    costs four statements, more than a round over a small graph (an incremental run's redone part) saves. -#}
{% macro connected_components(edges_sql, work, label, max_rounds=none, prune_min_nodes=0, node_count=none) %}
    {%- set max_rounds = max_rounds or var('identity_max_rounds', 40) -%}
    {%- set edges = cdp.identity_scratch_relation(work, label ~ '_edges') -%}
    {%- do cdp.identity_create_table(edges, "
        select src, dst from (" ~ edges_sql ~ ") as given
        where src <> dst
        union all
        select dst as src, src as dst from (" ~ edges_sql ~ ") as given_reversed
        where src <> dst") -%}
    {%- set parents = cdp.identity_scratch_relation(work, label ~ '_round_0') -%}
    {%- do cdp.identity_create_table(parents, "
        select src as node_id, least(src, min(dst)) as parent_id
        from " ~ edges ~ "
        group by src") -%}
    {%- if node_count is none and prune_min_nodes > 0 -%}
        {%- set node_count = run_query("select count(*) from " ~ parents).columns[0].values()[0] -%}
    {%- endif -%}
    {#- `pairs`: each edge once, for the prune's check (both ends are marked, so one way is enough) -#}
    {%- set state = namespace(parents=parents, edges=edges, pairs="(" ~ edges_sql ~ ")", rounds=0,
        converged=false, pruned=[], stale=[],
        open_nodes=node_count or 0) -%}
    {%- set prune_rounds = [1, 2, 4, 8, 16, 32, 64] -%}
    {%- for round in range(1, max_rounds + 1) -%}
        {%- if not state.converged -%}
            {%- set next_parents = cdp.identity_scratch_relation(work, label ~ '_round_' ~ round) -%}
            {%- if round == 1 -%}
                {%- do cdp.identity_create_table(next_parents,
                    cdp.connected_components_first_round(state.edges, state.parents)) -%}
            {%- else -%}
                {%- do cdp.identity_create_table(next_parents,
                    cdp.connected_components_round(state.edges, state.parents)) -%}
            {%- endif -%}
            {%- do state.stale.append(state.parents) -%}
            {%- set previous_parents = state.parents -%}
            {%- set state.parents = next_parents -%}
            {%- set state.rounds = round -%}
            {%- if round in prune_rounds and state.open_nodes >= prune_min_nodes -%}
                {#- the prune's counts tell convergence too: no group with an edge to another group -#}
                {%- do cdp.connected_components_prune(work, label, round, state) -%}
            {%- else -%}
                {%- set changed = run_query(
                    "select count(*) from " ~ next_parents ~ " as next_round inner join " ~ previous_parents
                    ~ " as previous_round on next_round.node_id = previous_round.node_id"
                    ~ " where next_round.parent_id <> previous_round.parent_id").columns[0].values()[0] -%}
                {%- if changed == 0 -%}
                    {%- set state.converged = true -%}
                {%- endif -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if state.edges.identifier != edges.identifier -%}
        {%- do state.stale.append(state.edges) -%}
    {%- endif -%}
    {%- do state.stale.append(edges) -%}
    {%- if not state.converged -%}
        {%- do cdp.identity_drop_tables(state.stale + state.pruned + [state.parents]) -%}
        {%- do exceptions.raise_compiler_error(
            "identity graph `" ~ label ~ "` did not converge in " ~ max_rounds ~ " rounds (var identity_max_rounds);"
            ~ " parents still changing: a component is far larger than expected or the graph is corrupt") -%}
    {%- endif -%}
    {%- set result = cdp.identity_scratch_relation(work, label ~ '_components') -%}
    {%- set finished = ["select node_id, parent_id as component_id from " ~ state.parents] -%}
    {%- for relation in state.pruned -%}
        {%- do finished.append("select node_id, component_id from " ~ relation) -%}
    {%- endfor -%}
    {%- do cdp.identity_create_table(result, finished | join(" union all ")) -%}
    {%- do cdp.identity_drop_tables(state.stale + state.pruned + [state.parents]) -%}
    {{ return({'relation': result, 'rounds': state.rounds}) }}
{% endmacro %}

{#- Sets aside the finished components of `state` (see connected_components): their nodes go to a table of
    their own, appended to `state.pruned`; `state.parents` and `state.edges` keep the rest, and
    `state.open_nodes` their count. A group (the nodes of one parent) with no edge to another group is a
    whole component whose nodes all point at its minimum, so only the groups with such an edge (few, once
    the small components have closed) are looked up; the rest need no check. When none is left, the
    rounds have converged. -#}
{% macro connected_components_prune(work, label, round, state) %}
    {%- set open_groups = cdp.identity_scratch_relation(work, label ~ '_open_groups_' ~ round) -%}
    {#- an edge between two groups opens both: each pair is read once, its two ends marked -#}
    {%- do cdp.identity_create_table(open_groups, "
        select distinct
            case when ends.end_number = 1 then from_parents.parent_id else to_parents.parent_id end as group_id
        from " ~ state.pairs ~ " as pairs
        inner join " ~ state.parents ~ " as from_parents on pairs.src = from_parents.node_id
        inner join " ~ state.parents ~ " as to_parents on pairs.dst = to_parents.node_id
        cross join (select 1 as end_number union all select 2 as end_number) as ends
        where from_parents.parent_id <> to_parents.parent_id") -%}
    {%- set finished = cdp.identity_scratch_relation(work, label ~ '_finished_' ~ round) -%}
    {%- do cdp.identity_create_table(finished, "
        select parents.node_id, parents.parent_id as component_id
        from " ~ state.parents ~ " as parents
        left join " ~ open_groups ~ " as open_groups on parents.parent_id = open_groups.group_id
        where open_groups.group_id is null") -%}
    {%- set counts = run_query("select (select count(*) from " ~ finished ~ "), (select count(*) from "
        ~ state.parents ~ ")").rows[0] -%}
    {%- do state.stale.append(open_groups) -%}
    {%- if counts[0] == counts[1] -%}
        {#- every group closed: the parents are the components; nothing is left to the rounds -#}
        {%- do state.stale.append(finished) -%}
        {%- set state.converged = true -%}
    {%- elif counts[0] == 0 -%}
        {%- do state.stale.append(finished) -%}
        {%- set state.open_nodes = counts[1] -%}
    {%- else -%}
        {%- do state.pruned.append(finished) -%}
        {%- set open_parents = cdp.identity_scratch_relation(work, label ~ '_open_' ~ round) -%}
        {%- set open_edges = cdp.identity_scratch_relation(work, label ~ '_edges_' ~ round) -%}
        {%- do cdp.identity_create_table(open_parents, "
            select parents.node_id, parents.parent_id
            from " ~ state.parents ~ " as parents
            inner join " ~ open_groups ~ " as open_groups on parents.parent_id = open_groups.group_id") -%}
        {#- both ends of an edge lie in one component: an open source means an open edge -#}
        {%- do cdp.identity_create_table(open_edges, "
            select edges.src, edges.dst
            from " ~ state.edges ~ " as edges
            inner join " ~ open_parents ~ " as open_parents on edges.src = open_parents.node_id") -%}
        {%- do state.stale.append(state.parents) -%}
        {%- if not state.edges.identifier.endswith('__' ~ label ~ '_edges') -%}
            {%- do state.stale.append(state.edges) -%}
        {%- endif -%}
        {%- set state.parents = open_parents -%}
        {%- set state.edges = open_edges -%}
        {%- set state.pairs = open_edges -%}
        {%- set state.open_nodes = counts[1] - counts[0] -%}
    {%- endif -%}
{% endmacro %}

{#- Returns the select of the first round after round 0 (each node's smallest neighbour, itself included):
    each node's parent becomes the smallest round-0 parent among its neighbours, the minimum within two
    hops. One join and one group-by, against a full round's five joins and two group-bys; it closes every
    component of diameter two or less (a person's records around one anchor), which the prune after it
    sets aside. A parent is never above its node and lies in its component, so the rounds after it start
    from a valid forest. -#}
{% macro connected_components_first_round(edges, parents) -%}
    select
        edges.src as node_id,
        min(parents.parent_id) as parent_id
    from {{ edges }} as edges
    inner join {{ parents }} as parents
        on edges.dst = parents.node_id
    group by edges.src
{%- endmacro %}

{#- Returns the select of one round of connected_components: the next parent of every node. -#}
{% macro connected_components_round(edges, parents) -%}
    with grandparents as (
        select
            parents.node_id,
            parents.parent_id,
            grand.parent_id as grandparent_id
        from {{ parents }} as parents
        inner join {{ parents }} as grand
            on parents.parent_id = grand.node_id
    ),
    neighbour_minimum as (
        select
            edges.src as node_id,
            min(grandparents.grandparent_id) as grandparent_id
        from {{ edges }} as edges
        inner join grandparents
            on edges.dst = grandparents.node_id
        group by edges.src
    ),
    parent_hooks as (
        select
            grandparents.parent_id as node_id,
            min(neighbour_minimum.grandparent_id) as grandparent_id
        from grandparents
        inner join neighbour_minimum
            on grandparents.node_id = neighbour_minimum.node_id
        group by grandparents.parent_id
    )
    select
        grandparents.node_id,
        least(
            grandparents.grandparent_id,
            coalesce(neighbour_minimum.grandparent_id, grandparents.grandparent_id),
            coalesce(parent_hooks.grandparent_id, grandparents.grandparent_id)
        ) as parent_id
    from grandparents
    left join neighbour_minimum
        on grandparents.node_id = neighbour_minimum.node_id
    left join parent_hooks
        on grandparents.node_id = parent_hooks.node_id
{%- endmacro %}
