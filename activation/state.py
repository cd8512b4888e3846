"""What each destination acknowledged, and the audit of every run, in the warehouse schema `activation`.

- `sync_state`: one row per sync and record the destination acknowledged: the hash of the mapped fields
  (and one short hash per field, so a dry run can say which fields changed without storing values), and
  the destination's id for it. It takes a row's new hash only when the destination acknowledged it;
  while a batch is out its rows hold `pending` (they may or may not have been applied). A deleted row
  stays as a `deleted` tombstone: its `version` (one more per acknowledgement) goes into idempotency
  keys, so re-adding the same row later is a new batch, not a duplicate of the first one.
- `sync_runs`: one row per sync run, with counts and status.
- `sync_changelog`: one row per record sent (or skipped) in a run: run, batch, customer key, operation,
  status and error text. No PII: keys are customer ids, errors carry no field values.
"""

import duckdb
import pyarrow as pa

SCHEMA = "activation"
# row_hash of a row whose batch was sent but not (yet) acknowledged, followed by `:` and the hash it was
# sent with (or `deleted`); PENDING_NEW: the row was not there before
PENDING, PENDING_NEW = "pending", "pending:new"
# row_hash of a row the destination acknowledged deleting: kept (a tombstone) so that its version goes on
DELETED = "deleted"

DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.sync_state (
    sync_name varchar not null,
    record_key varchar not null,
    row_hash varchar not null,
    field_hashes varchar[],
    external_id varchar,
    version bigint not null,
    acked_at timestamp not null,
    primary key (sync_name, record_key)
);
create table if not exists {SCHEMA}.sync_runs (
    run_id varchar primary key,
    sync_name varchar not null,
    started_at timestamp not null,
    finished_at timestamp,
    status varchar not null,
    is_dry_run boolean not null,
    planned_inserts bigint,
    planned_updates bigint,
    planned_deletes bigint,
    rows_acked bigint,
    rows_failed bigint,
    requests_sent bigint,
    error varchar
);
create table if not exists {SCHEMA}.sync_changelog (
    run_id varchar not null,
    sync_name varchar not null,
    batch_no integer not null,
    idempotency_key varchar,
    customer_id varchar not null,
    operation varchar not null,
    status varchar not null,
    error varchar,
    logged_at timestamp not null
);
"""


def ensure_tables(conn: duckdb.DuckDBPyConnection) -> None:
    # DDL only when missing: syncs run in parallel threads, and concurrent DDL would conflict
    present = conn.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name in"
        " ('sync_state', 'sync_runs', 'sync_changelog')",
        [SCHEMA],
    ).fetchall()[0][0]
    if present < 3:
        conn.execute(DDL)


StateRow = tuple[str, str, list[str] | None, str | None, int]  # key, row_hash, field_hashes, external_id, version


def write_state(conn: duckdb.DuckDBPyConnection, sync_name: str, rows: list[StateRow]) -> None:
    """Set the state of the given records. The caller owns the transaction."""
    if not rows:
        return
    table = pa.table(
        {
            "record_key": [row[0] for row in rows],
            "row_hash": [row[1] for row in rows],
            "field_hashes": pa.array([row[2] for row in rows], type=pa.list_(pa.string())),
            "external_id": pa.array([row[3] for row in rows], type=pa.string()),
            "version": pa.array([row[4] for row in rows], type=pa.int64()),
        }
    )
    conn.register("_state_rows", table)
    try:
        conn.execute(
            f"""insert or replace into {SCHEMA}.sync_state
                select ?, record_key, row_hash, field_hashes, external_id, version, cast(now() as timestamp)
                from _state_rows""",
            [sync_name],
        )
    finally:
        conn.unregister("_state_rows")


def log_changes(
    conn: duckdb.DuckDBPyConnection,
    run_id: str,
    sync_name: str,
    batch_no: int,
    idempotency_key: str | None,
    rows: list[tuple[str, str, str, str | None]],
) -> None:
    """Append (customer_id, operation, status, error) rows to the changelog of a run."""
    if not rows:
        return
    table = pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "operation": [r[1] for r in rows],
            "status": [r[2] for r in rows],
            "error": pa.array([r[3] for r in rows], type=pa.string()),
        }
    )
    conn.register("_changelog_rows", table)
    conn.execute(
        f"""insert into {SCHEMA}.sync_changelog
            select ?, ?, ?, ?, customer_id, operation, status, error, cast(now() as timestamp)
            from _changelog_rows""",
        [run_id, sync_name, batch_no, idempotency_key],
    )
    conn.unregister("_changelog_rows")


def start_run(conn: duckdb.DuckDBPyConnection, run_id: str, sync_name: str, dry_run: bool) -> None:
    conn.execute(
        f"insert into {SCHEMA}.sync_runs (run_id, sync_name, started_at, status, is_dry_run)"
        " values (?, ?, cast(now() as timestamp), 'running', ?)",
        [run_id, sync_name, dry_run],
    )


def finish_run(conn: duckdb.DuckDBPyConnection, run_id: str, **figures) -> None:
    columns = ", ".join(f"{name} = ?" for name in figures)
    conn.execute(
        f"update {SCHEMA}.sync_runs set finished_at = cast(now() as timestamp), {columns} where run_id = ?",
        [*figures.values(), run_id],
    )
