{#- Returns {'relation': r, 'rounds': n}: `r` holds one row (node_id, component_id) per node on an edge of
    `edges_sql` (a select of integer `src`, `dst`; pass each pair once: the later rounds read it both ways,
    and a repeated pair only adds rows to every join), component_id being the smallest node_id of the
    node's connected component.

    FastSV-style min-label hooking with pointer jumping (Zhang, Azad and Buluc 2020). Round 1 hooks every
    node onto the smallest member of the stars it belongs to, a star being a source and the nodes it points
    at (connected_components_first_round): the pairs are read one way, and a customer whose records share
    their anchor closes at once. Each later round takes, per node, the smallest grandparent among itself
    and its neighbours (aggressive hooking and shortcutting) and hooks the node's parent onto it too
    (stochastic hooking). Parents only decrease and never leave their component, and pointer jumping
    halves path lengths, so the rounds grow with the log of a component's size, not its diameter (a
    200,000-node chain with shuffled ids converges in about 20). Each round is one table built from plain
    joins and group-bys (runs on Spark as on DuckDB), then an explicit convergence check: no edge joins
    two nodes of different parents (connected_components_crossing_edges), so the round that reaches the
    labels is the last; a check that waited for a round changing no parent would cost one round more.
    More than `max_rounds` (default var identity_max_rounds) rounds fails the build.

    Finished components leave the rounds: after rounds 1, 2, 4, 8, ... a group of nodes sharing a parent,
    with no edge to a node of another group, is a whole component, every node pointing at its minimum, so
    its nodes are set aside with their labels and later rounds join only the components still converging
    (a graph of many small customers and a few long chains spends its later rounds on the chains alone).
    The prune's counts are the convergence check of its round: no open group left. Only while at least
    `prune_min_nodes` nodes (`node_count` at the start, when the caller knows it) are still in the rounds:
    setting parts aside costs five statements, more than a round over a small graph (an incremental run's
    redone part) saves. With `defer_final`, the steps that write `r` and drop the rounds' tables are not
    run but returned as `steps` (identity_run_steps), for the caller's next batch. -#}
{% macro connected_components(edges_sql, work, label, max_rounds=none, prune_min_nodes=0, node_count=none,
    defer_final=false) %}
    {%- set max_rounds = max_rounds or var('identity_max_rounds', 40) -%}
    {#- `pairs`: each edge once, as the caller gives it; round 1 and the prune read it one way -#}
    {%- set state = namespace(parents=none, edges=none, pairs="(" ~ edges_sql ~ ")", stars=none, rounds=0,
        converged=false, pruned=[], stale=[], open_nodes=node_count or 0) -%}
    {%- set prune_rounds = [1, 2, 4, 8, 16, 32, 64] -%}
    {%- for round in range(1, max_rounds + 1) -%}
        {%- if not state.converged -%}
            {%- set next_parents = cdp.identity_scratch_relation(work, label ~ '_round_' ~ round) -%}
            {#- the round's tables, and its convergence check unless a prune takes its place: one batch -#}
            {%- set steps = [] -%}
            {%- if round == 1 -%}
                {%- set state.stars = cdp.identity_scratch_relation(work, label ~ '_stars') -%}
                {%- do steps.append({'relation': state.stars, 'sql': cdp.connected_components_stars(state.pairs)}) -%}
                {%- do state.stale.append(state.stars) -%}
                {%- do steps.append({'relation': next_parents,
                    'sql': cdp.connected_components_first_round(state.pairs, state.stars)}) -%}
                {%- if state.open_nodes == 0 and prune_min_nodes > 0 -%}
                    {%- do steps.append({'sql': "select count(*) from " ~ next_parents}) -%}
                {%- endif -%}
            {%- else -%}
                {%- if state.edges is none -%}
                    {#- the later rounds read each edge both ways -#}
                    {%- set state.edges = cdp.identity_scratch_relation(work, label ~ '_edges') -%}
                    {%- do steps.append({'relation': state.edges,
                        'sql': cdp.connected_components_both_ways(state.pairs)}) -%}
                    {%- do state.stale.append(state.edges) -%}
                {%- endif -%}
                {%- do steps.append({'relation': next_parents,
                    'sql': cdp.connected_components_round(state.edges, state.parents)}) -%}
                {%- do state.stale.append(state.parents) -%}
            {%- endif -%}
            {%- set prunes = round in prune_rounds and state.open_nodes >= prune_min_nodes -%}
            {%- if round > 1 and not prunes -%}
                {#- converged when no edge joins two parents: see connected_components_crossing_edges -#}
                {%- do steps.append({'sql': cdp.connected_components_crossing_edges(state.pairs, next_parents)}) -%}
            {%- endif -%}
            {%- set round_result = cdp.identity_run_steps(steps) -%}
            {%- if round == 1 and state.open_nodes == 0 and prune_min_nodes > 0 -%}
                {%- set state.open_nodes = round_result.columns[0].values()[0] -%}
                {%- set prunes = round in prune_rounds and state.open_nodes >= prune_min_nodes -%}
            {%- endif -%}
            {%- set state.parents = next_parents -%}
            {%- set state.rounds = round -%}
            {%- if prunes -%}
                {#- the prune's counts tell convergence too: no group with an edge to another group -#}
                {%- do cdp.connected_components_prune(work, label, round, state) -%}
            {%- elif round > 1 and round_result.columns[0].values()[0] == 0 -%}
                {%- set state.converged = true -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
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
    {%- set final_steps = [
        {'relation': result, 'sql': finished | join(" union all ")},
        {'drop': state.stale + state.pruned + [state.parents]}] -%}
    {%- if defer_final -%}
        {{ return({'relation': result, 'rounds': state.rounds, 'steps': final_steps}) }}
    {%- endif -%}
    {%- do cdp.identity_run_steps(final_steps) -%}
    {{ return({'relation': result, 'rounds': state.rounds}) }}
{% endmacro %}

{#- Sets aside the finished components of `state` (see connected_components): their nodes go to a table of
    their own, appended to `state.pruned`; `state.parents` and `state.pairs` keep the rest (the next round
    makes their pairs symmetric: `state.edges`), and `state.open_nodes` their count. A group (the nodes
    of one parent) with no edge to another group is a whole component whose nodes all point at its
    minimum, so only the groups with such an edge (few, once the small components have closed) are looked
    up; the rest need no check. When none is left, the rounds have converged. -#}
{% macro connected_components_prune(work, label, round, state) %}
    {%- set open_groups = cdp.identity_scratch_relation(work, label ~ '_open_groups_' ~ round) -%}
    {%- set finished = cdp.identity_scratch_relation(work, label ~ '_finished_' ~ round) -%}
    {%- if round == 1 -%}
    {#- after round 1 (see connected_components_first_round): the minima of every star holding a node whose
        stars differ in their minimum. An edge between two groups lies in a star; an end whose parent is
        below that star's minimum is in a second star with a smaller one, and its stars' minima name both
        groups. The pairs are only probed for those nodes (few): no join over every node. -#}
    {%- set open_groups_sql = "
        with shared as (
            select node_id from " ~ state.parents ~ " where is_shared
        )
        select stars.star_minimum as group_id
        from " ~ state.stars ~ " as stars
        inner join shared on stars.node_id = shared.node_id
        union
        select stars.star_minimum as group_id
        from " ~ state.pairs ~ " as pairs
        inner join shared on pairs.dst = shared.node_id
        inner join " ~ state.stars ~ " as stars on pairs.src = stars.node_id
        where pairs.src <> pairs.dst" -%}
    {%- else -%}
    {#- an edge between two groups opens both: each pair is read once, its two ends marked -#}
    {%- set open_groups_sql = "
        select distinct
            case when ends.end_number = 1 then from_parents.parent_id else to_parents.parent_id end as group_id
        from " ~ state.pairs ~ " as pairs
        inner join " ~ state.parents ~ " as from_parents on pairs.src = from_parents.node_id
        inner join " ~ state.parents ~ " as to_parents on pairs.dst = to_parents.node_id
        cross join (select 1 as end_number union all select 2 as end_number) as ends
        where from_parents.parent_id <> to_parents.parent_id" -%}
    {%- endif -%}
    {%- set counts = cdp.identity_run_steps([
        {'relation': open_groups, 'sql': open_groups_sql},
        {'relation': finished, 'sql': "
        select parents.node_id, parents.parent_id as component_id
        from " ~ state.parents ~ " as parents
        left join " ~ open_groups ~ " as open_groups on parents.parent_id = open_groups.group_id
        where open_groups.group_id is null"},
        {'sql': "select (select count(*) from " ~ finished ~ "), (select count(*) from " ~ state.parents ~ ")"}
    ]).rows[0] -%}
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
        {%- set open_pairs = cdp.identity_scratch_relation(work, label ~ '_pairs_' ~ round) -%}
        {#- both ends of an edge lie in one component: an open source means an open edge -#}
        {%- do cdp.identity_run_steps([
            {'relation': open_parents, 'sql': "
            select parents.node_id, parents.parent_id
            from " ~ state.parents ~ " as parents
            inner join " ~ open_groups ~ " as open_groups on parents.parent_id = open_groups.group_id"},
            {'relation': open_pairs, 'sql': "
            select pairs.src, pairs.dst
            from " ~ state.pairs ~ " as pairs
            inner join " ~ open_parents ~ " as open_parents on pairs.src = open_parents.node_id"}]) -%}
        {%- do state.stale.extend([state.parents, open_pairs]) -%}
        {%- set state.parents = open_parents -%}
        {#- the next round reads the open pairs both ways -#}
        {%- set state.edges = none -%}
        {%- set state.pairs = open_pairs -%}
        {%- set state.open_nodes = counts[1] - counts[0] -%}
    {%- endif -%}
{% endmacro %}

{#- Returns the query of the convergence check of a round: the number of `pairs` (integer `src`, `dst`)
    whose ends have different parents in `parents` (node_id, parent_id). None means every node of a
    component has one parent, a node of that component (parents never leave it): its minimum, whose own
    parent can be no smaller. So the parents are the labels. -#}
{% macro connected_components_crossing_edges(pairs, parents) -%}
    select count(*)
    from {{ pairs }} as pairs
    inner join {{ parents }} as from_parents
        on pairs.src = from_parents.node_id
    inner join {{ parents }} as to_parents
        on pairs.dst = to_parents.node_id
    where from_parents.parent_id <> to_parents.parent_id
{%- endmacro %}

{#- Returns the select of round 1 from `pairs` (integer `src`, `dst`, read one way) and their `stars`
    (connected_components_stars: each source's star, the source and every node it points at, with its
    smallest member): each node takes the smallest minimum among the stars it belongs to (its own and
    those pointing at it). One join of the pairs with the stars and an aggregate by node: no pair is read
    both ways. A node's parent is at most its smallest neighbour (what a plain first hook gives) and,
    through the stars, often the minimum two hops away; every component that is one star closes here (the
    graph's edges run from a record's anchor to its other identifiers: a customer whose records share
    their anchor is one star), and the prune after it sets those aside. A parent is never above its node
    and lies in its component, so the rounds after it start from a valid forest. `is_shared`: the node's
    stars differ in their minimum (the prune after round 1 starts from those nodes). Self-pairs are left
    out. -#}
{% macro connected_components_first_round(pairs, stars) -%}
    with memberships as (
        select
            pairs.dst as node_id,
            stars.star_minimum
        from {{ pairs }} as pairs
        inner join {{ stars }} as stars
            on pairs.src = stars.node_id
        where pairs.src <> pairs.dst
        union all
        select
            node_id,
            star_minimum
        from {{ stars }}
    )
    select
        node_id,
        min(star_minimum) as parent_id,
        min(star_minimum) <> max(star_minimum) as is_shared
    from memberships
    group by node_id
{%- endmacro %}

{#- Returns the select of the stars of `pairs` (integer `src`, `dst`): each source (node_id) with the
    smallest of itself and the nodes it points at (star_minimum). Self-pairs are left out. -#}
{% macro connected_components_stars(pairs) -%}
    select
        pairs.src as node_id,
        least(pairs.src, min(pairs.dst)) as star_minimum
    from {{ pairs }} as pairs
    where pairs.src <> pairs.dst
    group by pairs.src
{%- endmacro %}

{#- Returns the select of `pairs` (integer `src`, `dst`) read both ways, self-pairs left out: the edges
    the rounds after the first join on. -#}
{% macro connected_components_both_ways(pairs) -%}
    select pairs.src, pairs.dst
    from {{ pairs }} as pairs
    where pairs.src <> pairs.dst
    union all
    select pairs.dst as src, pairs.src as dst
    from {{ pairs }} as pairs
    where pairs.src <> pairs.dst
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
