"""Data subject requests from the console: a queue the console owns, run against the warehouse when the
writer lock is free; and the log of review decisions the console recorded.

A request needs the warehouse (cdp/privacy/requests.py `run_request` under `cdp.lock.warehouse_lock`).
The console queues it in `data/console_requests.sqlite` and tries to run it at once in a background
thread; while `cdp run` or a build holds the lock, it stays `queued` with the holder named, and is tried
again on the next submission or visit of the privacy page. The identifier is kept only while the request
is queued: once it ran, the row keeps the type, status, the privacy request id and step counts.
"""

import sqlite3
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cdp.config import Settings
from cdp.errors import CdpError
from cdp.lock import WarehouseLocked, warehouse_lock

SCHEMA = """
create table if not exists requests (
    id text primary key, request_type text not null, identifier text, status text not null,
    privacy_request_id text, submitted_by text not null, submitted_at text not null, finished_at text,
    message text
);
create table if not exists review_log (
    record_key_l text not null, record_key_r text not null, decision text not null, decided_by text not null,
    decided_at text not null
);
"""
_RUNNING = threading.Lock()


def queue_path(console_store: Path) -> Path:
    return console_store.parent / "console_requests.sqlite"


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    conn.executescript(SCHEMA)
    return conn


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def submit(path: Path, request_type: str, identifier: str, user: str) -> str:
    from cdp.privacy.requests import RequestType
    from cdp.privacy.subject import parse_identifier

    valid = [t.value for t in RequestType]
    if request_type not in valid:
        raise CdpError(f"Request type `{request_type}` is not one of {', '.join(valid)}")
    parse_identifier(identifier)  # a malformed identifier is refused now, not when the queue runs
    request_id = uuid.uuid4().hex[:12]
    conn = _connect(path)
    try:
        conn.execute(
            "insert into requests (id, request_type, identifier, status, submitted_by, submitted_at)"
            " values (?, ?, ?, 'queued', ?, ?)",
            [request_id, request_type, identifier, user, _now()],
        )
    finally:
        conn.close()
    return request_id


def listing(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    conn = _connect(path)
    try:
        rows = conn.execute(
            "select id, request_type, status, privacy_request_id, submitted_by, submitted_at, finished_at, message"
            " from requests order by submitted_at desc limit 200"
        ).fetchall()
    finally:
        conn.close()
    keys = ("id", "request_type", "status", "privacy_request_id", "submitted_by", "submitted_at", "finished_at")
    return [dict(zip((*keys, "message"), row, strict=True)) for row in rows]


Runner = Callable[[Settings, str, str], Any]


def _default_runner(settings: Settings, request_type: str, identifier: str) -> Any:
    from cdp.privacy.requests import run_request

    return run_request(settings, request_type, identifier)


def process(path: Path, warehouse: Settings, runner: Runner = _default_runner) -> int:
    """Run every queued request (oldest first) while the writer lock is free; returns how many ran."""
    if not _RUNNING.acquire(blocking=False):
        return 0
    ran = 0
    try:
        conn = _connect(path)
        try:
            queued = conn.execute(
                "select id, request_type, identifier from requests where status = 'queued' order by submitted_at"
            ).fetchall()
            for request_id, request_type, identifier in queued:
                try:
                    with warehouse_lock(warehouse.duckdb_path, "cdp console privacy request"):
                        conn.execute("update requests set status = 'running' where id = ?", [request_id])
                        report = runner(warehouse, request_type, identifier)
                except WarehouseLocked as exc:
                    conn.execute("update requests set message = ? where id = ?", [str(exc), request_id])
                    break
                except CdpError as exc:
                    conn.execute(
                        "update requests set status = 'failed', identifier = null, finished_at = ?, message = ?"
                        " where id = ?",
                        [_now(), str(exc), request_id],
                    )
                    continue
                lines = "; ".join(report.lines()[1:])
                conn.execute(
                    "update requests set status = ?, identifier = null, privacy_request_id = ?, finished_at = ?,"
                    " message = ? where id = ?",
                    [report.status, report.request_id, _now(), lines, request_id],
                )
                ran += 1
        finally:
            conn.close()
    finally:
        _RUNNING.release()
    return ran


def process_in_background(path: Path, warehouse: Settings) -> threading.Thread:
    thread = threading.Thread(target=process, args=(path, warehouse), daemon=True, name="console-privacy")
    thread.start()
    return thread


def access_export(warehouse: Settings, identifier: str) -> dict[str, Any]:
    """The person's access export (cdp/privacy/export.py), read under the writer lock with a read-only
    connection; raises WarehouseLocked while a writer holds the warehouse."""
    import duckdb

    from cdp.privacy.export import build_export

    with warehouse_lock(warehouse.duckdb_path, "cdp console access export"):
        conn = duckdb.connect(str(warehouse.duckdb_path), read_only=True)
        try:
            return build_export(conn, identifier)
        finally:
            conn.close()


def record_decision(path: Path, left: str, right: str, decision: str, user: str) -> None:
    """Remember a review decision the warehouse took, so the pair leaves the page before the next refresh."""
    conn = _connect(path)
    try:
        conn.execute("insert into review_log values (?, ?, ?, ?, ?)", [left, right, decision, user, _now()])
    finally:
        conn.close()


def decided_pairs(path: Path) -> set[tuple[str, str]]:
    if not path.exists():
        return set()
    conn = _connect(path)
    try:
        return {(left, right) for left, right in conn.execute("select record_key_l, record_key_r from review_log")}
    finally:
        conn.close()
