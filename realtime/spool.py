"""The durable spool: append-only JSONL files, written by one thread with group commit, rotated into
closed files that a loader consumes.

Layout under the spool folder:
    open/<opened-at>.jsonl     the file being appended to (at most one; nobody else reads it)
    closed/<opened-at>.jsonl   complete files, never written again: the loader's input
    manifest.jsonl             one line per closed file: name, events, bytes, opened_at, closed_at
    quarantine/<name>.bad      bytes found unreadable at start-up (a torn last line after a crash)
    .lock                      held by the one collector that writes here

Durability: a group of events is written with one `write` and made durable with one `fdatasync` before
any of them is acknowledged; while one group is being synced the next one gathers (group commit). A new
file's directory entry is synced before its first event is acknowledged. Closing a file renames it from
`open/` to `closed/` (atomic), syncs both folders, then appends and syncs its manifest line; start-up
adds the line for a file renamed just before a crash. Names sort in time order.

A crash can leave a torn last line in the open file (or, after a power loss, garbage at its end). At
start-up, before anything new is written, the open files are read back: unreadable lines are moved to
`quarantine/`, the rest is kept and the file closed. Readers of closed files should still tolerate a bad
line (`read_spool_file`): the web source quarantines it.
"""

import fcntl
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from realtime.errors import SpoolError

log = logging.getLogger(__name__)

MANIFEST = "manifest.jsonl"
_MAX_GROUP_BYTES = 8 * 1024 * 1024
_STOP = object()

# Called from the writer thread once per group: (first submission, last submission, error or None).
OnCommit = Callable[[int, int, BaseException | None], None]


class SpoolLine(NamedTuple):
    number: int  # 1-based line number in the file
    event: dict[str, Any] | None  # None: the line is not a JSON object
    raw: bytes


def read_spool_file(path: Path) -> Iterator[SpoolLine]:
    """Every line of a spool file; a line that is not a JSON object (a torn last line) has event None."""
    data = path.read_bytes()
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            event = orjson.loads(raw)
        except orjson.JSONDecodeError:
            event = None
        yield SpoolLine(number, event if isinstance(event, dict) else None, raw)


