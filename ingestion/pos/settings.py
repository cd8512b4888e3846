"""Constants of the POS source: the tables, their keys and cursors, the lag window and batch size."""

from typing import NamedTuple


class PosTable(NamedTuple):
    primary_key: str
    cursor: str | None  # None: the table has no change timestamp and is read whole every run
    offset_timestamps: tuple[str, ...] = ()  # text columns that must hold ISO 8601 with a UTC offset


TABLES = {
    "stores": PosTable(primary_key="store_id", cursor=None),
    "receipts": PosTable(primary_key="receipt_id", cursor="updated_at", offset_timestamps=("created_at",)),
    "receipt_lines": PosTable(primary_key="line_id", cursor="updated_at"),
}

# `updated_at` is text in UTC, 'YYYY-MM-DD HH:MM:SS', so it orders lexicographically in SQLite.
CURSOR_FORMAT = "%Y-%m-%d %H:%M:%S"
INITIAL_UPDATED_AT = "1970-01-01 00:00:00"
# Tills sync late and in bursts: a receipt can be written with an `updated_at` earlier than one already
# read. Each run re-reads the last hour; rows already read with the same `updated_at` are dropped.
LAG_SECONDS = 3600

CHUNK_SIZE = 50_000  # rows per Arrow batch
