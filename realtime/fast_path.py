"""The loader's fast path: the events of closed spool files onto the profiles of customers the serving store
already knows, within a second of the file closing, without waiting for the warehouse.

The warehouse cannot help here: DuckDB has one writer, and the loader's dbt run holds it for seconds. So
a thread of the loader reads each closed spool file itself (JSON lines, as the collector wrote them), types
every event as the timeline does (`timeline_entry` mirrors the view `int_web_events_described`; a test
compares the two on the demo's events), finds the customer by user id, else by anonymous id, through the
store's identifiers, and adds the entry to that customer's `events` document (newest first, 50 kept).
Visitors the store does not know wait for the build.

A full publish rewrites `events` documents from the warehouse's timeline, which holds only the files
loaded so far. So publish and this thread take turns (`lock`), and after each publish the entries of
files closed since that batch's load are placed again (`after_publish`); entries already in a document
are not added twice.
"""

import json
import logging
import sqlite3
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from realtime.spool import read_spool_file
from serving.lookup import resolve
from serving.store import RECENT_EVENTS_PER_CUSTOMER, apply_changes, connect_writer

log = logging.getLogger(__name__)

_JUNK = ("", "null", "none", "n/a", "na", "-")
Entry = dict[str, Any]


def _clean(value: Any) -> str | None:
    """As macro clean_text: trimmed text, None for empty and null-like strings."""
    if value is None:
        return None
    text = str(value).strip()
    return None if text.lower() in _JUNK else text


def _occurred_at(value: Any) -> str | None:
    """An ISO timestamp as UTC text in the format publish writes (microseconds, `Z`); None if unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def timeline_entry(event: dict[str, Any]) -> Entry | None:
    """The events-document entry of one spooled event, typed as `int_web_events_described` types it; None
    for an event the timeline would not show (no readable timestamp)."""
    occurred_at = _occurred_at(event.get("timestamp"))
    if occurred_at is None:
        return None
    properties = event.get("properties") if isinstance(event.get("properties"), dict) else {}
    page = (event.get("context") or {}).get("page") if isinstance(event.get("context"), dict) else None
    event_name, kind, sku = event.get("event"), event.get("type"), properties.get("sku")
    sku = str(sku) if sku is not None else None
    if event_name is not None:
        event_type = str(event_name).replace(" ", "_").lower()
    elif kind == "screen" and sku is not None:
        event_type = "product_viewed"
    else:
        event_type = kind
    description = next(
        (v for v in (sku, event.get("name"), (page or {}).get("path"), event_name, kind) if v is not None), None
    )
    return {
        "occurred_at": occurred_at,
        "source": "web",
        "event_type": event_type,
        "event_description": description,
        "sku": sku,
        "amount_eur": None,
    }


def _customer(store: sqlite3.Connection, event: dict[str, Any]) -> str | None:
    user_id, anonymous_id = _clean(event.get("userId")), _clean(event.get("anonymousId"))
    return (user_id and resolve(store, "user_id", user_id)) or (
        anonymous_id and resolve(store, "anonymous_id", anonymous_id)
    )


def _same(a: Entry, b: Entry) -> bool:
    keys = ("occurred_at", "event_type", "event_description", "sku")
    return all(a.get(k) == b.get(k) for k in keys)


def place(store: sqlite3.Connection, entries: Iterable[tuple[str, Entry]]) -> int:
    """Add (customer_id, entry) pairs to the customers' events documents, inside the caller's transaction;
    returns how many were new."""
    per_customer: dict[str, list[Entry]] = {}
    for customer_id, entry in entries:
        per_customer.setdefault(customer_id, []).append(entry)
    changed, placed = [], 0
    for customer_id, new in per_customer.items():
        row = store.execute("select body from events where customer_id = ?", [customer_id]).fetchone()
        current: list[Entry] = json.loads(row[0]) if row else []
        fresh = [e for e in new if not any(_same(e, old) for old in current)]
        if not fresh:
            continue
        merged = sorted([*fresh, *current], key=lambda e: e["occurred_at"], reverse=True)
        body = json.dumps(merged[:RECENT_EVENTS_PER_CUSTOMER], separators=(",", ":"))
        # not an md5 of the body: the next publish sees a difference and writes the timeline's version
        changed.append((customer_id, body, "fast-path"))
        placed += len(fresh)
    apply_changes(store, "events", changed, [])
    return placed


class SpoolTail:
    """Places the events of each closed spool file once per loader process (see the module's docstring)."""

    def __init__(self, spool_dir: Path, store: Path) -> None:
        self.closed = Path(spool_dir) / "closed"
        self.store = store
        self.lock = threading.RLock()  # the loader holds it around publish_closed + its move
        self._done: set[str] = set()
        # file name -> its entries, kept until a publish that includes the file has happened
        self._pending: dict[str, list[tuple[str, Entry]]] = {}

    def publish_closed(self) -> int:
        """Place the events of closed files not seen before; returns how many events were placed."""
        with self.lock:
            new = [p for p in sorted(self.closed.glob("*.jsonl")) if p.name not in self._done]
            if not new or not self.store.exists():
                return 0
            writer = connect_writer(self.store)
            try:
                writer.execute("begin immediate")
                placed = 0
                for path in new:
                    entries = []
                    for line in read_spool_file(path):
                        entry = timeline_entry(line.event) if line.event else None
                        customer_id = _customer(writer, line.event) if entry else None
                        if customer_id:
                            entries.append((customer_id, entry))
                    placed += place(writer, entries)
                    self._pending[path.name] = entries
                    self._done.add(path.name)
                writer.execute("commit")
            except BaseException:
                if writer.in_transaction:
                    writer.execute("rollback")
                for path in new:
                    self._done.discard(path.name)
                    self._pending.pop(path.name, None)
                raise
            finally:
                writer.close()
            return placed

    def loaded(self, names: Iterable[str]) -> None:
        """Files (spool names) whose rows a publish now includes: their entries need not be kept."""
        for name in names:
            self._pending.pop(name, None)

    def after_publish(self, loaded: Iterable[str]) -> int:
        """Call under `lock`, right after a publish that included the files `loaded`: forget those, and
        place again the entries of files closed since (the publish replaced their documents)."""
        self.loaded(loaded)
        entries = [pair for pairs in self._pending.values() for pair in pairs]
        if not entries:
            return 0
        writer = connect_writer(self.store)
        try:
            writer.execute("begin immediate")
            placed = place(writer, entries)
            writer.execute("commit")
        finally:
            writer.close()
        return placed

    def run(self, stop: threading.Event, interval_s: float = 0.25) -> None:
        """Poll for closed files until `stop` is set (the loader's background thread)."""
        while not stop.wait(interval_s):
            try:
                self.publish_closed()
            except Exception:  # the next poll retries; the build's publish covers the events anyway
                log.exception("fast path: placing events failed")
