"""Reading the POS tables as Arrow batches: lag window, re-read deduplication and quarantine.

The work happens in a `TableLoader` subclass that `sql_table` runs for every table, so each batch is
checked where it is read, vectorised (Arrow compute and DuckDB over the Arrow batch), and the
quarantine and load statistics are yielded after the last batch.
"""

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from dlt.sources.sql_database.helpers import TableLoader
from sqlalchemy.engine import make_url

from cdp.errors import IngestionError
from ingestion.common import TableCounts, finish
from ingestion.pos import settings

SOURCE = "pos"
_KEY_SEPARATOR = "\x1f"
_ROW_INDEX = "__pos_row_index"
# ISO 8601 with a date, a time and an offset; DuckDB's cast then rejects impossible dates (30 February).
_OFFSET_TIMESTAMP_RE = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)"


def check_sqlite_exists(credentials: str) -> None:
    """Fail early on a missing SQLite file: SQLAlchemy would create an empty one and find no tables."""
    url = make_url(credentials)
    is_file_db = url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:"
    if is_file_db and not Path(url.database).is_file():
        raise IngestionError(
            f"POS database `{url.database}` does not exist; the POS export lands in `pos/pos.sqlite`"
        )


def lag_text_cursor(value: str, lag_seconds: float) -> str:
    try:
        moment = datetime.strptime(value, settings.CURSOR_FORMAT)
    except (TypeError, ValueError):
        raise IngestionError(
            f"POS cursor value `{value}` is not a '{settings.CURSOR_FORMAT}' timestamp"
        ) from None
    return (moment - timedelta(seconds=lag_seconds)).strftime(settings.CURSOR_FORMAT)


class ReadRows:
    """The (key, version) of rows already read, in the resource state, so re-reads are dropped.

    The version is `updated_at` for tables with a cursor (kept for the lag window only) and a hash of
    the row for tables read whole every run.
    """

    STATE_KEY = "read_rows"

    def __init__(self) -> None:
        self._versions: dict[str, str] = dlt.current.resource_state().setdefault(self.STATE_KEY, {})

    def known(self, keys: pa.Array, versions: pa.Array) -> pa.Array:
        """Boolean mask of the rows already read with the same version."""
        if not self._versions:
            return pa.array([False] * len(keys))
        known = pa.array([k + _KEY_SEPARATOR + v for k, v in self._versions.items()], pa.string())
        pairs = pc.binary_join_element_wise(keys, versions, _KEY_SEPARATOR)
        return pc.fill_null(pc.is_in(pairs, value_set=known), False)

    def remember(self, keys: pa.Array, versions: pa.Array) -> None:
        self._versions.update(zip(keys.to_pylist(), versions.to_pylist(), strict=False))

    def forget_before(self, cutoff: str) -> None:
        for key in [k for k, version in self._versions.items() if version < cutoff]:
            del self._versions[key]


