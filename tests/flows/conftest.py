"""A small world for flow tests: a real spool, a real serving store, a flows store and a virtual clock."""

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from automation.definitions import Policy, load_flow
from automation.engine import Engine
from automation.sources import Customers, SpoolReader
from automation.store import connect
from realtime.spool import Spool
from serving.changes import Change, record
from serving.store import apply_changes, connect_reader, connect_writer

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC).timestamp()  # a Monday, 13:00 in Amsterdam
MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _row(customer_id: str, body: Any) -> tuple[str, str, str]:
    text = json.dumps(body)
    return (customer_id, text, hashlib.md5(text.encode()).hexdigest())


class World:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.now = T0
        self.spool_dir = root / "spool"
        self.landing = root / "landing"
        self.flows_dir = root / "flows"
        self.flows_dir.mkdir()
        self.serving = connect_writer(root / "serving.sqlite")
        self.store = connect(root / "flows.sqlite")
        self.policy = Policy()
        self._engine: Engine | None = None
        self._messages = 0

    # -- the clock --------------------------------------------------------------------------------
    def clock(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the virtual clock and let the engine work (read inputs, fire due timers)."""
        self.now += seconds
        self.run()

    # -- customers in the serving store -----------------------------------------------------------
    def customer(
        self,
        customer_id: str,
        *,
        consents: dict[str, dict[str, bool]] | None = None,
        segments: list[str] = (),
        recommendations: list[dict[str, Any]] = (),
        **traits: Any,
    ) -> None:
        profile = {"customer_id": customer_id, "primary_email": f"{customer_id}@example.com", **traits}
        grants = {"marketing": {"email": True, "sms": True, "web_push": True}} if consents is None else consents
        self.serving.execute("begin")
        apply_changes(self.serving, "profiles", [_row(customer_id, profile)], [])
        apply_changes(self.serving, "consents", [_row(customer_id, grants)], [])
        members = [{"segment": s, "entered_at": iso(self.now), "is_holdout": False} for s in segments]
        apply_changes(self.serving, "segments", [_row(customer_id, members)], [])
        apply_changes(self.serving, "recommendations", [_row(customer_id, list(recommendations))], [])
        apply_changes(self.serving, "identifiers", [("user_id", f"u-{customer_id}", customer_id, "h")], [])
        self.serving.execute("commit")

    def change(self, customer_id: str, change_type: str, name: str | None = None, old=None, new=None) -> None:
        self.serving.execute("begin")
        record(self.serving, iso(self.now), [Change(customer_id, change_type, name, old, new)])
        self.serving.execute("commit")

    # -- events into the spool -------------------------------------------------------------------
    def track(self, customer_id: str, event: str, **properties: Any) -> dict[str, Any]:
        self._messages += 1
        return {
            "type": "track",
            "event": event,
            "userId": f"u-{customer_id}",
            "properties": properties,
            "timestamp": iso(self.now),
            "receivedAt": iso(self.now),
            "messageId": f"m-{self._messages}",
        }

    def emit(self, *events: dict[str, Any]) -> None:
        """Events through the real spool (written, fsynced, closed, listed in the manifest)."""
        spool = Spool(self.spool_dir)
        spool.start()
        data = b"".join(orjson.dumps(e, option=orjson.OPT_APPEND_NEWLINE) for e in events)
        spool.submit(data, len(events))
        spool.stop()

    def send(self, customer_id: str, event: str, **properties: Any) -> None:
        self.emit(self.track(customer_id, event, **properties))
        self.run()

    # -- flows and the engine ----------------------------------------------------------------------
    def flow(self, text: str) -> None:
        name = next(line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("name:"))
        (self.flows_dir / f"{name}.yml").write_text(text)
        self._engine = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            flows = [load_flow(p) for p in sorted(self.flows_dir.glob("*.yml"))]
            customers = Customers(connect_reader(self.root / "serving.sqlite"))
            self._engine = Engine(
                self.store, flows, self.policy, customers, self.clock, spool=SpoolReader(self.spool_dir, self.landing)
            )
        return self._engine

    def run(self) -> None:
        while self.engine.run_once():
            pass

    # -- what came out -------------------------------------------------------------------------------
    def outbox(self, **where: Any) -> list[dict[str, Any]]:
        sql = "select * from outbox" + (" where " + " and ".join(f"{k} = ?" for k in where) if where else "")
        cursor = self.store.execute(sql + " order by created_at, rowid", list(where.values()))
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def entries(self, **where: Any) -> list[dict[str, Any]]:
        sql = "select * from entries" + (" where " + " and ".join(f"{k} = ?" for k in where) if where else "")
        cursor = self.store.execute(sql + " order by entered_at", list(where.values()))
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)
