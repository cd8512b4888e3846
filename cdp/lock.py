"""One writer at a time: an advisory lock beside the warehouse file.

`cdp serve load` holds it for as long as it runs (it is the warehouse's writer); `cdp ingest`, `cdp build`,
`cdp run`, `cdp demo` and privacy requests take it for their run. A second writer gets a clear message
naming the holder instead of DuckDB's lock error or a half-written file. The lock is released by the
kernel when its process ends, however it ends.

Imports nothing of the project but `cdp.config` and `cdp.errors`.
"""

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cdp.errors import CdpError


class WarehouseLocked(CdpError):
    """Another process is writing the warehouse."""


def lock_path(warehouse: Path) -> Path:
    return Path(warehouse).with_name(Path(warehouse).name + ".lock")


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return "another process"
    since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(info.get("since", 0)))
    return f"`{info.get('holder', '?')}` (pid {info.get('pid', '?')}, since {since})"


@contextmanager
def warehouse_lock(warehouse: Path, holder: str) -> Iterator[None]:
    """Hold the writer lock of `warehouse` for the block; raise WarehouseLocked when someone else has it."""
    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 - held open for the whole block
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WarehouseLocked(
                f"The warehouse {warehouse} is being written by {_holder(path)}. Stop that process (or wait for"
                f" it to finish), then run `{holder}` again."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"holder": holder, "pid": os.getpid(), "since": time.time()}))
        handle.flush()
        yield
    finally:
        handle.close()
