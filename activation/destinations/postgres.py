"""PostgreSQL destination: upsert (and mirror deletes) into a table, exactly once.

Each batch runs in one transaction that first records its idempotency key in `_cdp_applied_batches`; a
batch whose key is already there was applied before (the acknowledgement was lost) and is skipped, so a
resend never applies twice. Field columns are text: the warehouse owns the types, this table is a copy.
"""

import re
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg import sql

from activation.destinations import secret
from activation.destinations.base import Batch, BatchResult, DestinationBase
from activation.errors import PermanentError, RetryableError, SyncConfigError
from activation.syncs import Sync

MARKER_TABLE = "_cdp_applied_batches"
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class PostgresDestination(DestinationBase):
    name = "postgres"

    def __init__(
        self,
        dsn: str,
        table: str,
        columns: list[str],
        key_column: str = "customer_id",
        schema: str = "public",
        max_batch_size: int = 5000,
        connect_timeout_s: int = 10,
    ) -> None:
        for name in [table, key_column, schema, *columns]:
            if not _NAME.match(name):
                raise SyncConfigError(f"PostgreSQL destination: `{name}` is not a plain lower-case identifier")
        self._dsn = dsn
        self.schema, self.table, self.key_column, self.columns = schema, table, key_column, columns
        self.max_batch_size = max_batch_size
        self.connect_timeout_s = connect_timeout_s
        self.rate_limit_key = f"postgres:{schema}.{table}"
        self._conn: psycopg.Connection | None = None
        self._ready = False

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self._dsn, connect_timeout=self.connect_timeout_s)
            self._ready = False
        if not self._ready:
            self._create_tables(self._conn)
            self._ready = True
        return self._conn

    def _create_tables(self, conn: psycopg.Connection) -> None:
        columns = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in self.columns)
        with conn.transaction():
            conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(self.schema)))
            conn.execute(
                sql.SQL(
                    "create table if not exists {}.{} ({} text primary key, {}, _archived_at timestamptz,"
                    " _synced_at timestamptz not null default now())"
                ).format(
                    sql.Identifier(self.schema), sql.Identifier(self.table), sql.Identifier(self.key_column), columns
                )
            )
            conn.execute(
                sql.SQL(
                    "create table if not exists {}.{} (idempotency_key text primary key, sync_name text not null,"
                    " applied_at timestamptz not null default now())"
                ).format(sql.Identifier(self.schema), sql.Identifier(MARKER_TABLE))
            )

    def _apply(self, conn: psycopg.Connection, batch: Batch) -> None:
        table = sql.Identifier(self.schema, self.table)
        key = sql.Identifier(self.key_column)
        if batch.operation in ("upsert", "insert", "update"):
            names = [key, *(sql.Identifier(c) for c in self.columns)]
            updates = sql.SQL(", ").join(
                sql.SQL("{} = excluded.{}").format(sql.Identifier(c), sql.Identifier(c)) for c in [*self.columns]
            )
            conflict = (
                sql.SQL("do nothing")
                if batch.operation == "insert"
                else sql.SQL("do update set {}, _archived_at = null, _synced_at = now()").format(updates)
            )
            statement = sql.SQL("insert into {} ({}) values ({}) on conflict ({}) {}").format(
                table, sql.SQL(", ").join(names), sql.SQL(", ").join(sql.Placeholder() * len(names)), key, conflict
            )
            rows = [[r.key, *(_text((r.fields or {}).get(c)) for c in self.columns)] for r in batch.records]
            if batch.operation == "update":  # update-only: rows the table does not hold are not created
                statement = sql.SQL("update {} set {}, _synced_at = now() where {} = %s").format(
                    table,
                    sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in self.columns),
                    key,
                )
                rows = [[*row[1:], row[0]] for row in rows]
            with conn.cursor() as cursor:
                cursor.executemany(statement, rows)
        elif batch.operation in ("delete", "archive", "clear"):
            keys = [r.key for r in batch.records]
            if batch.operation == "delete":
                statement = sql.SQL("delete from {} where {} = any(%s)").format(table, key)
            elif batch.operation == "archive":
                statement = sql.SQL("update {} set _archived_at = now() where {} = any(%s)").format(table, key)
            else:
                cleared = sql.SQL(", ").join(sql.SQL("{} = null").format(sql.Identifier(c)) for c in self.columns)
                statement = sql.SQL("update {} set {}, _synced_at = now() where {} = any(%s)").format(
                    table, cleared, key
                )
            conn.execute(statement, [keys])
        else:
            raise PermanentError(f"operation `{batch.operation}` is not supported by PostgreSQL destinations")

    def send(self, batch: Batch) -> BatchResult:
        try:
            conn = self._connection()
            with conn.transaction():
                claimed = conn.execute(
                    sql.SQL(
                        "insert into {} (idempotency_key, sync_name) values (%s, %s) on conflict do nothing returning 1"
                    ).format(sql.Identifier(self.schema, MARKER_TABLE)),
                    [batch.idempotency_key, batch.sync_name],
                ).fetchone()
                if claimed:
                    self._apply(conn, batch)
        except psycopg.OperationalError as exc:
            self.close()
            raise RetryableError(f"PostgreSQL unavailable: {type(exc).__name__}") from exc
        except psycopg.Error as exc:
            self.close()
            raise PermanentError(f"PostgreSQL refused the batch: {type(exc).__name__} ({exc.sqlstate})") from exc
        return BatchResult()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def create(sync: Sync, env: Mapping[str, str]) -> PostgresDestination:
    options = sync.options
    if not options.get("table"):
        raise SyncConfigError(f"Sync `{sync.name}`: a PostgreSQL destination needs option `table`")
    return PostgresDestination(
        secret(options, env, "dsn_env", f"Sync `{sync.name}`"),
        options["table"],
        list(sync.fields),
        options.get("key_column", "customer_id"),
        options.get("schema", "public"),
        int(options.get("batch_size", 5000)),
    )
