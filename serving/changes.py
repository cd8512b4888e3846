"""Profile change events: what a publish changed, one row per trait or segment membership, in the serving
store's `changes` table for other parts to react to (automation flows, webhooks).

Publish already knows which documents changed (their content hash differs); for the `profiles` and
`segments` documents it compares the stored body with the new one and records:

- `profile_created` / `profile_deleted`: a customer appeared, or went (merged into another, erased);
- `trait_changed`: one row per trait whose value differs, with the old and the new value (values of
  contact details and names are left out: `PII_TRAITS`; traits that move with the clock are skipped);
- `segment_entered` / `segment_exited`: one row per segment joined or left.

Rows are numbered (`seq`, increasing) in the publish's transaction, so a consumer reads `seq > last seen`
and never misses or rereads a change. The first publish into an empty store is the baseline and records
nothing (it would report every customer as created). Rows older than `CHANGES_KEPT_DAYS` are deleted.
"""

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

CHANGES_KEPT_DAYS = 7
MAX_CHANGES_PER_PAGE = 1000
# Contact details and names: the change is recorded, its values are not (the log outlives an erasure).
PII_TRAITS = frozenset(
    {"primary_email", "primary_phone", "all_emails", "all_phones", "first_name", "last_name", "city"}
)
# Traits that move with the clock, not with the customer: they would change for everybody every day.
CLOCK_TRAITS = frozenset({"days_since_last_order"})
CHANGE_TYPES = ("profile_created", "profile_deleted", "trait_changed", "segment_entered", "segment_exited")

CHANGES_SCHEMA = """
create table if not exists changes (
    seq integer primary key autoincrement,
    changed_at text not null,
    customer_id text not null,
    change_type text not null,
    name text,
    old_value text,
    new_value text
);
create index if not exists changes_by_customer on changes (customer_id, seq);
"""


@dataclass(frozen=True)
class Change:
    customer_id: str
    change_type: str
    name: str | None = None
    old_value: Any = None
    new_value: Any = None


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), sort_keys=True)


def profile_changes(customer_id: str, old_body: str | None, new_body: str | None) -> Iterator[Change]:
    """The changes between two versions of a customer's profile document (None: no document)."""
    if old_body is None and new_body is None:
        return
    if old_body is None:
        yield Change(customer_id, "profile_created")
        return
    if new_body is None:
        yield Change(customer_id, "profile_deleted")
        return
    old, new = json.loads(old_body), json.loads(new_body)
    for name in sorted(set(old) | set(new)):
        if name == "customer_id" or name in CLOCK_TRAITS or old.get(name) == new.get(name):
            continue
        if name in PII_TRAITS:
            yield Change(customer_id, "trait_changed", name)
        else:
            yield Change(customer_id, "trait_changed", name, old.get(name), new.get(name))


def _segments(body: str | None) -> set[str]:
    # holdout members are in the segment too (they are measured, not messaged): a flow decides what to do
    return {item["segment"] for item in json.loads(body)} if body else set()


def segment_changes(customer_id: str, old_body: str | None, new_body: str | None) -> Iterator[Change]:
    """Segments entered and exited between two versions of a customer's segments document."""
    old, new = _segments(old_body), _segments(new_body)
    for segment in sorted(new - old):
        yield Change(customer_id, "segment_entered", segment)
    for segment in sorted(old - new):
        yield Change(customer_id, "segment_exited", segment)


DIFFERS = {"profiles": profile_changes, "segments": segment_changes}


def stored_bodies(store: sqlite3.Connection, table: str, customer_ids: Iterable[str]) -> dict[str, str]:
    """The stored body of each of `customer_ids` that has one (read before they are overwritten)."""
    ids = list(customer_ids)
    bodies: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        bodies.update(store.execute(f"select customer_id, body from {table} where customer_id in ({marks})", chunk))
    return bodies


def record(store: sqlite3.Connection, changed_at: str, changes: Iterable[Change]) -> int:
    """Append changes (inside the caller's transaction); returns how many."""
    rows = [(changed_at, c.customer_id, c.change_type, c.name, _json(c.old_value), _json(c.new_value)) for c in changes]
    store.executemany(
        "insert into changes (changed_at, customer_id, change_type, name, old_value, new_value)"
        " values (?, ?, ?, ?, ?, ?)",
        rows,
    )
    return len(rows)


def prune(store: sqlite3.Connection, cutoff_iso: str) -> int:
    """Delete changes recorded before `cutoff_iso` (ISO 8601 text in UTC, as publish writes it)."""
    return max(store.execute("delete from changes where changed_at < ?", [cutoff_iso]).rowcount, 0)


def read_changes(store: sqlite3.Connection, after: int, limit: int) -> list[dict[str, Any]]:
    """Changes with seq > after, oldest first."""
    rows = store.execute(
        "select seq, changed_at, customer_id, change_type, name, old_value, new_value from changes"
        " where seq > ? order by seq limit ?",
        [after, limit],
    ).fetchall()
    return [
        {
            "seq": seq,
            "changed_at": changed_at,
            "customer_id": customer_id,
            "change_type": change_type,
            "name": name,
            "old_value": json.loads(old) if old is not None else None,
            "new_value": json.loads(new) if new is not None else None,
        }
        for seq, changed_at, customer_id, change_type, name, old, new in rows
    ]
