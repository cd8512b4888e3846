"""Streaming output helpers: per-day JSONL files with bounded memory, and the ground-truth writer."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

_KEY_W = 26  # 15-digit sort key + 10-digit sequence + tab


def dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


class DayFiles:
    """Collects lines for ``<folder>/<YYYY-MM-DD>.jsonl`` files, ordered by (key, seq) inside a file.

    Buffers in memory and spills to a scratch folder above ``spill_bytes``, so memory stays bounded
    while the final files are still sorted.
    """

    def __init__(self, folder: Path, spill_bytes: int = 48 * 1024 * 1024):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.spill_dir = folder / ".spill"
        self.spill_bytes = spill_bytes
        self.buf: dict[str, list[str]] = {}
        self.spilled: dict[str, bool] = {}
        self.size = 0
        self.seq = 0

    def add(self, day: str, key: int, line: str) -> None:
        self.seq += 1
        lst = self.buf.get(day)
        if lst is None:
            lst = self.buf[day] = []
        lst.append((key, self.seq, line))
        self.size += len(line) + 80
        if self.size > self.spill_bytes:
            self._spill()

    def _spill(self) -> None:
        self.spill_dir.mkdir(exist_ok=True)
        for day, entries in self.buf.items():
            with open(self.spill_dir / day, "a", encoding="utf-8", newline="\n") as fh:
                fh.write("".join(f"{k:015d}{q:010d}\t{line}\n" for k, q, line in entries))
            self.spilled[day] = True
        self.buf = {}
        self.size = 0

    def close(self) -> dict[str, int]:
        """Write the final files; returns {file name: line count}."""
        counts: dict[str, int] = {}
        days = sorted(set(self.buf) | set(self.spilled))
        for day in days:
            entries = self.buf.pop(day, [])
            if day in self.spilled:
                with open(self.spill_dir / day, encoding="utf-8", newline="\n") as fh:
                    for e in fh.read().split("\n")[:-1]:
                        entries.append((int(e[:15]), int(e[15:25]), e[_KEY_W:]))
            entries.sort()
            name = f"{day}.jsonl"
            with open(self.folder / name, "w", encoding="utf-8", newline="\n") as fh:
                fh.write("\n".join(e[2] for e in entries))
                fh.write("\n")
            counts[name] = len(entries)
        if self.spill_dir.exists():
            shutil.rmtree(self.spill_dir)
        return counts


class Truth:
    """Writes ``_ground_truth/records.csv`` as records are produced."""

    HEADER = ("source", "source_table", "source_record_id", "person_id")

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed by close()
        self.w = csv.writer(self.fh, lineterminator="\n")
        self.w.writerow(self.HEADER)
        self.rows = 0

    def add(self, source: str, table: str, record_id, person_id: str) -> None:
        self.w.writerow((source, table, record_id, person_id))
        self.rows += 1

    def close(self) -> None:
        self.fh.close()
