"""How fast the identity graph resolves: writes a synthetic identity graph of N identifiers (people with
a few identifiers each, joined by the records that saw them, plus long chains: the worst case of label
propagation) into a temporary DuckDB, runs the dbt identity graph macro (resolve_identity_graph, via
`dbt run-operation`) and, in the same run, the in-memory bound: the edges read from DuckDB and solved by
scipy's `connected_components`. Prints both times (medians of `--full-repeats` full runs and bounds, taken
in turn), their ratio, the rounds, the peak memory and whether the components are the same. Then 1% new
identifiers (`--new-share`) and the incremental run: how it found its changes (change set, or a compare of
whole tables; whether the old edges were read or stood in for), its time and CPU seconds as a share of the
full run's, the median of `--repeats` runs from the same state less the median start-up of dbt measured
beside them (one before each run).

    .venv/bin/python benchmarks/identity_scale.py                       # 10M identifiers
    .venv/bin/python benchmarks/identity_scale.py --identifiers 200000
    .venv/bin/python benchmarks/identity_scale.py --identifiers 200000 --chain-share 1 --chain-length 200000
"""

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from cdp.config import PROJECT_ROOT, Settings
from cdp.identity.graph_operation import run_identity_graph

# what dbt reads of the project: the benchmark runs a copy, so edits others make to the working tree
# while it runs do not send dbt back to a full re-parse in the middle of a timed run
PROJECT_PARTS = ["dbt_project.yml", "profiles.yml", "selectors.yml", "macros", "models", "seeds", "tests/dbt"]


def snapshot_project(target: Path) -> Path:
    """Copy the dbt project's files under `target`; returns the copy's root."""
    source = PROJECT_ROOT
    for part in PROJECT_PARTS:
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part)
        elif (source / part).exists():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / part, target / part)
    return target


def write_graph(path: Path, identifiers: int, chain_share: float, chain_length: int, seed: int) -> int:
    """People of 1-6 identifiers (types by priority tier), their records as edges from the person's
    strongest identifier; `chain_share` of the identifiers form chains of `chain_length`. Node ids are shuffled.
    Returns the number of edges."""
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema g")
        chained = int(identifiers * chain_share)
        conn.execute(
            f"""
            create table g.nodes as
            with numbered as (
                select i, row_number() over (order by hash(i + {seed})) as node_id from range({identifiers}) as t(i)
            )
            select
                node_id,
                'n:' || cast(i as varchar) as node_key,
                case when i < {chained} then 'email' else ['user_id', 'email', 'phone', 'device_id'][1 + i % 4] end
                    as node_type,
                case when i < {chained} then 4 else [1, 4, 8, 10][1 + i % 4] end as priority,
                1000000000 as max_per_customer,
                i,
                timestamp '2026-01-01' as first_seen_at
            from numbered
            """
        )
        conn.execute(
            f"""
            create table g.edges as
            with people as (
                -- identifiers past the chains go to people of 4 (i // 4): one strongest, three others
                select node_id, i, i // 4 as person, i % 4 as slot, priority from g.nodes where i >= {chained}
            ),
            person_edges as (
                select anchor.node_id as from_node_id, other.node_id as to_node_id, other.priority as tier
                from people as anchor
                inner join people as other on anchor.person = other.person and anchor.slot = 0 and other.slot > 0
            ),
            chain_edges as (
                select a.node_id as from_node_id, b.node_id as to_node_id, 4 as tier
                from g.nodes as a
                inner join g.nodes as b on b.i = a.i + 1
                where a.i < {chained} - 1 and (a.i + 1) % {chain_length} <> 0
            )
            select from_node_id, to_node_id, tier, timestamp '2026-01-01' as observed_at from person_edges
            union all
            select from_node_id, to_node_id, tier, timestamp '2026-01-01' as observed_at from chain_edges
            """
        )
        # the same graph named by identifier keys, as the warehouse has it before node ids are made
        conn.execute(
            """
            create table g.keyed_nodes as
            select
                case node_type
                    when 'user_id' then 'user_id:u' || lpad(cast(i as varchar), 10, '0')
                    when 'email' then 'email:customer.' || cast(i as varchar) || '@example.com'
                    when 'phone' then 'phone:+49' || cast(1500000000 + i as varchar)
                    else 'device_id:' || md5(cast(i as varchar))
                end as node_key,
                node_type,
                priority,
                max_per_customer,
                node_id
            from g.nodes
            """
        )
        conn.execute(
            """
            create table g.keyed_edges as
            select from_nodes.node_key as from_node_key, to_nodes.node_key as to_node_key, edges.tier, edges.observed_at
            from g.edges as edges
            inner join g.keyed_nodes as from_nodes on edges.from_node_id = from_nodes.node_id
            inner join g.keyed_nodes as to_nodes on edges.to_node_id = to_nodes.node_id
            """
        )
        conn.execute("alter table g.keyed_nodes drop column node_id")
        return conn.execute("select count(*) from g.edges").fetchone()[0]


