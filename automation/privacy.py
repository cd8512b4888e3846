"""The privacy suppression list (erasure and objection requests) as the flows engine checks it: keyed
hashes of identifiers, read from the serving store, where every publish copies the warehouse's list
(`serving.publisher`), so the engine never opens the warehouse the loader holds. Matched against the
customer id, email and phone of a profile at send time; re-read every `refresh_s` seconds."""

import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

from cdp.privacy.hashing import hasher_for

log = logging.getLogger(__name__)


class PrivacyList:
    def __init__(self, warehouse_path: Path, store: Path | None = None, refresh_s: float = 30.0) -> None:
        self.warehouse_path = Path(warehouse_path)
        self.store = store or self.warehouse_path.parent / "serving.sqlite"
        self.refresh_s = refresh_s
        self.hasher = hasher_for(self.warehouse_path)  # the key lives beside the warehouse
        self.hashes: set[str] = set()
        self._checked_at: float | None = None

    def refresh(self) -> None:
        self._checked_at = time.monotonic()  # a failed read is retried after refresh_s, not on every send
        try:
            conn = sqlite3.connect(f"file:{self.store}?mode=ro", uri=True)
            try:
                self.hashes = {h for (h,) in conn.execute("select identifier_hash from suppressions")}
            finally:
                conn.close()
        except sqlite3.Error as exc:  # no store yet, or one published before the list was copied
            log.warning("privacy list not read from %s (%s); %s hashes kept", self.store, exc, len(self.hashes))

    def __call__(self, customer_id: str, profile: dict[str, Any]) -> bool:
        if self._checked_at is None or time.monotonic() - self._checked_at > self.refresh_s:
            self.refresh()
        if not self.hashes:
            return False
        values = [
            ("customer_id", customer_id),
            ("email", profile.get("primary_email")),
            ("phone", profile.get("primary_phone")),
        ]
        return any(h in self.hashes for kind, value in values for h in self.hasher.hashes(kind, value))
