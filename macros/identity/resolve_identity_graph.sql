{#- Returns nothing; run as int_identity_graph's pre-hook (and by identity_graph_operation). Leaves beside
    `work` the tables of resolve_identity_subgraph: `__state_nodes` (node id, attributes, super-component,
    component), `__edge_status` (one row per distinct candidate edge: tier, is_admitted, rejection_reason,
    first_observed_at) and `__rounds`; the view `__labels` (node_id, component_id) over the state;
    `__watermark` (counts and checksums of the nodes and edges this run read, their latest observed_at and,
    with `nodes_seen_at` (a timestamp column of `nodes`: when each node was first seen), the nodes' latest) and
    `__incremental` (how the run went: mode, nodes, nodes redone, change_detection, old_edges). State
    nodes, edge status and watermark are the state the next run starts from.

    Incremental runs redo only what new data can change. Decisions (limits, tiers, components) are taken
    within a super-component: the nodes joined by any candidate edge, admitted or refused; nothing outside
    one can change anything in it. The nodes of a changed edge or with changed attributes, new or gone,
    are dirty (a node id names the same node in every run: int_identity_nodes hashes the node key); the
    super-components they were in, plus the new nodes, are resolved again from scratch
    (resolve_identity_subgraph), and only their rows of state and edge status are replaced
    (identity_replace_rows: delete + insert on DuckDB); when no old node's row changes, the new nodes'
    rows are only added, and when the edge rows are proven appended and no old edge changes status, the
    new edges' statuses are only added (no delete, a scan on DuckDB). With a change set whose affected
    super-components were all within the limits, their old edges are not read: each stands in for them
    as one node, its smallest, through which the new edges are read, and they are read only if the redone
    part then holds one over a limit (`old_edges` in `__incremental`). Every other node keeps its
    component and every other edge its
    status. The result equals a full run's. The tables and the query between two decisions run as one
    batch (identity_run_steps).

    Finding the dirty nodes (change_detection):
    - `change set`: the edge rows observed after the watermark are the new ones, and so are the nodes
      first seen after the nodes' latest (with `nodes_seen_at`); one scan of each table proves they are
      the only change (the other rows' count and checksum equal the last run's; without `nodes_seen_at`,
      the nodes besides the new rows' ends equal the state's). The new nodes and the new rows' ends are
      the dirty nodes; no two whole tables are joined.
    - `change set, node compare`: the edges are proven, the nodes not (a changed limit, a late node;
      without `nodes_seen_at`, a record without links): the nodes are compared with the state in one hash
      join.
    - `full compare`: anything else (a deleted, edited or late edge row, no watermark): the nodes and
      the grouped edges are compared with the state (two hash joins over whole tables).
    A full refresh (`dbt build --full-refresh`), var identity_incremental false, or a missing state
    resolves everything (`none`). -#}
{% macro resolve_identity_graph(nodes, edges, work, max_rounds=none, incremental=none, nodes_seen_at=none) %}
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
        {%- set watermark = cdp.identity_work_relation(work, 'watermark') -%}
        {%- set has_watermark = adapter.get_relation(watermark.database, watermark.schema, watermark.identifier)
            is not none -%}
        {#- a state written by an older version of this macro (other columns) is not compared with; a
            watermark is only written by this version, with its state -#}
        {%- set has_state = state_relations | length == 2 and (has_watermark or (
            'component_id' in (adapter.get_columns_in_relation(state_nodes) | map(attribute='name') | list)
            and 'first_observed_at' in (adapter.get_columns_in_relation(edge_status) | map(attribute='name') | list))) -%}
        {%- set is_incremental_run = wanted and has_state and not flags.FULL_REFRESH -%}
        {%- set changes = cdp.identity_scratch_relation(work, 'changes') -%}
        {%- set detection = 'none' -%}
        {#- how the redone part had the old edges: `edge rows` (a full run, a compare), `edge statuses` (the
            proven old rows' statuses), `stood in` (each super-component by its smallest node), `none` -#}
        {%- set old_edges = namespace(source='edge rows') -%}
        {%- set proven = {'totals': false, 'edges': false, 'nodes': false} -%}
        {#- `on`: the nodes new since the last run are told by `nodes_seen_at` (the proof reads no end's row) -#}
        {%- set by_seen = namespace(on=false) -%}
        {%- set work_tables = [changes] -%}
        {#- the last writes (new rows of the state, the rounds, the watermark, the stats), run as one batch -#}
        {%- set write_steps = [] -%}
        {%- if is_incremental_run -%}
            {%- set dirty = cdp.identity_scratch_relation(work, 'dirty') -%}
            {%- set affected = cdp.identity_scratch_relation(work, 'affected') -%}
            {%- set new_edges = cdp.identity_scratch_relation(work, 'new_edges') -%}
            {%- set new_end_state = cdp.identity_scratch_relation(work, 'new_end_state') -%}
            {%- set new_end_nodes = cdp.identity_scratch_relation(work, 'new_end_nodes') -%}
            {%- set new_nodes = cdp.identity_scratch_relation(work, 'new_nodes') -%}
            {%- set new_ends_sql = "select from_node_id as node_id from " ~ new_edges ~ "
                union
                select to_node_id as node_id from " ~ new_edges -%}
            {%- if has_watermark -%}
                {#- every column by name: a watermark of an older version (other columns) is not read -#}
                {%- set last_runs = run_query("select * from " ~ watermark).rows -%}
                {%- if last_runs | length == 1 and last_runs[0]['state_version'] == 2 -%}
                    {%- set last_run = last_runs[0] -%}
                    {#- the new nodes are those first seen after the last run's latest, when the nodes tell it -#}
                    {%- set by_seen.on = nodes_seen_at is not none and last_run['nodes_max_seen_at'] is not none -%}
                    {#- the new edge rows; the state's rows of their ends (whose super-components are redone;
                        only which, when the new nodes are told); the new nodes' rows, or the nodes' rows of those
                        ends now (the proof's terms, and these nodes as the run reads them); the proof -#}
                    {%- set proof_steps = [
                        {'relation': new_edges, 'sql': cdp.resolve_identity_graph_new_edges(edges,
                            last_run['max_observed_at'])},
                        {'relation': new_end_state, 'sql': "
                        select " ~ ('state.node_id, state.super_id' if by_seen.on else 'state.*') ~ "
                        from " ~ state_nodes ~ " as state
                        inner join (" ~ new_ends_sql ~ ") as new_ends on state.node_id = new_ends.node_id"}] -%}
                    {%- if by_seen.on -%}
                        {%- do proof_steps.append({'relation': new_nodes, 'sql': "
                        select " ~ cdp.resolve_identity_graph_node_columns('nodes') | join(', ') ~ "
                        from " ~ nodes ~ " as nodes
                        where nodes." ~ nodes_seen_at ~ " > cast('" ~ last_run['nodes_max_seen_at'] ~ "' as "
                            ~ dbt.type_timestamp() ~ ")"}) -%}
                    {%- else -%}
                        {%- do proof_steps.append({'relation': new_end_nodes, 'sql': "
                        select " ~ cdp.resolve_identity_graph_node_columns('nodes') | join(', ') ~ "
                        from " ~ nodes ~ " as nodes
                        inner join (" ~ new_ends_sql ~ ") as new_ends on nodes.node_id = new_ends.node_id"}) -%}
                    {%- endif -%}
                    {%- do proof_steps.extend([
                        {'relation': changes, 'sql': cdp.resolve_identity_graph_changes(nodes, edges, new_end_state,
                            new_end_nodes, new_edges, watermark, nodes_seen_at, new_nodes if by_seen.on else none)},
                        {'drop': [watermark]},
                        {'sql': "select edges_appended, nodes_unchanged from " ~ changes}]) -%}
                    {%- set proof = cdp.identity_run_steps(proof_steps).rows[0] -%}
                    {%- do proven.update({'totals': true, 'edges': proof[0], 'nodes': proof[1]}) -%}
                {%- endif -%}
                {#- until this run ends, no watermark (dropped above once read): a run that fails half-way leaves
                    the next one the full compare -#}
                {%- if not proven.totals -%}
                    {%- do adapter.drop_relation(watermark) -%}
                {%- endif -%}
            {%- endif -%}
            {%- set changed_nodes_sql = "
                select coalesce(nodes.node_id, state.node_id) as node_id
                from " ~ nodes ~ " as nodes
                full outer join " ~ state_nodes ~ " as state on nodes.node_id = state.node_id
                where nodes.node_id is null
                    or state.node_id is null
                    or nodes.node_type <> state.node_type
                    or nodes.priority <> state.priority
                    or nodes.max_per_customer <> state.max_per_customer" -%}
            {%- set dirty_supers_sql = "
                select distinct state.super_id
                from " ~ state_nodes ~ " as state
                inner join " ~ dirty ~ " as dirty on state.node_id = dirty.node_id" -%}
            {%- if proven.edges and proven.nodes -%}
                {#- only new edge rows (and so only their ends) can have changed anything: the whole tables
                    are never compared -#}
                {%- set detection = 'change set' -%}
                {%- set dirty = "(" ~ new_ends_sql ~ (" union select node_id from " ~ new_nodes if by_seen.on else "")
                    ~ ")" -%}
                {%- set dirty_supers_sql = "select distinct super_id from " ~ new_end_state -%}
            {%- elif proven.edges -%}
                {%- set detection = 'change set, node compare' -%}
                {%- do cdp.identity_create_table(dirty, new_ends_sql ~ " union " ~ changed_nodes_sql) -%}
            {%- else -%}
            {%- set detection = 'full compare' -%}
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
                        or " ~ cdp.identity_rows_differ('current_edges', 'state', ['first_observed_at']) ~ "
                ),
                changed_nodes as (" ~ changed_nodes_sql ~ "
                )
                select from_node_id as node_id from changed_edges
                union
                select to_node_id as node_id from changed_edges
                union
                select node_id from changed_nodes") -%}
            {%- endif -%}
            {#- the state's rows of every node of the dirty nodes' super-components; `affected`: those nodes and
                the dirty ones (new or gone ones included: the rows of gone ones go) -#}
            {%- set affected_state = cdp.identity_scratch_relation(work, 'affected_state') -%}
            {%- set sub_nodes = cdp.identity_scratch_relation(work, 'sub_nodes') -%}
            {%- set sub_edges = cdp.identity_scratch_relation(work, 'sub_edges') -%}
            {#- only the columns the resolution reads: the models' tables carry keys and provenance as text -#}
            {%- if detection == 'change set' and by_seen.on -%}
                {#- every node but the new ones is, as proven, as the state has it: the old nodes are read from
                    the state's rows just taken, the new ones from their rows of the nodes -#}
                {%- set sub_nodes_sql = "
                    select " ~ cdp.resolve_identity_graph_node_columns('state') | join(', ') ~ "
                    from " ~ affected_state ~ " as state
                    union all
                    select " ~ cdp.resolve_identity_graph_node_columns('nodes') | join(', ') ~ "
                    from " ~ new_nodes ~ " as nodes" -%}
            {%- elif detection == 'change set' -%}
                {#- every node but the new edges' ends is, as proven, as the state has it: those nodes are read
                    from the state's rows just taken, the ends from their rows of the nodes; the nodes table
                    is not read again -#}
                {%- set sub_nodes_sql = "
                    select " ~ cdp.resolve_identity_graph_node_columns('state') | join(', ') ~ "
                    from " ~ affected_state ~ " as state
                    left join " ~ new_end_state ~ " as new_end_state on state.node_id = new_end_state.node_id
                    where new_end_state.node_id is null
                    union all
                    select " ~ cdp.resolve_identity_graph_node_columns('nodes') | join(', ') ~ "
                    from " ~ new_end_nodes ~ " as nodes" -%}
            {%- else -%}
                {%- set sub_nodes_sql = "
                    select " ~ cdp.resolve_identity_graph_node_columns('nodes') | join(', ') ~ "
                    from " ~ nodes ~ " as nodes
                    inner join " ~ affected ~ " as affected on nodes.node_id = affected.node_id" -%}
            {%- endif -%}
            {#- change set: `contested_before`, the affected super-components that were over a limit (they alone
                hold nodes of another customer than the super-component's: a limit splits it), and the new
                edges between two old nodes (the only new ones that may already have a status) -#}
            {%- set change_set_counts = ", (select count(*) from " ~ affected_state ~ " where component_id <> super_id),
                (select count(*) from " ~ new_edges ~ " as new_edges
                inner join " ~ new_end_state ~ " as from_state on new_edges.from_node_id = from_state.node_id
                inner join " ~ new_end_state ~ " as to_state on new_edges.to_node_id = to_state.node_id)"
                if detection == 'change set' else "" -%}
            {%- set steps = [{'relation': affected_state, 'sql': "
                with dirty_supers as (" ~ dirty_supers_sql ~ "
                )
                select state.*
                from " ~ state_nodes ~ " as state
                inner join dirty_supers on state.super_id = dirty_supers.super_id"}] -%}
            {%- set affected_sql = "
                select node_id from " ~ dirty ~ " as dirty
                union
                select node_id from " ~ affected_state -%}
            {%- if detection == 'change set' -%}
                {#- `affected` and the redone part's nodes are small and read once or twice: subqueries, not
                    tables. Their counts: the state's rows taken plus the new nodes', or less those of the new
                    edges' ends (all among them) plus the ends' rows of the nodes; the affected nodes are there
                    when new edges or new nodes are -#}
                {%- set affected = "(" ~ affected_sql ~ ")" -%}
                {%- set sub_nodes = "(" ~ sub_nodes_sql ~ ")" -%}
                {%- set new_rows_count = "(select count(*) from " ~ new_edges ~ ")" -%}
                {%- if by_seen.on -%}
                    {%- set sub_nodes_count = "(select count(*) from " ~ affected_state ~ ")
                        + (select count(*) from " ~ new_nodes ~ ")" -%}
                    {%- set new_rows_count = new_rows_count ~ " + (select count(*) from " ~ new_nodes ~ ")" -%}
                {%- else -%}
                    {%- set sub_nodes_count = "(select count(*) from " ~ affected_state ~ ")
                        - (select count(*) from " ~ new_end_state ~ ")
                        + (select count(*) from " ~ new_end_nodes ~ ")" -%}
                {%- endif -%}
                {%- do steps.append({'sql': "select (select nodes_count from " ~ changes ~ "), " ~ sub_nodes_count ~ ",
                    " ~ new_rows_count ~ change_set_counts}) -%}
            {%- else -%}
                {%- do steps.extend([
                    {'relation': affected, 'sql': affected_sql},
                    {'relation': sub_nodes, 'sql': sub_nodes_sql},
                    {'sql': "select ("
                    ~ ("select nodes_count from " ~ changes if proven.totals else "select count(*) from " ~ nodes)
                    ~ "), (select count(*) from " ~ sub_nodes ~ "), (select count(*) from " ~ affected ~ ")"}]) -%}
            {%- endif -%}
            {%- set counts = cdp.identity_run_steps(steps).rows[0] -%}
            {%- if counts[2] > 0 -%}
                {%- set old_status = cdp.identity_scratch_relation(work, 'old_edge_status') -%}
                {%- set sub_status = cdp.identity_scratch_relation(work, 'sub_edge_status') -%}
                {%- set sub_state = cdp.identity_scratch_relation(work, 'sub_state_nodes') -%}
                {%- set contracted = namespace(done=false, rounds=0, restated=0) -%}
                {#- the old nodes whose row the redone part changed or dropped (a component merged into an older
                    one, a node gone): none, mostly, as a new node rarely has the smallest id of its component;
                    and, when the edge rows are proven appended, the old edges whose status it changed (a limit
                    newly at stake): none, mostly (none when old super-components stood in for their edges);
                    else every old status is written again -#}
                {%- set restated_nodes_sql = "
                    select count(*)
                    from " ~ affected_state ~ " as old_state
                    left join " ~ sub_state ~ " as sub_state on old_state.node_id = sub_state.node_id
                    where sub_state.node_id is null
                        or " ~ cdp.identity_rows_differ('old_state', 'sub_state',
                            ['node_type', 'priority', 'max_per_customer', 'super_id', 'component_id']) -%}
                {%- if detection == 'change set' and counts[3] == 0 -%}
                    {#- none of the affected super-components was over a limit, so each was one customer with
                        every edge admitted: it is contracted to its smallest node (its super_id), the new edges
                        are read through the old ends' super_ids, and its edges are not read. Its nodes take the
                        component of its super_id. When the redone part holds no super-component over a limit
                        either, every edge in it is admitted: the old edges keep their status, and the
                        components are right. Else the part is redone with the old edges (below) -#}
                    {%- set stood_in = cdp.resolve_identity_stood_in("(
                        select nodes.*, coalesce(old_state.super_id, nodes.node_id) as super_key
                        from " ~ sub_nodes ~ " as nodes
                        left join " ~ affected_state ~ " as old_state on nodes.node_id = old_state.node_id
                        )", "
                        select
                            coalesce(from_state.super_id, new_edges.from_node_id) as src,
                            coalesce(to_state.super_id, new_edges.to_node_id) as dst
                        from " ~ new_edges ~ " as new_edges
                        left join " ~ new_end_state ~ " as from_state on new_edges.from_node_id = from_state.node_id
                        left join " ~ new_end_state ~ " as to_state on new_edges.to_node_id = to_state.node_id",
                        work, max_rounds, counts[1], restated_nodes_sql) -%}
                    {%- set contracted.done = stood_in.contested == 0 -%}
                    {%- set contracted.rounds = stood_in.rounds -%}
                    {%- set contracted.restated = stood_in.restated -%}
                    {%- set old_edges.source = 'stood in' if contracted.done else old_edges.source -%}
                {%- endif -%}
                {%- if not contracted.done -%}
                    {#- an edge from an affected node ends at one too: it is new (both ends dirty) or old (one
                        super) -#}
                    {%- if proven.edges -%}
                        {%- set old_edges.source = 'edge statuses' -%}
                        {#- every edge row up to the watermark is one the last run saw: the affected nodes' old
                            edges are their rows of the edge statuses (one per distinct edge, its first
                            observation kept), and the new rows are added to them; the raw edge rows are not
                            read again -#}
                        {%- do cdp.identity_run_steps([
                            {'relation': old_status, 'sql': "
                            select status.*
                            from " ~ edge_status ~ " as status
                            inner join " ~ affected ~ " as affected on status.from_node_id = affected.node_id"},
                            {'relation': sub_edges, 'sql': "
                            select from_node_id, to_node_id, tier, first_observed_at as observed_at
                            from " ~ old_status ~ "
                            union all
                            select " ~ cdp.resolve_identity_graph_edge_columns('new_edges') | join(', ') ~ "
                            from " ~ new_edges ~ " as new_edges"}]) -%}
                    {%- else -%}
                        {%- do cdp.identity_create_table(sub_edges, "
                            select " ~ cdp.resolve_identity_graph_edge_columns('edges') | join(', ') ~ "
                            from " ~ edges ~ " as edges
                            inner join " ~ affected ~ " as affected on edges.from_node_id = affected.node_id") -%}
                    {%- endif -%}
                    {#- a part under 50,000 nodes converges in a few rounds over all of it: no setting finished
                        parts aside -#}
                    {%- do cdp.resolve_identity_subgraph(sub_nodes, sub_edges, work, max_rounds, 'sub_', 50000,
                        counts[1]) -%}
                    {%- do work_tables.append(old_status) -%}
                {%- endif -%}
                {#- every other node keeps its component and every other edge its status -#}
                {%- set keys_match = "old_status.from_node_id = sub_status.from_node_id
                    and old_status.to_node_id = sub_status.to_node_id and old_status.tier = sub_status.tier" -%}
                {%- if contracted.done -%}
                    {#- the count came with the part's (resolve_identity_stood_in); no old edge changed status -#}
                    {%- set restated_counts = [contracted.restated, 0] -%}
                {%- elif proven.edges -%}
                    {%- set restated_edges_sql = "
                    select count(*)
                    from " ~ old_status ~ " as old_status
                    left join " ~ sub_status ~ " as sub_status on " ~ keys_match ~ "
                    where sub_status.from_node_id is null
                        or " ~ cdp.identity_rows_differ('old_status', 'sub_status',
                            ['is_admitted', 'rejection_reason', 'first_observed_at']) -%}
                {%- else -%}
                    {%- set restated_edges_sql = "select 1" -%}
                {%- endif -%}
                {%- if not contracted.done -%}
                    {%- set restated_counts = run_query("select (" ~ restated_nodes_sql ~ "), ("
                        ~ restated_edges_sql ~ ")").rows[0] -%}
                {%- endif -%}
                {%- set restated = restated_counts[1] -%}
                {%- if contracted.done -%}
                    {#- the new edges' statuses, every one admitted, less those of edges already known: only a
                        new edge between two old nodes can be one, so the statuses are probed only when the
                        change set has such an edge -#}
                    {%- set known_sql = "
                        where not exists (
                            select 1
                            from " ~ edge_status ~ " as old_status
                            where " ~ keys_match ~ "
                        )" if counts[4] > 0 else "" -%}
                    {%- do write_steps.append({'sql': cdp.identity_insert_statement(edge_status, "
                        select sub_status.*
                        from (" ~ cdp.resolve_identity_admitted_status(new_edges) ~ ") as sub_status"
                        ~ known_sql)}) -%}
                {%- elif restated == 0 -%}
                    {#- the old rows stay as they are: only the new edges' rows are added, no delete (a scan) -#}
                    {%- do write_steps.append({'sql': cdp.identity_insert_statement(edge_status, "
                        select sub_status.*
                        from " ~ sub_status ~ " as sub_status
                        left join " ~ old_status ~ " as old_status on " ~ keys_match ~ "
                        where old_status.from_node_id is null")}) -%}
                {%- else -%}
                    {%- do cdp.identity_replace_rows(edge_status, 'from_node_id', affected, sub_status) -%}
                {%- endif -%}
                {%- if restated_counts[0] == 0 -%}
                    {#- the old nodes' rows stay as they are: only the new nodes' rows are added, no delete -#}
                    {%- do write_steps.append({'sql': cdp.identity_insert_statement(state_nodes, "
                        select sub_state.*
                        from " ~ sub_state ~ " as sub_state
                        left join " ~ affected_state ~ " as old_state on sub_state.node_id = old_state.node_id
                        where old_state.node_id is null")}) -%}
                {%- else -%}
                    {%- do cdp.identity_replace_rows(state_nodes, 'node_id', affected, sub_state) -%}
                {%- endif -%}
                {%- set sub_rounds = cdp.identity_scratch_relation(work, 'sub_rounds') -%}
                {%- do write_steps.append({'relation': rounds, 'sql': "select 0 as tier, " ~ contracted.rounds
                    ~ " as rounds" if contracted.done else "select tier, rounds from " ~ sub_rounds}) -%}
                {%- do work_tables.extend([sub_edges, sub_status, sub_state, sub_rounds,
                    cdp.identity_scratch_relation(work, 'sub_super_components'),
                    cdp.identity_scratch_relation(work, 'sub_contested')]) -%}
            {%- else -%}
                {%- set old_edges.source = 'none' -%}
                {%- do write_steps.append({'relation': rounds, 'sql': "select 0 as tier, 0 as rounds"}) -%}
            {%- endif -%}
            {%- set mode = 'incremental' -%}
            {%- do work_tables.extend([cdp.identity_scratch_relation(work, 'dirty'),
                cdp.identity_scratch_relation(work, 'affected'), affected_state, cdp.identity_scratch_relation(work,
                'sub_nodes'), new_edges, new_end_state, new_end_nodes, new_nodes]) -%}
        {%- else -%}
            {#- drop the state of older versions of this macro, if any, and the watermark until the run ends -#}
            {%- for name in ['state_edges', 'keyed_edges', 'watermark', 'changes'] -%}
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
        {#- the next run's watermark: the totals of the tables this run read (`changes` has them when it ran) -#}
        {%- if not proven.totals -%}
            {%- do write_steps.append({'relation': watermark,
                'sql': cdp.resolve_identity_graph_totals(nodes, edges, nodes_seen_at)}) -%}
        {%- else -%}
            {%- do write_steps.append({'relation': watermark, 'sql': "
                select
                    state_version, nodes_count, nodes_checksum, nodes_max_seen_at, edges_count, edges_checksum,
                    max_observed_at
                from " ~ changes}) -%}
        {%- endif -%}
        {%- set stats = cdp.identity_work_relation(work, 'incremental') -%}
        {%- do write_steps.append({'relation': stats, 'sql': "select '" ~ mode ~ "' as mode, cast(" ~ counts[0]
            ~ " as bigint) as nodes_total, cast(" ~ counts[1] ~ " as bigint) as nodes_resolved, '"
            ~ detection ~ "' as change_detection, '" ~ old_edges.source ~ "' as old_edges"}) -%}
        {%- do write_steps.append({'drop': work_tables}) -%}
        {%- do cdp.identity_run_steps(write_steps) -%}
    {%- endif -%}
{% endmacro %}

{#- Returns the select of the edge rows (the columns that decide the graph) observed after `last_seen` (the
    last run's latest observed_at, as the watermark has it): all of them when the last run saw none. A
    literal, so a scan skips the row groups whose timestamps all lie before it. Which rows it picks only
    decides how much is redone: resolve_identity_graph_changes proves the rest unchanged or the run falls
    back. -#}
{% macro resolve_identity_graph_new_edges(edges, last_seen) -%}
    select {{ cdp.resolve_identity_graph_edge_columns('edges') | join(', ') }}
    from {{ edges }} as edges
    {%- if last_seen is not none %}
    where edges.observed_at > cast('{{ last_seen }}' as timestamp)
    {%- endif %}
{%- endmacro %}

{#- Returns the select of one row: the totals of `nodes` and `edges` a watermark keeps (state_version,
    nodes_count, nodes_checksum, nodes_max_seen_at: the latest `nodes_seen_at` when one is named, edges_count,
    edges_checksum, max_observed_at). -#}
{% macro resolve_identity_graph_totals(nodes, edges, nodes_seen_at=none) -%}
    select
        2 as state_version,
        node_totals.nodes_count,
        node_totals.nodes_checksum,
        node_totals.nodes_max_seen_at,
        edge_totals.edges_count,
        edge_totals.edges_checksum,
        edge_totals.max_observed_at
    from (
        select
            count(*) as nodes_count,
            {{ cdp.identity_checksum(cdp.resolve_identity_graph_node_columns('nodes')) }} as nodes_checksum,
            {{ 'max(nodes.' ~ nodes_seen_at ~ ')' if nodes_seen_at else 'cast(null as ' ~ dbt.type_timestamp() ~ ')' }}
                as nodes_max_seen_at
        from {{ nodes }} as nodes
    ) as node_totals
    cross join (
        select
            count(*) as edges_count,
            {{ cdp.identity_checksum(cdp.resolve_identity_graph_edge_columns('edges')) }} as edges_checksum,
            max(edges.observed_at) as max_observed_at
        from {{ edges }} as edges
    ) as edge_totals
{%- endmacro %}

{#- Returns the select of one row: the new totals (as resolve_identity_graph_totals), and two proofs against
    the last run's watermark. `edges_appended`: the edge rows up to the watermark (all rows but
    `new_edges`) are, in count and checksum, the rows the last run saw, so every change is a row after it;
    a deleted, edited or late row (observed before the watermark) makes it false. `nodes_unchanged`, with
    `new_nodes` (the nodes first seen after the last run's latest): the other nodes are, in count and
    checksum, the nodes the last run saw. Without: the nodes besides the ends of the new edges are, in
    count and checksum, the state's nodes besides those ends (new, gone or changed nodes elsewhere make
    it false); `new_end_state` and `new_end_nodes`: the state's and the nodes' rows of those ends. One scan
    of each table, no join of two whole tables: the state and the nodes are only probed for the new
    edges' ends, or the nodes filtered by when they were first seen. -#}
{% macro resolve_identity_graph_changes(nodes, edges, new_end_state, new_end_nodes, new_edges, watermark,
    nodes_seen_at=none, new_nodes=none) -%}
    with last_run as (
        select * from {{ watermark }} where state_version = 2
    ),
    totals as (
        {{ cdp.resolve_identity_graph_totals(nodes, edges, nodes_seen_at) }}
    ),
    new_edge_totals as (
        select
            count(*) as edges_count,
            {{ cdp.identity_checksum(cdp.resolve_identity_graph_edge_columns('new_edges')) }} as edges_checksum
        from {{ new_edges }} as new_edges
    ),
    {#- the rows the proof adds to the last run's nodes, and those it takes off the nodes now -#}
    added_nodes as (
        select
            count(*) as nodes_count,
            {{ cdp.identity_checksum(cdp.resolve_identity_graph_node_columns('nodes')) }} as nodes_checksum
        from {{ new_nodes if new_nodes is not none else new_end_nodes }} as nodes
    ),
    taken_nodes as (
        {%- if new_nodes is not none %}
        select 0 as nodes_count, 0 as nodes_checksum
        {%- else %}
        select
            count(*) as nodes_count,
            {{ cdp.identity_checksum(cdp.resolve_identity_graph_node_columns('state')) }} as nodes_checksum
        from {{ new_end_state }} as state
        {%- endif %}
    )
    select
        totals.state_version,
        totals.nodes_count,
        totals.nodes_checksum,
        totals.nodes_max_seen_at,
        totals.edges_count,
        totals.edges_checksum,
        totals.max_observed_at,
        coalesce(
            last_run.edges_count + new_edge_totals.edges_count = totals.edges_count
            and last_run.edges_checksum + new_edge_totals.edges_checksum = totals.edges_checksum,
            false
        ) as edges_appended,
        coalesce(
            last_run.nodes_count + added_nodes.nodes_count = totals.nodes_count + taken_nodes.nodes_count
            and last_run.nodes_checksum + added_nodes.nodes_checksum
            = totals.nodes_checksum + taken_nodes.nodes_checksum,
            false
        ) as nodes_unchanged
    from totals
    cross join new_edge_totals
    cross join added_nodes
    cross join taken_nodes
    left join last_run on 1 = 1
{%- endmacro %}

{#- Returns the columns of a node that decide the graph (its id and what limits it), qualified by `alias`. -#}
{% macro resolve_identity_graph_node_columns(alias) -%}
    {{ return([alias ~ '.node_id', alias ~ '.node_type', alias ~ '.priority', alias ~ '.max_per_customer']) }}
{%- endmacro %}

{#- Returns the columns of an edge row that decide the graph, qualified by `alias`. -#}
{% macro resolve_identity_graph_edge_columns(alias) -%}
    {{ return([alias ~ '.from_node_id', alias ~ '.to_node_id', alias ~ '.tier', alias ~ '.observed_at']) }}
{%- endmacro %}

{#- Returns a condition: a row of `left` and one of `right` differ in one of `columns` (a null equals a null). -#}
{% macro identity_rows_differ(left, right, columns) -%}
    {%- set differs = [] -%}
    {%- for column in columns -%}
        {%- do differs.append("not (" ~ left ~ "." ~ column ~ " = " ~ right ~ "." ~ column ~ " or (" ~ left ~ "."
            ~ column ~ " is null and " ~ right ~ "." ~ column ~ " is null))") -%}
    {%- endfor -%}
    {{ return("(" ~ differs | join(" or ") ~ ")") }}
{%- endmacro %}