def scipy_bound(path: Path) -> tuple[float, np.ndarray, np.ndarray]:
    """Seconds to read the factorised edges from DuckDB and solve them in memory; node ids and labels."""
    started = time.perf_counter()
    with duckdb.connect(str(path)) as conn:
        n = conn.execute("select max(node_id) from g.nodes").fetchone()[0] + 1
        edges = conn.execute("select from_node_id, to_node_id from g.edges").fetchnumpy()
    labels = scipy_labels(edges["from_node_id"], edges["to_node_id"], n)
    return time.perf_counter() - started, np.arange(n), labels


def scipy_labels(src: np.ndarray, dst: np.ndarray, n: int) -> np.ndarray:
    """scipy's component label of each of the `n` nodes of the integer edges `src` -> `dst`."""
    graph = coo_matrix((np.ones(len(src), dtype=np.int8), (src.astype(np.int64), dst.astype(np.int64))), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def keyed_bound_and_mismatches(path: Path) -> tuple[float, float, int]:
    """The in-memory bound from identifier keys: DuckDB factorises the keys (numbers the nodes, looks the
    edges' keys up) and scipy solves the integer edges; wall and CPU seconds. Then the components the SQL stage found
    from the same keys (`g.keyed_edges__ids__labels`) are checked against scipy's: components that differ."""
    with duckdb.connect(str(path)) as conn:
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        conn.execute(
            "create temp table key_ids as select node_key, cast(row_number() over () - 1 as bigint) as id"
            " from g.keyed_nodes"
        )
        edges = conn.execute(
            """
            select from_ids.id as from_id, to_ids.id as to_id
            from g.keyed_edges as edges
            inner join key_ids as from_ids on edges.from_node_key = from_ids.node_key
            inner join key_ids as to_ids on edges.to_node_key = to_ids.node_key
            """
        ).fetchnumpy()
        n = conn.execute("select count(*) from key_ids").fetchall()[0][0]
        labels = scipy_labels(edges["from_id"], edges["to_id"], n)
        seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
        conn.register("scipy_key_labels", {"id": np.arange(n), "label": labels})
        mismatches = partition_mismatches(
            conn,
            """
            select scipy.label, l.component_id
            from scipy_key_labels as scipy
            inner join key_ids using (id)
            inner join g.keyed_nodes__ids as ids using (node_key)
            inner join g.keyed_edges__ids__labels as l on ids.node_id = l.node_id
            """,
        )
    return seconds, cpu, mismatches


def partition_mismatches(conn: duckdb.DuckDBPyConnection, paired_sql: str) -> int:
    """Components on which the SQL labels and scipy's disagree, given `paired_sql`: each node's scipy
    `label` and SQL `component_id`. Every scipy component must map to one SQL component and back."""
    return conn.execute(
        f"""
        with paired as ({paired_sql})
        select count(*) from (
            select label from paired group by label having count(distinct component_id) > 1
            union all
            select component_id from paired group by component_id having count(distinct label) > 1
        )
        """
    ).fetchall()[0][0]


def integer_mismatches(conn: duckdb.DuckDBPyConnection, node_ids: np.ndarray, labels: np.ndarray) -> int:
    """partition_mismatches of the integer graph (`g.edges__labels`) against scipy's labels by node id."""
    conn.register("scipy_labels", {"node_id": node_ids, "label": labels})
    return partition_mismatches(
        conn, "select label, l.component_id from scipy_labels inner join g.edges__labels as l using (node_id)"
    )


def add_new_data(path: Path, share: float, seed: int) -> int:
    """New people making up `share` of the identifiers (4 identifiers each, as `write_graph` makes them),
    one in ten of them also seen with an existing person's strongest identifier. Returns nodes added."""
    with duckdb.connect(str(path)) as conn:
        existing, max_id, max_i = conn.execute("select count(*), max(node_id), max(i) from g.nodes").fetchone()
        added = max(4, int(existing * share) // 4 * 4)
        conn.execute(
            f"""
            insert into g.nodes
            select
                {max_id} + 1 + j as node_id,
                'n:new:' || cast(j as varchar) as node_key,
                ['user_id', 'email', 'phone', 'device_id'][1 + j % 4] as node_type,
                [1, 4, 8, 10][1 + j % 4] as priority,
                1000000000 as max_per_customer,
                {max_i} + 1 + j as i,
                timestamp '2026-02-01' as first_seen_at
            from range({added}) as t(j)
            """
        )
        conn.execute(
            f"""
            insert into g.edges
            with new_people as (
                select node_id, (i - {max_i} - 1) // 4 as person, (i - {max_i} - 1) % 4 as slot, priority
                from g.nodes where i > {max_i}
            ),
            old_anchors as (
                select node_id, row_number() over (order by hash(node_id + {seed})) as n
                from g.nodes where i <= {max_i} and priority = 1
            )
            select anchor.node_id, other.node_id, other.priority, timestamp '2026-02-01'
            from new_people as anchor
            inner join new_people as other on anchor.person = other.person and anchor.slot = 0 and other.slot > 0
            union all
            select old.node_id, new.node_id, new.priority, timestamp '2026-02-01'
            from new_people as new
            inner join old_anchors as old on old.n = new.person + 1
            where new.slot = 1 and new.person % 10 = 0
            """
        )
    return added


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """The median wall and the median CPU seconds of `runs` (wall, CPU), each on its own."""
    return sorted(wall for wall, _ in runs)[len(runs) // 2], sorted(cpu for _, cpu in runs)[len(runs) // 2]


def _timed(function, *args) -> tuple[float, float]:
    """Wall and CPU seconds (this process, all threads: dbt and DuckDB run in it) of one call. On a shared
    machine the wall time swings with other work; the CPU time much less."""
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    function(*args)
    return time.perf_counter() - started, _cpu_seconds() - cpu_started


# the nodes' column telling when each was first seen: an incremental run finds the new nodes by it
SEEN_AT = "first_seen_at"

# the graph's state after a run: what an incremental run starts from
STATE_TABLES = ["state_nodes", "edge_status", "watermark", "rounds", "incremental"]


def _timed_from_copy(settings: Settings, repeats: int) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Wall and CPU seconds of `repeats` incremental runs, each from the same state (the state tables are
    copied back before each; not the file: dbt's DuckDB stays open in this process), and of a start-up
    (empty graph) just before each: a fraction of a second swings with the shared machine's load, so the
    start-up taken off a run is measured beside it. The last run's result stays."""
    runs, startups = [], []
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        for name in STATE_TABLES:
            conn.execute(f"create or replace table g.saved__{name} as select * from g.edges__{name}")
    for _ in range(max(1, repeats)):
        with duckdb.connect(str(settings.duckdb_path)) as conn:
            for name in STATE_TABLES:
                conn.execute(f"create or replace table g.edges__{name} as select * from g.saved__{name}")
            conn.execute("checkpoint")
        startups.append(_timed(run_identity_graph, settings, "g", "no_nodes", "no_edges", None, None, False, SEEN_AT))
        runs.append(_timed(run_identity_graph, settings, "g", "nodes", "edges", None, None, False, SEEN_AT))
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        for name in STATE_TABLES:
            conn.execute(f"drop table g.saved__{name}")
    return runs, startups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--identifiers", type=int, default=10_000_000)
    parser.add_argument("--chain-share", type=float, default=0.02)
    parser.add_argument("--chain-length", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--new-share", type=float, default=0.01, help="new data for the incremental run (0: skip)")
    parser.add_argument(
        "--repeats", type=int, default=5, help="start-ups and incremental runs (from the same state); medians count"
    )
    parser.add_argument(
        "--full-repeats", type=int, default=3, help="full runs and bounds, integer and keyed; medians count"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = Settings(
            duckdb_path=root / "graph.duckdb",
            landing_dir=root / "landing",
            pipelines_dir=root / "p",
            project_dir=snapshot_project(root / "project"),
        )
        edges = write_graph(settings.duckdb_path, args.identifiers, args.chain_share, args.chain_length, args.seed)
        print(
            f"graph: {args.identifiers:,} identifiers, {edges:,} edges,"
            f" chains of {args.chain_length:,} ({args.chain_share:.0%} of identifiers)"
        )

        with duckdb.connect(str(settings.duckdb_path)) as conn:
            conn.execute("create table g.no_nodes as select * from g.nodes limit 0")
            conn.execute("create table g.no_edges as select * from g.edges limit 0")
        # warm-up: dbt parses the project once
        run_identity_graph(settings, "g", "no_nodes", "no_edges", None, None, False, SEEN_AT)
        # medians of wall and CPU seconds apart: a start-up swings by a tenth of a second with the load,
        # as much as a whole incremental run costs at 2M identifiers
        startups = [
            _timed(run_identity_graph, settings, "g", "no_nodes", "no_edges", None, None, False, SEEN_AT)
            for _ in range(args.repeats)
        ]
        startup_seconds, startup_cpu = _medians(startups)

        # full runs (the first on no state, the others told to redo everything) and the bound, alternately:
        # the medians of each, so one run slowed by the shared machine moves neither the ratio nor the share
        full_runs, bound_runs = [], []
        for _ in range(max(1, args.full_repeats)):
            full_runs.append(_timed(run_identity_graph, settings, "g", "nodes", "edges", None, False, False, SEEN_AT))
            cpu_started = _cpu_seconds()
            bound_wall, node_ids, labels = scipy_bound(settings.duckdb_path)
            bound_runs.append((bound_wall, _cpu_seconds() - cpu_started))
        full_seconds, full_cpu = _medians(full_runs)
        sql_seconds, sql_cpu = full_seconds - startup_seconds, full_cpu - startup_cpu
        bound_seconds, bound_cpu = _medians(bound_runs)
        with duckdb.connect(str(settings.duckdb_path)) as conn:
            rounds = conn.execute("select tier, rounds from g.edges__rounds order by tier").fetchall()
            mismatches = integer_mismatches(conn, node_ids, labels)
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        print(
            f"dbt start-up (empty graph, median of {args.repeats}): {startup_seconds:5.1f} s, {startup_cpu:.2f} CPU s"
            "  (not counted below)"
        )
        print(
            f"full runs and bounds, medians of {len(full_runs)}: graph runs"
            f" {', '.join(f'{wall - startup_seconds:.1f}' for wall, _ in full_runs)} s,"
            f" bounds {', '.join(f'{wall:.1f}' for wall, _ in bound_runs)} s"
        )
        print(f"identity graph (dbt macro, DuckDB): {sql_seconds:8.1f} s  ({full_seconds:.1f} s with start-up)")
        print(f"in-memory bound (DuckDB + scipy):   {bound_seconds:8.1f} s")
        print(f"ratio:                              {sql_seconds / bound_seconds:8.1f}  (target <= 3)")
        print(f"CPU seconds, graph / bound / ratio: {sql_cpu:8.1f} / {bound_cpu:.1f} / {sql_cpu / bound_cpu:.1f}")
        print(f"rounds per tier:                    {', '.join(f'{t}: {r}' for t, r in rounds)}")
        print(f"peak memory (this process):         {peak_mib:8.0f} MiB")
        print(f"components equal scipy's:           {'yes' if mismatches == 0 else f'NO ({mismatches} differ)'}")

        # the stage as the warehouse runs it, from identifier keys: the same graph named by keys; node ids
        # made as the models make them, then the graph; against DuckDB's factorisation of the keys + scipy
        keyed_runs, keyed_bound_runs = [], []
        for _ in range(max(1, args.full_repeats)):
            keyed_runs.append(
                _timed(run_identity_graph, settings, "g", "keyed_nodes", "keyed_edges", None, False, True)
            )
            keyed_bound_wall, keyed_bound_cpu, keyed_mismatches = keyed_bound_and_mismatches(settings.duckdb_path)
            keyed_bound_runs.append((keyed_bound_wall, keyed_bound_cpu))
        keyed_seconds, keyed_cpu = _medians(keyed_runs)
        keyed_seconds, keyed_cpu = keyed_seconds - startup_seconds, keyed_cpu - startup_cpu
        keyed_bound_seconds, keyed_bound_cpu = _medians(keyed_bound_runs)
        print("from identifier keys (ids made as the models make them; bound: DuckDB factorises the keys):")
        print(
            f"  identity stage (dbt, DuckDB):     {keyed_seconds:8.1f} s"
            f"  ({keyed_seconds + startup_seconds:.1f} s with start-up)"
        )
        print(f"  in-memory bound (DuckDB + scipy): {keyed_bound_seconds:8.1f} s")
        print(f"  ratio:                            {keyed_seconds / keyed_bound_seconds:8.1f}  (target <= 3)")
        print(
            f"  CPU seconds, stage / bound / ratio: {keyed_cpu:6.1f} / {keyed_bound_cpu:.1f}"
            f" / {keyed_cpu / keyed_bound_cpu:.1f}"
        )
        keyed_equal = "yes" if keyed_mismatches == 0 else f"NO ({keyed_mismatches} differ)"
        print(f"  components equal scipy's:         {keyed_equal}")

        if args.new_share > 0:
            added = add_new_data(settings.duckdb_path, args.new_share, args.seed)
            incremental_runs, beside_startups = _timed_from_copy(settings, args.repeats)
            # a run of a fraction of a second swings with the shared machine's load: the medians of a few,
            # less the median start-up measured beside them
            incremental_run_seconds, incremental_cpu = _medians(incremental_runs)
            beside_seconds, beside_cpu = _medians(beside_startups)
            incremental_seconds, incremental_cpu = (
                incremental_run_seconds - beside_seconds,
                incremental_cpu - beside_cpu,
            )
            _, node_ids, labels = scipy_bound(settings.duckdb_path)
            with duckdb.connect(str(settings.duckdb_path)) as conn:
                ((mode, total, resolved, detection, old_edges),) = conn.execute(
                    "select mode, nodes_total, nodes_resolved, change_detection, old_edges from g.edges__incremental"
                ).fetchall()
                mismatches = integer_mismatches(conn, node_ids, labels)
            print(f"incremental run, {added:,} new identifiers ({args.new_share:.0%}):")
            print(
                f"  dbt start-up beside the runs:     {beside_seconds:8.1f} s, {beside_cpu:.2f} CPU s"
                f"  (medians of {len(beside_startups)}; not counted below)"
            )
            print(
                f"  time ({mode}, {detection}):  {incremental_seconds:8.1f} s"
                f"  ({incremental_run_seconds:.1f} s with start-up)"
            )
            print(f"  share of the full run:            {incremental_seconds / sql_seconds:8.1%}  (target <= 5%)")
            print(f"  share in CPU seconds:             {incremental_cpu / sql_cpu:8.1%}  ({incremental_cpu:.2f} s)")
            print(
                f"  CPU s of the {len(incremental_runs)} runs (start-up in): "
                + ", ".join(f"{cpu:.2f}" for _, cpu in incremental_runs)
            )
            print(f"  nodes resolved again:             {resolved:,} of {total:,} (old edges: {old_edges})")
            print(f"  components equal scipy's:         {'yes' if mismatches == 0 else f'NO ({mismatches} differ)'}")


if __name__ == "__main__":
    main()
