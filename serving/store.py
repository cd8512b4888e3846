"""The serving store: a SQLite file in WAL mode that the profile API reads and only `publish` writes.

One row per customer and kind of document (profile traits, segments, recommendations, recent events,
consent) holding the JSON the API returns, plus the content hash publish compares. Identifiers are one
row per (type, lookup value) -> customer. WAL lets any number of read-only connections read a consistent
snapshot while publish writes; the DuckDB warehouse is never opened by a reader.
"""

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from cdp.config import Settings
from serving.changes import CHANGES_SCHEMA
from serving.errors import StoreMissingError

# Tables of per-customer JSON documents, keyed on customer_id.
DOCUMENT_TABLES = ("profiles", "segments", "recommendations", "events", "consents")
# The events document keeps the newest events only: enough for on-site use, bounded in size.
RECENT_EVENTS_PER_CUSTOMER = 50

SCHEMA = """
create table if not exists {table} (
    customer_id text primary key,
    body text not null,
    content_hash text not null
);
"""

IDENTIFIERS_SCHEMA = """
create table if not exists identifiers (
    identifier_type text not null,
    lookup_value text not null,
    customer_id text not null,
    content_hash text not null,
    primary key (identifier_type, lookup_value)
) without rowid;
create table if not exists suppressions (
    identifier_hash text primary key
) without rowid;
create table if not exists publish_log (
    published_at text not null,
    traits_as_of text,
    rows_upserted integer not null,
    rows_deleted integer not null
);
"""


def store_path(settings: Settings) -> Path:
    """`data/serving.sqlite`: beside the warehouse file, so one data folder holds both."""
    return settings.duckdb_path.parent / "serving.sqlite"


def connect_writer(path: Path) -> sqlite3.Connection:
    """The one writing connection (publish): creates the file and tables, switches the file to WAL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("pragma journal_mode = wal")
    # NORMAL is durable across application crashes in WAL mode; a power cut can lose the last publish,
    # which the next publish repeats (the hashes then differ).
    conn.execute("pragma synchronous = normal")
    for table in DOCUMENT_TABLES:
        conn.execute(SCHEMA.format(table=table))
    conn.executescript(IDENTIFIERS_SCHEMA)
    conn.executescript(CHANGES_SCHEMA)
    return conn


def connect_reader(path: Path) -> sqlite3.Connection:
    """A read-only connection: the server can never write, and it never blocks the writer (WAL)."""
    if not path.exists():
        raise StoreMissingError(path)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None)
    conn.execute("pragma query_only = on")
    conn.execute("pragma cache_size = -65536")  # 64 MiB of page cache per connection
    conn.execute("pragma mmap_size = 1073741824")
    return conn


def stored_hashes(conn: sqlite3.Connection, table: str) -> dict[tuple[str, ...], str]:
    """Key -> content hash of every row of `table` (key: customer_id, or type and value for identifiers)."""
    if table == "identifiers":
        rows = conn.execute("select identifier_type, lookup_value, content_hash from identifiers")
        return {(t, v): h for t, v, h in rows}
    return {(c,): h for c, h in conn.execute(f"select customer_id, content_hash from {table}")}


def apply_changes(
    conn: sqlite3.Connection,
    table: str,
    upserts: Iterable[Sequence[str]],
    deletes: Iterable[tuple[str, ...]],
) -> tuple[int, int]:
    """Upsert rows (columns in table order) and delete keys; returns (upserted, deleted).

    Runs inside the caller's transaction, so a publish becomes visible to readers all at once.
    """
    if table == "identifiers":
        upsert_sql = (
            "insert into identifiers (identifier_type, lookup_value, customer_id, content_hash) values (?, ?, ?, ?)"
            " on conflict (identifier_type, lookup_value) do update set"
            " customer_id = excluded.customer_id, content_hash = excluded.content_hash"
        )
        delete_sql = "delete from identifiers where identifier_type = ? and lookup_value = ?"
    else:
        upsert_sql = (
            f"insert into {table} (customer_id, body, content_hash) values (?, ?, ?)"
            " on conflict (customer_id) do update set body = excluded.body, content_hash = excluded.content_hash"
        )
        delete_sql = f"delete from {table} where customer_id = ?"
    upserted = conn.executemany(upsert_sql, upserts).rowcount
    deleted = conn.executemany(delete_sql, deletes).rowcount
    return max(upserted, 0), max(deleted, 0)
