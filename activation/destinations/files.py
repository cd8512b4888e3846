"""Files destination: one change file per batch and a snapshot of the synced rows, as CSV, Parquet or JSONL.

Change files are named by the batch's idempotency key, so a resent batch rewrites its own file instead of
adding a duplicate. Files are written to a temporary name and renamed, so readers never see half a file.
"""

import csv
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from activation.destinations.base import Batch, BatchResult, DestinationBase, json_default
from activation.errors import PermanentError, SyncConfigError
from activation.syncs import Sync

FORMATS = ("csv", "parquet", "jsonl")


def _write(path: Path, rows: list[dict[str, Any]], fmt: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if fmt == "jsonl":
        with tmp.open("w") as out:
            for row in rows:
                out.write(json.dumps(row, default=json_default, sort_keys=True) + "\n")
    elif fmt == "csv":
        columns = list(rows[0]) if rows else ["key"]
        with tmp.open("w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    else:
        columns = list(rows[0]) if rows else ["key"]
        table = pa.table({c: [json_default(r[c]) if r[c] is not None else None for r in rows] for c in columns})
        pq.write_table(table, tmp)
    os.replace(tmp, path)


class FilesDestination(DestinationBase):
    name = "files"
    wants_snapshot = True

    def __init__(self, directory: Path, fmt: str = "jsonl", max_batch_size: int = 50_000) -> None:
        if fmt not in FORMATS:
            raise SyncConfigError(f"Files destination: format `{fmt}` is not one of {', '.join(FORMATS)}")
        self.directory = directory
        self.fmt = fmt
        self.max_batch_size = max_batch_size
        self.rate_limit_key = f"files:{directory}"

    def send(self, batch: Batch) -> BatchResult:
        rows = [{"key": r.key, "operation": batch.operation, **(r.fields or {})} for r in batch.records]
        path = self.directory / batch.sync_name / "changes" / f"{batch.idempotency_key}.{self.fmt}"
        try:
            _write(path, rows, self.fmt)
        except OSError as exc:
            raise PermanentError(f"cannot write `{path}`: {exc.strerror}") from exc
        return BatchResult()

    def write_snapshot(self, sync_name: str, rows: Iterable[dict[str, Any]]) -> None:
        _write(self.directory / sync_name / f"snapshot.{self.fmt}", list(rows), self.fmt)


def create(sync: Sync, env: Mapping[str, str]) -> FilesDestination:
    options = sync.options
    directory = options.get("directory") or env.get("CDP_ACTIVATION_FILES_DIR") or "data/activation"
    return FilesDestination(Path(directory), options.get("format", "jsonl"), int(options.get("batch_size", 50_000)))