def _is_event(raw: bytes) -> bool:
    try:
        return isinstance(orjson.loads(raw), dict)
    except orjson.JSONDecodeError:
        return False


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _now_text(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class _OpenFile:
    path: Path
    fd: int
    opened_at: float
    size: int = 0
    events: int = 0


@dataclass
class SpoolStats:
    events: int = 0
    groups: int = 0
    files_closed: int = 0
    failures: int = 0
    recovered_files: int = 0
    quarantined_lines: int = 0
    max_group: int = 0
    group_sizes: list[int] = field(default_factory=list, repr=False)


class Spool:
    """One writer of one spool folder. `start()` recovers and starts the writer thread; `submit()` queues
    lines (thread-safe) and returns their submission number; `on_commit` hears when they are durable."""

    def __init__(
        self,
        root: Path,
        rotate_bytes: int = 64 * 1024 * 1024,
        rotate_seconds: float = 60.0,
        on_commit: OnCommit | None = None,
    ) -> None:
        self.root = Path(root)
        self.open_dir = self.root / "open"
        self.closed_dir = self.root / "closed"
        self.quarantine_dir = self.root / "quarantine"
        self.manifest_path = self.root / MANIFEST
        self.rotate_bytes = rotate_bytes
        self.rotate_seconds = rotate_seconds
        self.on_commit = on_commit or (lambda first, last, error: None)
        self.stats = SpoolStats()
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._next_submission = 0
        self._submit_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._lock_fd: int | None = None
        self._file: _OpenFile | None = None
        self._last_name = ""

    # -- life cycle ----------------------------------------------------------------------------------

    def start(self) -> None:
        """Take the folder's lock, close what a crash left open (quarantining unreadable lines), start
        the writer thread."""
        for folder in (self.root, self.open_dir, self.closed_dir, self.quarantine_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            self._lock_fd = None
            raise SpoolError(f"Another collector is writing to the spool `{self.root}` (it holds `.lock`)") from None
        self._recover_open_files()
        self._complete_manifest()
        self._thread = threading.Thread(target=self._run, name="spool-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Write what is queued, close the open file into `closed/`, release the lock."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def submit(self, data: bytes, events: int) -> int:
        """Queue complete lines (`data` ends with a newline) for the next group commit."""
        with self._submit_lock:
            self._next_submission += 1
            number = self._next_submission
            self._queue.put((number, data, events))
        return number

    # -- reading back --------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def closed_files(self) -> list[Path]:
        return sorted(self.closed_dir.glob("*.jsonl"))

    def manifest(self) -> list[dict[str, Any]]:
        if not self.manifest_path.exists():
            return []
        return [orjson.loads(line) for line in self.manifest_path.read_bytes().splitlines() if line.strip()]

    def recent_message_ids(self, window_s: float, max_ids: int) -> Iterator[tuple[float, list[str]]]:
        """(modification time, messageIds) of closed files changed within `window_s`, oldest first,
        at most about `max_ids` ids (the newest files win)."""
        cutoff = time.time() - window_s
        chosen, total = [], 0
        for path in reversed(self.closed_files()):
            mtime = path.stat().st_mtime
            if mtime < cutoff or total >= max_ids:
                break
            ids = [
                line.event["messageId"] for line in read_spool_file(path) if line.event and "messageId" in line.event
            ]
            chosen.append((mtime, ids))
            total += len(ids)
        yield from reversed(chosen)

    # -- the writer thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            try:
                item = self._queue.get(timeout=self._seconds_to_rotation())
            except queue.Empty:
                self._rotate_if_due()
                continue
            group, size = [], 0
            while True:
                if item is _STOP:
                    stopping = True
                    break
                group.append(item)
                size += len(item[1])
                if size >= _MAX_GROUP_BYTES:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if group:
                try:
                    self._commit(group)
                except Exception as exc:  # a bug must fail the requests, not leave them waiting forever
                    log.exception("spool writer failed")
                    self.on_commit(group[0][0], group[-1][0], SpoolError(f"The spool writer failed: {exc}"))
            self._rotate_if_due()
        if self._file is not None:
            self._close_file()

    def _seconds_to_rotation(self) -> float | None:
        if self._file is None:
            return None
        return max(0.0, self._file.opened_at + self.rotate_seconds - time.time())

    def _commit(self, group: list[tuple[int, bytes, int]]) -> None:
        first, last = group[0][0], group[-1][0]
        data = b"".join(item[1] for item in group)
        events = sum(item[2] for item in group)
        try:
            current = self._file or self._open_file()
            view, written = memoryview(data), 0
            try:
                while written < len(data):
                    written += os.write(current.fd, view[written:])
                os.fdatasync(current.fd)
            except OSError:
                self._drop_failed_write(current)
                raise
        except OSError as exc:
            self.stats.failures += 1
            log.error("spool commit of %s events failed: %s", events, exc)
            self.on_commit(first, last, SpoolError(f"Could not write to the spool `{self.root}`: {exc}"))
            return
        current.size += len(data)
        current.events += events
        self.stats.events += events
        self.stats.groups += 1
        self.stats.max_group = max(self.stats.max_group, events)
        self.on_commit(first, last, None)

    def _drop_failed_write(self, current: _OpenFile) -> None:
        # Cut off what part of the group got written, and start a new file for what comes next.
        try:
            os.ftruncate(current.fd, current.size)
            os.fsync(current.fd)
        except OSError as exc:
            log.error("could not cut a failed write off `%s`: %s", current.path.name, exc)
        try:
            self._close_file()
        except OSError as exc:
            log.error("could not close `%s` after a failed write: %s", current.path.name, exc)
            self._file = None

    def _rotate_if_due(self) -> None:
        current = self._file
        if current is None:
            return
        if current.size >= self.rotate_bytes or time.time() - current.opened_at >= self.rotate_seconds:
            try:
                self._close_file()
            except OSError as exc:
                self.stats.failures += 1
                log.error("could not close spool file `%s`: %s", current.path.name, exc)

    def _new_name(self, moment: float) -> str:
        # Time order by name, even if the clock stepped back or two files open within a microsecond:
        # a name that would not sort last extends the last one (a longer string with the same prefix).
        name = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H%M%S.%fZ") + ".jsonl"
        while name <= self._last_name or (self.closed_dir / name).exists():
            name = max(name, self._last_name).removesuffix(".jsonl") + "_.jsonl"
        self._last_name = name
        return name

    def _open_file(self) -> _OpenFile:
        moment = time.time()
        path = self.open_dir / self._new_name(moment)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL, 0o644)
        _fsync_dir(self.open_dir)
        self._file = _OpenFile(path, fd, moment)
        return self._file

    def _close_file(self) -> None:
        current, self._file = self._file, None
        if current is None:
            return
        os.close(current.fd)
        if current.size == 0:
            current.path.unlink()
            _fsync_dir(self.open_dir)
            return
        self._publish(current.path, current.events, current.size, current.opened_at)

    def _publish(self, path: Path, events: int, size: int, opened_at: float) -> None:
        target = self.closed_dir / path.name
        os.rename(path, target)
        _fsync_dir(self.closed_dir)
        _fsync_dir(path.parent)
        self._append_manifest(target.name, events, size, opened_at)
        self.stats.files_closed += 1

    def _append_manifest(self, name: str, events: int, size: int, opened_at: float) -> None:
        entry = {
            "file": f"closed/{name}",
            "events": events,
            "bytes": size,
            "opened_at": _now_text(opened_at),
            "closed_at": _now_text(time.time()),
        }
        with open(self.manifest_path, "ab") as handle:
            handle.write(orjson.dumps(entry, option=orjson.OPT_APPEND_NEWLINE))
            handle.flush()
            os.fsync(handle.fileno())

    # -- start-up recovery ---------------------------------------------------------------------------

    def _recover_open_files(self) -> None:
        for path in sorted(self.open_dir.iterdir()):
            if path.name.endswith(".tmp"):
                path.unlink()
                continue
            data = path.read_bytes()
            *complete, tail = data.split(b"\n")
            good, bad = [], []
            for number, raw in enumerate(complete, start=1):
                if raw.strip():
                    (good if _is_event(raw) else bad).append(SpoolLine(number, None, raw))
            if tail.strip():  # no newline after it: never acknowledged (a torn write)
                bad.append(SpoolLine(len(complete) + 1, None, tail))
            kept = b"".join(line.raw + b"\n" for line in good)
            if bad:
                self._quarantine(path.name, bad)
            if not kept:
                path.unlink()
                continue
            if kept != data:
                _write_durably(path, kept)
            self._last_name = max(self._last_name, path.name)
            self._publish(path, len(good), len(kept), path.stat().st_mtime)
            self.stats.recovered_files += 1
            log.warning("recovered spool file %s: %s events kept, %s lines quarantined", path.name, len(good), len(bad))

    def _quarantine(self, name: str, lines: list[SpoolLine]) -> None:
        target = self.quarantine_dir / (name + ".bad")
        payload = b"".join(
            orjson.dumps(
                {"line": line.number, "raw": line.raw.decode("utf-8", "replace")}, option=orjson.OPT_APPEND_NEWLINE
            )
            for line in lines
        )
        with open(target, "ab") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        _fsync_dir(self.quarantine_dir)
        self.stats.quarantined_lines += len(lines)

    def _complete_manifest(self) -> None:
        listed = {entry["file"] for entry in self.manifest()}
        for path in self.closed_files():
            if f"closed/{path.name}" not in listed:
                events = sum(1 for line in read_spool_file(path) if line.event is not None)
                self._append_manifest(path.name, events, path.stat().st_size, path.stat().st_mtime)
            self._last_name = max(self._last_name, path.name)
