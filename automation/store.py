"""The flows store: one SQLite file (`data/flows.sqlite`, WAL) with everything the engine decides.

Entries, timers, the outbox and the read positions (spool file and line, change seq) live together, so
one transaction commits a decision with the input it consumed: after a crash the engine resumes from the
last committed position and makes the same decisions again, under the same firing ids.
"""

import hashlib
import sqlite3
from pathlib import Path

from cdp.config import Settings

SCHEMA = """
create table if not exists cursors (name text primary key, value text not null);
create table if not exists entries (
    entry_id text primary key,
    flow text not null,
    version integer not null,
    customer_id text not null,
    entry_key text,
    occurrence integer not null,
    status text not null,          -- active | completed | converted | exited
    step integer not null,
    context text,                  -- the trigger's properties (templates); never exported
    entered_at real not null,
    updated_at real not null,
    exit_reason text
);
create index if not exists entries_by_customer on entries (customer_id, flow, status);
create table if not exists timers (
    timer_id text primary key,
    kind text not null,            -- step | absence | inactivity
    flow text not null,
    customer_id text not null,
    entry_key text,
    entry_id text,
    due_at real not null,
    payload text
);
create index if not exists timers_by_due on timers (due_at);
create table if not exists activity (
    flow text not null, customer_id text not null, last_at real not null, primary key (flow, customer_id)
);
create table if not exists product_views (
    sku text not null, customer_id text not null, viewed_at real not null, primary key (sku, customer_id)
);
create table if not exists stock (sku text primary key, quantity integer, name text);
create table if not exists outbox (
    firing_id text primary key,    -- sha256 of flow, version, customer, key, occurrence, step
    flow text not null,
    version integer not null,
    entry_id text not null,
    step text not null,
    customer_id text not null,
    channel text not null,
    status text not null,          -- pending | sent | suppressed | failed
    reason text,                   -- why suppressed: consent, cap, quiet_hours, privacy, no_address
    message text,                  -- the rendered message and address; cleared once settled
    created_at real not null,
    due_at real not null,          -- next delivery attempt
    attempts integer not null default 0,
    settled_at real,
    error text
);
create index if not exists outbox_due on outbox (status, due_at);
create index if not exists outbox_by_customer on outbox (customer_id, created_at);
create table if not exists push_subscriptions (
    endpoint text primary key, customer_id text not null, p256dh text not null, auth text not null,
    created_at real not null
);
create index if not exists push_by_customer on push_subscriptions (customer_id);
"""


def flows_store_path(settings: Settings) -> Path:
    """`data/flows.sqlite`, beside the warehouse and the serving store."""
    return settings.duckdb_path.parent / "flows.sqlite"


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit: `begin immediate` ... `commit`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    conn.execute("pragma journal_mode = wal")
    conn.execute("pragma synchronous = full")  # a decision acknowledged is a decision kept, even on power loss
    conn.executescript(SCHEMA)
    return conn


def firing_id(*parts: object) -> str:
    """The deterministic id of a decision: 32 hex digits of the SHA-256 of its parts."""
    return hashlib.sha256("|".join("" if p is None else str(p) for p in parts).encode()).hexdigest()[:32]


def get_cursor(conn: sqlite3.Connection, name: str) -> str | None:
    row = conn.execute("select value from cursors where name = ?", [name]).fetchone()
    return row[0] if row else None


def set_cursor(conn: sqlite3.Connection, name: str, value: str) -> None:
    conn.execute(
        "insert into cursors (name, value) values (?, ?) on conflict (name) do update set value = excluded.value",
        [name, value],
    )
