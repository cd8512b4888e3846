"""The console store: `data/console.sqlite`, the aggregates and identity evidence the serving store lacks.

`refresh(settings)` opens the DuckDB warehouse read-only (only when no writer holds it), copies what the
console shows into a new SQLite file and swaps it in with one `os.replace`, so a page reads either the
previous refresh or this one, and the console never touches the warehouse while `cdp run` writes.
Per-customer documents (profile, segments, timeline, consent, recommendations) stay in the serving store.
"""

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from cdp.config import Settings
from cdp.errors import CdpError
from ingestion.runner import SOURCE_NAMES

BATCH = 50_000

SCHEMA = """
create table identities (
    customer_id text not null, identifier_key text not null, identifier_type text not null,
    is_linkable integer not null, count_records integer
);
create table links (
    customer_id text not null, from_key text not null, to_key text not null, source text,
    source_table text, source_record_id text, observed_at text
);
create table rejections (
    identifier_key text, linked_identifier_key text, rejected_kind text not null, reason text not null
);
create table segment_sizes (segment text not null, size_date text not null, members integer, holdout integer);
create table segment_moves (segment text not null, move_date text not null, entered integer, exited integer);
create table segment_history (
    segment text not null, customer_id text not null, is_holdout integer, entered_at text, exited_at text
);
create table sync_runs (
    run_id text primary key, sync_name text, started_at text, finished_at text, status text,
    is_dry_run integer, planned_inserts integer, planned_updates integer, planned_deletes integer,
    rows_acked integer, rows_failed integer, error text
);
create table sync_failures (
    run_id text not null, sync_name text, customer_id text, operation text, status text, error text
);
create table sync_operations (run_id text not null, operation text, status text, count integer);
create table facts (name text primary key, body text not null);
create table review_items (
    record_key_l text not null, record_key_r text not null, match_probability real, match_weight real,
    match_contributions text, left_record text, right_record text
);
"""

INDEXES = """
create index identities_customer on identities (customer_id);
create index links_customer on links (customer_id);
create index rejections_identifier on rejections (identifier_key);
create index rejections_linked on rejections (linked_identifier_key);
create index segment_sizes_segment on segment_sizes (segment, size_date);
create index segment_moves_segment on segment_moves (segment, move_date);
create index segment_history_customer on segment_history (customer_id);
create index segment_history_segment on segment_history (segment, exited_at, entered_at);
create index sync_failures_run on sync_failures (run_id);
create index sync_operations_run on sync_operations (run_id);
"""


class ConsoleStoreError(CdpError):
    """The console store is missing, or the warehouse could not be read to refresh it."""


def console_store_path(settings: Settings) -> Path:
    """`data/console.sqlite`, beside the warehouse and the serving store."""
    return settings.duckdb_path.parent / "console.sqlite"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _batches(conn: duckdb.DuckDBPyConnection, sql: str) -> Iterator[list[tuple]]:
    cursor = conn.execute(sql)
    while rows := cursor.fetchmany(BATCH):
        yield [tuple(_plain(v) for v in row) for row in rows]


def _has_table(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        conn.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )


COPIES = {
    "identities": "select customer_id, identifier_type || ':' || identifier_value, identifier_type,"
    " is_linkable, count_records from marts.customer_identities",
    "links": "select customer_id, from_identifier_key, to_identifier_key, source, source_table, source_record_id,"
    " observed_at from marts.customer_identity_links",
    "rejections": "select identifier_key, linked_identifier_key, rejected_kind, rejection_reason"
    " from marts.identity_rejections",
    "segment_sizes": "select segment, size_date, count_members, count_holdout from marts.segment_sizes_daily",
    "segment_moves": "with moves as ("
    " select segment, cast(entered_at as date) as move_date, 1 as entered, 0 as exited"
    " from marts.segment_membership_history"
    " union all select segment, cast(exited_at as date), 0, 1 from marts.segment_membership_history"
    " where exited_at is not null)"
    " select segment, move_date, sum(entered), sum(exited) from moves group by 1, 2",
    "segment_history": "select segment, customer_id, is_holdout, entered_at, exited_at"
    " from marts.segment_membership_history",
}


def _facts(conn: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, Any]:
    def rows(sql: str) -> list[tuple]:
        return [tuple(_plain(v) for v in row) for row in conn.execute(sql).fetchall()]

    customers = rows("select count(*) from marts.customer_profiles")[0][0]
    records = rows(
        "with per_customer as (select customer_id, count(*) as n from marts.customer_source_records group by 1)"
        " select coalesce(sum(n), 0), coalesce(sum(case when n > 1 then n else 0 end), 0) from per_customer"
    )[0]
    components = rows(
        "with per_customer as (select customer_id, count(*) as n from marts.customer_source_records group by 1)"
        " select case when n >= 20 then '20+' when n >= 5 then '5-19' else cast(n as string) end as bucket,"
        " count(*) from per_customer group by 1 order by min(n)"
    )
    sources = []
    for source in SOURCE_NAMES:
        schema = f"raw_{source}"
        last = quarantined = None
        if _has_table(conn, schema, "_dlt_loads"):
            last = rows(f'select max(inserted_at) from "{schema}"."_dlt_loads" where status = 0')[0][0]
        if _has_table(conn, schema, "_load_stats"):
            quarantined = rows(f'select coalesce(sum(rows_quarantined), 0) from "{schema}"."_load_stats"')[0][0]
        sources.append({"source": source, "last_load_at": last, "quarantined": quarantined})
    return {
        "refreshed_at": datetime.now(UTC).isoformat(),
        "warehouse": settings.duckdb_path.name,
        "customers": customers,
        "identifiers_by_type": rows(
            "select identifier_type, count(*) from marts.customer_identities where is_linkable"
            " group by 1 order by 2 desc"
        ),
        "source_records": records[0],
        "records_matched": records[1],
        "component_sizes": components,
        "rejections_by_reason": rows(
            "select rejected_kind, rejection_reason, count(*) from marts.identity_rejections"
            " group by 1, 2 order by 3 desc limit 30"
        ),
        "sources": sources,
        "segments": rows(
            "select segment, count(*), sum(case when is_holdout then 1 else 0 end) from marts.segment_memberships"
            " group by 1 order by 1"
        ),
    }


