"""The body of a resource that loads one raw table from landing files: new files in, Arrow tables out.

Only files that are new or changed since the last run are read (`new_landing_files`). They are read
newest first (by name: the files carry their date), so that when a key comes twice in one run, the
later delivery is the one loaded and the earlier ones are counted as `rows_duplicate`; across runs
the resource's merge on the key does the same. Refused records go to `_quarantine` and the run's
counts to `_load_stats`, in the same load package as the rows (`finish`).
"""

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import duckdb

from ingestion.common.files import LandingFile, new_landing_files, remember_landing_file
from ingestion.common.quarantine import TableCounts, finish
from ingestion.common.readers import READERS
from ingestion.common.records import RawTable, RecordBatch, create_seen_keys, shape_records

# Files are shaped in batches of up to this much payload: big enough for DuckDB to use every core on
# a day of events, small enough to keep a backfill of months within memory.
BATCH_BYTES = 256 * 1024 * 1024

log = logging.getLogger(__name__)


def _connect() -> duckdb.DuckDBPyConnection:
    # In memory: a scratch space for one resource run; quiet, as libraries don't print.
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    # Offsets in the files are kept; a timestamp without one is read as UTC, and Arrow gets UTC.
    con.execute("set TimeZone = 'UTC'")
    return con


def load_landing_table(table: RawTable, landing_dir: Path) -> Iterator[Any]:
    """Yield the rows of the new files matching `table.pattern`, then the quarantine and the counts."""
    landing_dir = Path(landing_dir)
    files = new_landing_files(landing_dir, table.pattern) if landing_dir.is_dir() else []
    counts = TableCounts(table.source, table.name)
    load_id = dlt.current.load_package_state()["load_id"]
    read = READERS[table.reader]
    con = _connect()
    try:
        create_seen_keys(con, table)
        batch, batch_files = RecordBatch(), []
        # Newest first: see `records.create_seen_keys`.
        for file_order, landing_file in reversed(list(enumerate(files))):
            payloads, rejected = read(landing_file.path)
            for payload, reason in rejected:
                counts.reject(payload, reason, landing_file.name)
            batch.add(landing_file.name, file_order, payloads)
            batch_files.append(landing_file)
            if batch.size >= BATCH_BYTES:
                yield from _load_batch(con, table, batch, batch_files, counts, load_id)
                batch, batch_files = RecordBatch(), []
        if batch_files:
            yield from _load_batch(con, table, batch, batch_files, counts, load_id)
    finally:
        con.close()
    yield from finish(counts)


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    table: RawTable,
    batch: RecordBatch,
    batch_files: list[LandingFile],
    counts: TableCounts,
    load_id: str,
) -> Iterator[Any]:
    shaped = shape_records(con, table, batch, load_id)
    for payload, reason, file_name in shaped.refused:
        counts.reject(payload, reason, file_name)
    counts.add(
        read=shaped.rows.num_rows + shaped.duplicates,
        loaded=shaped.rows.num_rows,
        duplicate=shaped.duplicates,
    )
    log.info(
        "%s.%s: %s rows from %s files (%s refused, %s duplicates)",
        table.source,
        table.name,
        shaped.rows.num_rows,
        len(batch_files),
        len(shaped.refused),
        shaped.duplicates,
    )
    if shaped.rows.num_rows:
        yield shaped.rows
    for landing_file in batch_files:
        remember_landing_file(landing_file)
