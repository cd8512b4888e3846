"""Quarantine and load statistics, yielded by a resource next to its good rows.

A resource yields its good rows as usual, then `quarantine_item(...)` for the rows it refused and one
`counts_item(...)` per table. Both are routed by dlt hints to the dataset's `_quarantine` and
`_load_stats` tables (append), so they land in the same load package as the data they describe:
either all of it is loaded or none.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dlt
import pyarrow as pa

QUARANTINE_TABLE = "_quarantine"
LOAD_STATS_TABLE = "_load_stats"

_QUARANTINE_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("source_table", pa.string()),
        ("raw_payload", pa.string()),
        ("reason", pa.string()),
        ("file_name", pa.string()),
        ("loaded_at", pa.timestamp("us", tz="UTC")),
    ]
)


@dataclass(frozen=True)
class QuarantineRow:
    """A record that was read but cannot be loaded, with the reason why."""

    raw_payload: str
    reason: str
    file_name: str | None = None


@dataclass
class TableCounts:
    """Per-table counts of one run: rows_read = rows_loaded + rows_quarantined + rows_duplicate."""

    source: str
    source_table: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    quarantined: list[QuarantineRow] = field(default_factory=list)

    def add(self, *, read: int = 0, loaded: int = 0, duplicate: int = 0) -> None:
        self.rows_read += read
        self.rows_loaded += loaded
        self.rows_duplicate += duplicate

    def reject(self, raw_payload: str, reason: str, file_name: str | None = None) -> None:
        """Count one read record as quarantined."""
        self.rows_read += 1
        self.rows_quarantined += 1
        self.quarantined.append(QuarantineRow(raw_payload, reason, file_name))

    def check(self) -> None:
        balance = self.rows_loaded + self.rows_quarantined + self.rows_duplicate
        if self.rows_read != balance:
            raise AssertionError(
                f"`{self.source}.{self.source_table}`: read {self.rows_read} rows but accounted for {balance}"
            )


def _append_hints(table_name: str, file_format: str) -> Any:
    # dlt starts a table variant from a copy of the resource's hints: reset keys, declared columns and
    # nested hints, or `_quarantine` would inherit e.g. a non-null `id` column of `orders`. The file
    # format follows the item (Arrow -> parquet, dicts -> jsonl), not the resource.
    return dlt.mark.make_hints(
        table_name=table_name,
        write_disposition="append",
        primary_key=[],
        merge_key=[],
        columns={},
        nested_hints={},
        file_format=file_format,
    )


def quarantine_item(counts: TableCounts) -> Any:
    """The rows `counts` refused, as an item routed to `_quarantine`; None when there are none."""
    if not counts.quarantined:
        return None
    now = datetime.now(UTC)
    rows = counts.quarantined
    table = pa.table(
        {
            "source": [counts.source] * len(rows),
            "source_table": [counts.source_table] * len(rows),
            "raw_payload": [r.raw_payload for r in rows],
            "reason": [r.reason for r in rows],
            "file_name": [r.file_name for r in rows],
            "loaded_at": [now] * len(rows),
        },
        schema=_QUARANTINE_SCHEMA,
    )
    return dlt.mark.with_hints(table, _append_hints(QUARANTINE_TABLE, "parquet"), create_table_variant=True)


def counts_item(counts: TableCounts) -> Any:
    """One `_load_stats` row for this run of `counts.source_table`."""
    counts.check()
    row = {
        "source": counts.source,
        "source_table": counts.source_table,
        "rows_read": counts.rows_read,
        "rows_loaded": counts.rows_loaded,
        "rows_quarantined": counts.rows_quarantined,
        "rows_duplicate": counts.rows_duplicate,
        "loaded_at": datetime.now(UTC),
    }
    return dlt.mark.with_hints([row], _append_hints(LOAD_STATS_TABLE, "jsonl"), create_table_variant=True)


def finish(counts: TableCounts):
    """Yield the quarantine and statistics items of one table; use as `yield from finish(counts)`."""
    item = quarantine_item(counts)
    if item is not None:
        yield item
    yield counts_item(counts)