def _row_hashes(batch: pa.Table) -> pa.Array:
    # Only for tables without a cursor, read whole every run: stores, a few dozen rows.
    rows = batch.to_pylist()
    return pa.array(
        [hashlib.md5(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest() for row in rows],
        pa.string(),
    )


def _timestamp_problems(
    batch: pa.Table, columns: tuple[str, ...], con: duckdb.DuckDBPyConnection
) -> dict[int, str]:
    """Row index -> reason, for rows whose `columns` are not ISO 8601 timestamps with an offset."""
    checks = []
    for column in columns:
        quoted = f'"{column}"'
        checks.append(
            f"case when {quoted} is null then '`{column}` is null'"
            f" when not regexp_full_match({quoted}, '{_OFFSET_TIMESTAMP_RE}')"
            f" or try_cast({quoted} as timestamptz) is null"
            f" then '`{column}` is not an ISO 8601 timestamp with a UTC offset: `' || {quoted} || '`' end"
        )
    reason = checks[0] if len(checks) == 1 else f"coalesce({', '.join(checks)})"
    con.register("batch", batch)
    try:
        rows = con.execute(
            f"select {_ROW_INDEX}, reason from (select {_ROW_INDEX}, {reason} as reason from batch)"
            " where reason is not null"
        ).fetchall()
    finally:
        con.unregister("batch")
    return dict(rows)


def _later(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a if b is None else b
    return max(a, b)


class PosTableLoader(TableLoader):
    """Reads a POS table in Arrow batches and yields the loadable rows, then quarantine and statistics.

    The `updated_at` range goes into the SQL query, stepped back by the lag window; the incremental is
    then advanced by hand: it lets rows through unfiltered (the quarantine and statistics items have
    no cursor) and its last value is set to the newest `updated_at` read.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec = settings.TABLES[self.table.name]
        if self.incremental is not None and self.last_value is not None:
            self.last_value = lag_text_cursor(self.last_value, settings.LAG_SECONDS)

    def load_rows(self, backend_kwargs: dict[str, Any] | None = None) -> Iterator[Any]:
        counts = TableCounts(SOURCE, self.table.name)
        read_rows = ReadRows()
        cursor = self.spec.cursor
        previous_last = None
        if self.incremental is not None:
            previous_last = self.incremental.get_state().get("last_value")
            self.incremental.advance(None)
        newest = previous_last
        with duckdb.connect() as con:
            for batch in super().load_rows(backend_kwargs):
                if isinstance(batch, pa.RecordBatch):
                    batch = pa.Table.from_batches([batch])
                if cursor:
                    newest = _later(newest, pc.max(batch[cursor]).as_py())
                good = self._check_batch(batch, counts, read_rows, con, newest)
                if good.num_rows:
                    yield good
        if self.incremental is not None and newest is not None:
            if newest != previous_last:
                self.incremental.advance(newest)
            read_rows.forget_before(lag_text_cursor(newest, settings.LAG_SECONDS))
        yield from finish(counts)

    def _check_batch(
        self,
        batch: pa.Table,
        counts: TableCounts,
        read_rows: ReadRows,
        con: duckdb.DuckDBPyConnection,
        newest: str | None,
    ) -> pa.Table:
        """The rows of `batch` to load; counts the read, duplicate and quarantined ones."""
        cursor = self.spec.cursor
        keys = pc.cast(batch[self.spec.primary_key], pa.string())
        versions = pc.cast(batch[cursor], pa.string()) if cursor else _row_hashes(batch)
        known = read_rows.known(keys, versions)
        duplicates = pc.sum(known).as_py() or 0
        counts.add(read=duplicates, duplicate=duplicates)
        fresh = pc.invert(known)
        batch, keys, versions = batch.filter(fresh), keys.filter(fresh), versions.filter(fresh)

        # Remember what the next run will read again: with a cursor, the rows inside the lag window.
        if cursor and newest is not None:
            in_window = pc.greater_equal(versions, lag_text_cursor(newest, settings.LAG_SECONDS))
            read_rows.remember(keys.filter(in_window), versions.filter(in_window))
        else:
            read_rows.remember(keys, versions)

        if self.spec.offset_timestamps:
            batch = self._quarantine_bad_timestamps(batch, counts, con)
        counts.add(read=batch.num_rows, loaded=batch.num_rows)
        return batch

    def _quarantine_bad_timestamps(
        self, batch: pa.Table, counts: TableCounts, con: duckdb.DuckDBPyConnection
    ) -> pa.Table:
        indexed = batch.append_column(_ROW_INDEX, pa.array(range(batch.num_rows), pa.int64()))
        problems = _timestamp_problems(indexed, self.spec.offset_timestamps, con)
        if not problems:
            return batch
        bad = pc.is_in(indexed[_ROW_INDEX], value_set=pa.array(list(problems), pa.int64()))
        for row in indexed.filter(bad).to_pylist():
            reason = problems[row.pop(_ROW_INDEX)]
            counts.reject(json.dumps(row, default=str), reason)
        return batch.filter(pc.invert(bad))
