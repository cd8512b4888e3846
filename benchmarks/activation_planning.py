"""Planning a sync for a large audience, and the no-change rerun.

Builds a synthetic model of `--members` customers (email, first name, country, consent) in an in-memory
DuckDB, then times: the first plan (everything is an insert), acknowledging them all in state (what a
successful first run writes), the no-change rerun's plan (zero changes, zero requests), and a plan after
1% of the rows changed and 0.5% left; then a whole first run through the engine for
`--full-run-members` (default 200,000).

    .venv/bin/python benchmarks/activation_planning.py                 # 1,000,000 members
    .venv/bin/python benchmarks/activation_planning.py --members 200000
"""

import argparse
import time

import duckdb

from activation import state
from activation.engine import run_sync
from activation.planner import plan_sync
from activation.syncs import Sync
from activation.testing.memory import MemoryDestination


def build_model(conn: duckdb.DuckDBPyConnection, members: int) -> None:
    conn.execute("create schema if not exists marts")
    conn.execute(
        f"""create or replace table marts.audience as
            select 'cus_' || lpad(cast(i as varchar), 9, '0') as customer_id,
                   'person' || i || '@example.com' as email,
                   'Name' || (i % 997) as first_name,
                   ['NL', 'DE', 'PL', 'DK', 'GB', 'US'][1 + i % 6] as country
            from range({members}) as t(i)"""
    )
    conn.execute(
        """create or replace table marts.customer_consents as
           select customer_id, 'marketing' as purpose, 'email' as channel, true as is_granted
           from marts.audience"""
    )


def timed(label: str, action):
    started = time.perf_counter()
    result = action()
    print(f"{label:<46} {time.perf_counter() - started:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--full-run-members", type=int, default=200_000, help="also time a whole first run through the engine"
    )
    args = parser.parse_args()

    conn = duckdb.connect()
    conn.execute(f"set threads = {args.threads}")
    sync = Sync(
        name="audience_benchmark",
        model="audience",
        destination="memory",
        mode="add_remove",
        delete_behaviour="remove",
        fields={"email_address": "email", "first_name": "first_name", "country": "country"},
        consent_purpose="marketing",
        consent_channel="email",
    )
    timed(f"build a model of {args.members:,} members", lambda: build_model(conn, args.members))
    state.ensure_tables(conn)

    plan = timed("plan the first run (all inserts)", lambda: plan_sync(conn, sync))
    print(f"  planned inserts: {plan.inserts:,}")

    def acknowledge_all() -> None:
        # what the acknowledgements of a first run leave in state, written in one statement
        conn.execute(
            f"""insert or replace into {state.SCHEMA}.sync_state
                select '{sync.name}', record_key, row_hash, field_hashes, external_id, 1, cast(now() as timestamp)
                from _plan"""
        )

    timed("record all of them as acknowledged", acknowledge_all)

    destination = MemoryDestination(max_batch_size=10_000)
    result = timed("no-change rerun (plan + run)", lambda: run_sync(conn, sync, destination))
    print(
        f"  planned changes: {result.planned_inserts + result.planned_updates + result.planned_deletes:,};"
        f" requests sent: {len(destination.sends)}"
    )

    changed, removed = args.members // 100, args.members // 200
    conn.execute(
        f"update marts.audience set first_name = 'Changed' where cast(substr(customer_id, 5) as bigint) < {changed}"
    )
    conn.execute(
        f"""update marts.customer_consents set is_granted = false
            where cast(substr(customer_id, 5) as bigint) >= {args.members - removed}"""
    )
    plan = timed("plan after 1% changed and 0.5% withdrew consent", lambda: plan_sync(conn, sync))
    print(f"  planned updates: {plan.updates:,}; deletes: {plan.deletes:,}")

    if args.full_run_members:
        # a whole first run: batches of 10,000 to an in-memory destination, with the pending and
        # acknowledgement writes to state and the changelog that every batch costs
        run_conn = duckdb.connect()
        run_conn.execute(f"set threads = {args.threads}")
        build_model(run_conn, args.full_run_members)
        sink = MemoryDestination(max_batch_size=10_000)
        result = timed(f"whole first run of {args.full_run_members:,} members", lambda: run_sync(run_conn, sync, sink))
        print(f"  status: {result.status}; batches: {len(sink.sends)}; rows acknowledged: {result.rows_acked:,}")


if __name__ == "__main__":
    main()
