"""The privacy suppression list (erasure and objection requests) as the flows engine checks it: hashes
of identifiers read from the warehouse (read-only, refreshed every few minutes; the engine never holds
the warehouse open), matched against the customer id, email and phone of a profile at send time."""

import logging
import time
from pathlib import Path
from typing import Any

import duckdb

from cdp.privacy.hashing import hasher_for
from cdp.privacy.store import suppressed_hashes

log = logging.getLogger(__name__)


class PrivacyList:
    def __init__(self, warehouse_path: Path, refresh_s: float = 300.0) -> None:
        self.warehouse_path = Path(warehouse_path)
        self.refresh_s = refresh_s
        self.hasher = hasher_for(self.warehouse_path)
        self.hashes: set[str] = set()
        self._loaded_at: float | None = None

    def refresh(self) -> None:
        try:
            conn = duckdb.connect(str(self.warehouse_path), read_only=True)
        except duckdb.Error as exc:  # the loader is writing: keep the last list, try again soon
            log.warning("privacy list not refreshed (%s); %s hashes kept", type(exc).__name__, len(self.hashes))
            return
        try:
            self.hashes = suppressed_hashes(conn)
        finally:
            conn.close()
        self._loaded_at = time.monotonic()

    def __call__(self, customer_id: str, profile: dict[str, Any]) -> bool:
        if self._loaded_at is None or time.monotonic() - self._loaded_at > self.refresh_s:
            self.refresh()
        if not self.hashes:
            return False
        values = [
            ("customer_id", customer_id),
            ("email", profile.get("primary_email")),
            ("phone", profile.get("primary_phone")),
        ]
        return any(h in self.hashes for kind, value in values for h in self.hasher.hashes(kind, value))
