"""What the engine reads: the event spool (directly, not waiting for dbt), the serving store's change
events, the customer documents, and the product catalogue's stock.

Spool position: (file name, line) in the manifest's order. A closed file is read from the spool's
`closed/` folder, or from the web landing folder (`web/events/spool-<name>`) once the loader has moved it.
"""

import json
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from realtime.spool import MANIFEST, read_spool_file
from serving.changes import read_changes
from serving.lookup import document, resolve

log = logging.getLogger(__name__)

SPOOL_CURSOR = "spool"
CHANGES_CURSOR = "changes"


def epoch(text: str | None) -> float | None:
    """Seconds since the epoch of an ISO 8601 time (`Z` or an offset); None for no or bad text."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@dataclass(frozen=True)
class SpoolEvent:
    file: str
    line: int
    event: dict[str, Any] | None  # None: a line that is not JSON (skipped, counted)


class SpoolReader:
    """Reads closed spool files after a position, in manifest order."""

    def __init__(self, spool_dir: Path, landing_dir: Path | None = None) -> None:
        self.spool_dir = Path(spool_dir)
        self.landing_events = Path(landing_dir) / "web" / "events" if landing_dir else None
        self._names: list[str] = []
        self._manifest_offset = 0
        self._cached: tuple[str, list] = ("", [])  # the file being read: parsed once, not once per batch

    def _refresh(self) -> None:
        path = self.spool_dir / MANIFEST
        if not path.exists():
            return
        with open(path, "rb") as handle:
            handle.seek(self._manifest_offset)
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]  # a line being appended is read next time
        self._manifest_offset += len(complete)
        for raw in complete.splitlines():
            if raw.strip():
                self._names.append(orjson.loads(raw)["file"].rsplit("/", 1)[-1])

    def locate(self, name: str) -> Path | None:
        candidates = [self.spool_dir / "closed" / name]
        if self.landing_events is not None:
            candidates.append(self.landing_events / f"spool-{name}")
        for path in candidates:
            if path.exists():
                return path
        return None

    def _lines(self, name: str, path: Path) -> list:
        if self._cached[0] != name:
            try:
                lines = list(read_spool_file(path))
            except FileNotFoundError:  # moved by the loader between locate and read
                moved = self.locate(name)
                if moved is None:
                    raise
                lines = list(read_spool_file(moved))
            self._cached = (name, lines)
        return self._cached[1]

    def read(self, position: tuple[str, int] | None, limit: int) -> Iterator[SpoolEvent]:
        """Up to `limit` lines after `position` ((file, line) last consumed; None: from the start)."""
        self._refresh()
        start = 0
        if position is not None:
            try:
                start = self._names.index(position[0])
            except ValueError:
                start = 0
                position = None
        count = 0
        for name in self._names[start:]:
            after = position[1] if position is not None and name == position[0] else 0
            path = self.locate(name)
            if path is None:
                log.warning("spool file %s is neither in closed/ nor in the landing folder; skipped", name)
                yield SpoolEvent(name, 0, None)
                continue
            lines = self._lines(name, path)
            for line in lines:
                if line.number <= after:
                    continue
                yield SpoolEvent(name, line.number, line.event)
                count += 1
                if count >= limit:
                    return


class Customers:
    """The serving store's documents for one customer (read-only connection)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def resolve(self, event: dict[str, Any]) -> str | None:
        """The customer an event belongs to: by userId, then by anonymousId; else a reference to resolve
        later (`user_id:<id>`), or None for an event with neither."""
        user_id, anonymous_id = event.get("userId"), event.get("anonymousId")
        for kind, value in (("user_id", user_id), ("anonymous_id", anonymous_id)):
            if value:
                found = resolve(self.conn, kind, str(value))
                if found:
                    return found
        if user_id:
            return f"user_id:{user_id}"
        if anonymous_id:
            return f"anonymous_id:{anonymous_id}"
        return None

    def customer_id(self, ref: str) -> str | None:
        kind, sep, value = ref.partition(":")
        if sep and kind in ("user_id", "anonymous_id"):
            return resolve(self.conn, kind, value)
        return ref

    def _doc(self, table: str, ref: str, default: Any) -> Any:
        customer_id = self.customer_id(ref)
        return document(self.conn, table, customer_id, default) if customer_id else default

    def profile(self, ref: str) -> dict[str, Any]:
        return self._doc("profiles", ref, {}) or {}

    def segments(self, ref: str) -> set[str]:
        return {item["segment"] for item in self._doc("segments", ref, []) or []}

    def recommendations(self, ref: str) -> list[dict[str, Any]]:
        return self._doc("recommendations", ref, []) or []

    def consents(self, ref: str) -> dict[str, dict[str, bool]]:
        return self._doc("consents", ref, {}) or {}


def read_change_batch(conn: sqlite3.Connection, after: int, limit: int) -> list[dict[str, Any]]:
    try:
        return read_changes(conn, after, limit)
    except sqlite3.OperationalError as exc:  # a store without a changes table yet
        if "no such table" in str(exc):
            return []
        raise


class Catalogue:
    """The product catalogue export (`<landing>/catalog/products.json`): sku -> (stock, name), read again
    when the file changes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._seen: tuple[float, int] | None = None

    def changed(self) -> dict[str, tuple[int, str | None]] | None:
        """The stock of every product if the file changed since the last call, else None."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        signature = (stat.st_mtime, stat.st_size)
        if signature == self._seen:
            return None
        try:
            products = json.loads(self.path.read_text())
        except (OSError, ValueError) as exc:
            log.warning("catalogue %s unreadable (%s); kept the last stock", self.path, type(exc).__name__)
            return None
        self._seen = signature
        return {
            str(p["sku"]): (int(p.get("stock") or 0), p.get("name"))
            for p in products
            if isinstance(p, dict) and p.get("sku") is not None
        }