def refresh(settings: Settings, path: Path | None = None) -> dict[str, int]:
    """Rebuild the console store from the warehouse (read-only); returns rows copied per table.

    Raises ConsoleStoreError when the warehouse is locked by a writer: the previous store stays."""
    path = path or console_store_path(settings)
    try:
        conn = duckdb.connect(str(settings.duckdb_path), read_only=True)
    except duckdb.Error as exc:
        raise ConsoleStoreError(
            f"Cannot open the warehouse `{settings.duckdb_path}` read-only ({type(exc).__name__}); a writer"
            " (cdp run / build) may hold it: the console keeps its last refresh, try again when it is done"
        ) from exc
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    out = sqlite3.connect(tmp, isolation_level=None)
    try:
        out.executescript(SCHEMA)
        out.execute("begin")
        for table, sql in COPIES.items():
            counts[table] = 0
            width = len(out.execute(f"select * from {table} limit 0").description)
            for batch in _batches(conn, sql):
                out.executemany(f"insert into {table} values ({', '.join('?' * width)})", batch)
                counts[table] += len(batch)
        counts.update(_copy_syncs(conn, out))
        counts.update(_copy_review_queue(conn, out))
        out.execute("insert into facts values ('overview', ?)", [json.dumps(_facts(conn, settings))])
        out.execute("commit")
        out.executescript(INDEXES)
        out.execute("analyze")
    finally:
        out.close()
        conn.close()
    os.replace(tmp, path)
    return counts


def _copy_syncs(conn: duckdb.DuckDBPyConnection, out: sqlite3.Connection) -> dict[str, int]:
    """Activation's audit (schema `activation`): runs, counts per operation, and failed rows with error text."""
    if not _has_table(conn, "activation", "sync_runs"):
        return {"sync_runs": 0}
    runs = conn.execute(
        "select run_id, sync_name, started_at, finished_at, status, is_dry_run, planned_inserts, planned_updates,"
        " planned_deletes, rows_acked, rows_failed, error from activation.sync_runs"
        " order by started_at desc limit 2000"
    ).fetchall()
    out.executemany(f"insert into sync_runs values ({', '.join('?' * 12)})", [[_plain(v) for v in r] for r in runs])
    ops = conn.execute(
        "select run_id, operation, status, count(*) from activation.sync_changelog group by 1, 2, 3"
    ).fetchall()
    out.executemany("insert into sync_operations values (?, ?, ?, ?)", ops)
    failures = conn.execute(
        "select run_id, sync_name, customer_id, operation, status, error from activation.sync_changelog"
        " where status = 'failed' or error is not null order by logged_at desc limit 5000"
    ).fetchall()
    out.executemany("insert into sync_failures values (?, ?, ?, ?, ?, ?)", failures)
    return {"sync_runs": len(runs), "sync_failures": len(failures)}


REVIEW_ITEMS = 500


def _copy_review_queue(conn: duckdb.DuckDBPyConnection, out: sqlite3.Connection) -> dict[str, int]:
    """The probabilistic layer's review queue (issue 11: marts.identity_review_queue) with both records'
    compared fields, strongest first, as `cdp review` reads it (cdp.matching.review.read_queue)."""
    from cdp.matching.review import read_queue

    items = read_queue(conn, REVIEW_ITEMS)
    out.executemany(
        "insert into review_items values (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                item.record_key_l,
                item.record_key_r,
                item.match_probability,
                item.match_weight,
                json.dumps(item.contributions),
                json.dumps({k: _plain(v) for k, v in item.left.items()}),
                json.dumps({k: _plain(v) for k, v in item.right.items()}),
            )
            for item in items
        ],
    )
    return {"review_items": len(items)}


def connect(path: Path) -> sqlite3.Connection:
    """A read-only connection to the console store (opened per request: a refresh swaps the file)."""
    if not path.exists():
        raise ConsoleStoreError(f"No console store at `{path}`: run `cdp console refresh` after `cdp build`")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None)
    conn.execute("pragma query_only = on")
    return conn


def facts(conn: sqlite3.Connection) -> dict[str, Any]:
    row = conn.execute("select body from facts where name = 'overview'").fetchall()
    return json.loads(row[0][0]) if row else {}


def age_seconds(path: Path) -> float:
    return time.time() - path.stat().st_mtime
