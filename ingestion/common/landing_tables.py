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

from ingestion.common.files import new_landing_files, remember_landing_file
from ingestion.common.quarantine import TableCounts, finish
from ingestion.common.readers import READERS, RECORDS
from ingestion.common.records import RawTable, create_seen_keys, shape_records

log = logging.getLogger(__name__)


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()  # in memory: a scratch space for one resource run
    # Offsets in the files are kept; a timestamp without one is read as UTC, and Arrow gets UTC.
    con.execute("set TimeZone = 'UTC'")
    return con


def _drop_records(con: duckdb.DuckDBPyConnection) -> None:
    con.unregister(RECORDS)
    con.execute(f"drop view if exists {RECORDS}")


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
        for landing_file in reversed(files):
            _drop_records(con)
            for payload, reason in read(con, landing_file.path):
                counts.reject(payload, reason, landing_file.name)
            shaped = shape_records(con, table, landing_file.name, load_id)
            for payload, reason in shaped.refused:
                counts.reject(payload, reason, landing_file.name)
            counts.add(
                read=shaped.rows.num_rows + shaped.duplicates,
                loaded=shaped.rows.num_rows,
                duplicate=shaped.duplicates,
            )
            log.info(
                "%s.%s: %s rows from %s (%s refused, %s duplicates)",
                table.source,
                table.name,
                shaped.rows.num_rows,
                landing_file.name,
                len(shaped.refused),
                shaped.duplicates,
            )
            if shaped.rows.num_rows:
                yield shaped.rows
            remember_landing_file(landing_file)
    finally:
        con.close()
    yield from finish(counts)
