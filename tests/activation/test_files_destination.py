"""Files destination: change files per batch and a snapshot, in each format."""

import csv
import json

import pyarrow.parquet as pq
import pytest

from activation.destinations.files import FilesDestination
from activation.engine import SUCCESS, run_sync


def read(path, fmt):
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text().splitlines()]
    if fmt == "csv":
        with path.open(newline="") as f:
            return list(csv.DictReader(f))
    return pq.read_table(path).to_pylist()


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_snapshot_equals_the_model_and_change_files_hold_each_batch(warehouse, make_sync, context, tmp_path, rows, fmt):
    destination = FilesDestination(tmp_path, fmt, max_batch_size=4)
    sync = make_sync(destination="files")
    warehouse.set_model(rows(6))
    assert run_sync(warehouse.conn, sync, destination, context).status == SUCCESS
    warehouse.set_model(rows(5))
    assert run_sync(warehouse.conn, sync, destination, context, force=True).status == SUCCESS
    snapshot = read(tmp_path / sync.name / f"snapshot.{fmt}", fmt)
    assert [row["key"] for row in snapshot] == [key for key, _, _ in rows(5)]
    assert snapshot[0]["email"] == "c0@example.com"
    changes = [row for path in (tmp_path / sync.name / "changes").iterdir() for row in read(path, fmt)]
    assert len(changes) == 7  # six upserts, one delete
    assert sorted(row["operation"] for row in changes).count("delete") == 1
    assert not list((tmp_path / sync.name).rglob("*.tmp"))
