"""`cdp activate`: run the declared syncs against the warehouse.

Syncs to different destination accounts run in parallel threads, so one destination that is down (its
circuit breaker opens) never slows the others; syncs to the same account run one after another and share
its rate limiter and breaker.
"""

import logging
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from activation import state
from activation.destinations import create_destination
from activation.engine import RunContext, SyncRunResult, run_sync
from activation.errors import SyncConfigError
from activation.syncs import Sync, load_syncs
from cdp.config import Settings

log = logging.getLogger(__name__)

SYNCS_FILE = Path("models") / "activation" / "_syncs.yml"


def declared_syncs(settings: Settings) -> list[Sync]:
    return load_syncs(settings.project_dir / SYNCS_FILE)


def select_syncs(syncs: list[Sync], names: list[str] | None) -> list[Sync]:
    if not names:
        return syncs
    known = {sync.name: sync for sync in syncs}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SyncConfigError(
            f"Unknown sync `{unknown[0]}`; declared syncs are: {', '.join(known) or 'none'} ({SYNCS_FILE})"
        )
    return [known[name] for name in names]


def run_syncs(
    conn: duckdb.DuckDBPyConnection,
    syncs: list[Sync],
    *,
    dry_run: bool = False,
    force: bool = False,
    env: Mapping[str, str] | None = None,
    context: RunContext | None = None,
) -> list[SyncRunResult]:
    context = context or RunContext()
    env = os.environ if env is None else env
    state.ensure_tables(conn)
    destinations = {sync.name: create_destination(sync, env) for sync in syncs}
    groups: dict[str, list[Sync]] = {}
    for sync in syncs:
        destination = destinations[sync.name]
        rate = sync.options.get("rate_per_s")
        if rate:
            context.limiter_for(destination, float(rate), int(sync.options.get("burst", 1)))
        groups.setdefault(destination.rate_limit_key, []).append(sync)

    def run_group(group: list[Sync]) -> list[SyncRunResult]:
        cursor = conn.cursor()  # one connection per thread; DuckDB transactions are per connection
        try:
            return [
                run_sync(cursor, sync, destinations[sync.name], context, dry_run=dry_run, force=force) for sync in group
            ]
        finally:
            cursor.close()

    try:
        with ThreadPoolExecutor(max_workers=min(4, max(1, len(groups)))) as pool:
            outcomes = list(pool.map(run_group, groups.values()))
    finally:
        for destination in destinations.values():
            destination.close()
    by_name = {result.sync_name: result for results in outcomes for result in results}
    return [by_name[sync.name] for sync in syncs]


def run_activation(
    settings: Settings, names: list[str] | None = None, *, dry_run: bool = False, force: bool = False
) -> list[SyncRunResult]:
    syncs = select_syncs(declared_syncs(settings), names)
    conn = duckdb.connect(str(settings.duckdb_path))
    try:
        return run_syncs(conn, syncs, dry_run=dry_run, force=force)
    finally:
        conn.close()
