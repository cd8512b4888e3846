"""The spool's files: rotation into closed files listed in the manifest, recovery of what a crash left."""

import os
import time

import orjson
import pytest
from starlette.testclient import TestClient

from realtime.app import create_app
from realtime.errors import SpoolError
from realtime.spool import Spool, read_spool_file
from tests.realtime.conftest import basic, make_config, spooled


def _batch(start: int, count: int) -> bytes:
    events = [
        {"type": "track", "userId": "u", "event": "E", "messageId": f"m-{i}"} for i in range(start, start + count)
    ]
    return orjson.dumps({"batch": events})


def test_files_rotate_by_size_into_closed_files_that_the_manifest_lists(spool_dir):
    with TestClient(create_app(make_config(spool_dir, rotate_bytes=2_000))) as client:
        for start in range(0, 100, 10):
            assert client.post("/v1/batch", content=_batch(start, 10), headers=basic()).status_code == 200
        assert len(list((spool_dir / "closed").glob("*.jsonl"))) >= 4  # rotated while running
    closed = sorted((spool_dir / "closed").glob("*.jsonl"))
    assert list((spool_dir / "open").iterdir()) == []  # stopping closes the open file
    manifest = Spool(spool_dir).manifest()
    assert [entry["file"] for entry in manifest] == [f"closed/{path.name}" for path in closed]
    assert [entry["bytes"] for entry in manifest] == [path.stat().st_size for path in closed]
    assert sum(entry["events"] for entry in manifest) == 100
    assert [event["messageId"] for event in spooled(spool_dir)] == [f"m-{i}" for i in range(100)]
    assert all(path.read_bytes().endswith(b"\n") for path in closed)


def test_an_idle_open_file_is_closed_after_its_age(spool_dir):
    with TestClient(create_app(make_config(spool_dir, rotate_seconds=0.2))) as client:
        client.post("/v1/batch", content=_batch(0, 3), headers=basic())
        deadline = time.monotonic() + 5
        while not list((spool_dir / "closed").glob("*.jsonl")) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(list((spool_dir / "closed").glob("*.jsonl"))) == 1
        assert list((spool_dir / "open").glob("*.jsonl")) == []


def test_a_second_collector_on_the_same_spool_is_refused(spool_dir):
    first = Spool(spool_dir)
    first.start()
    try:
        with pytest.raises(SpoolError, match="Another collector"):
            Spool(spool_dir).start()
    finally:
        first.stop()


def _crashed_open_file(spool_dir, name: str, content: bytes) -> None:
    (spool_dir / "open").mkdir(parents=True, exist_ok=True)
    (spool_dir / "open" / name).write_bytes(content)


def test_a_torn_last_line_left_by_a_crash_is_quarantined_and_the_rest_closed(spool_dir):
    good = b'{"messageId":"m-1","type":"track"}\n{"messageId":"m-2","type":"track"}\n'
    _crashed_open_file(spool_dir, "2026-03-01T100000.000000Z.jsonl", good + b'{"messageId":"m-3","ty')
    spool = Spool(spool_dir)
    spool.start()
    spool.stop()
    closed = spool_dir / "closed" / "2026-03-01T100000.000000Z.jsonl"
    assert closed.read_bytes() == good
    assert list((spool_dir / "open").iterdir()) == []
    (quarantined,) = [
        orjson.loads(line) for line in (spool_dir / "quarantine").glob("*.bad").__next__().read_bytes().splitlines()
    ]
    assert quarantined == {"line": 3, "raw": '{"messageId":"m-3","ty'}
    assert Spool(spool_dir).manifest()[0]["events"] == 2
    assert spool.stats.recovered_files == 1 and spool.stats.quarantined_lines == 1


def test_garbage_inside_a_crashed_file_is_quarantined_line_by_line(spool_dir):
    content = b'{"messageId":"m-1"}\n\x00\x00\x00\x00\n{"messageId":"m-2"}\n'
    _crashed_open_file(spool_dir, "2026-03-01T100000.000000Z.jsonl", content)
    spool = Spool(spool_dir)
    spool.start()
    spool.stop()
    assert [
        line.event["messageId"] for line in read_spool_file(spool_dir / "closed" / "2026-03-01T100000.000000Z.jsonl")
    ] == ["m-1", "m-2"]
    assert spool.stats.quarantined_lines == 1


def test_a_file_closed_just_before_a_crash_gets_its_manifest_line_at_start(spool_dir):
    (spool_dir / "closed").mkdir(parents=True)
    (spool_dir / "closed" / "2026-03-01T100000.000000Z.jsonl").write_bytes(b'{"messageId":"m-1"}\n')
    spool = Spool(spool_dir)
    spool.start()
    spool.stop()
    assert [(e["file"], e["events"]) for e in spool.manifest()] == [("closed/2026-03-01T100000.000000Z.jsonl", 1)]


def test_new_files_sort_after_recovered_ones(spool_dir):
    future_name = "2999-01-01T000000.000000Z.jsonl"
    _crashed_open_file(spool_dir, future_name, b'{"messageId":"m-old"}\n')
    spool = Spool(spool_dir)
    spool.start()
    spool.submit(b'{"messageId":"m-new"}\n', 1)
    spool.stop()
    names = [path.name for path in spool.closed_files()]
    assert names[0] == future_name and len(names) == 2 and names[1] > future_name


def test_the_reader_tolerates_a_torn_last_line(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"messageId":"m-1"}\n{"messageId":"m-')
    lines = list(read_spool_file(path))
    assert [line.event for line in lines] == [{"messageId": "m-1"}, None]
    assert lines[1].number == 2


def test_a_failing_disk_answers_503_and_the_retry_is_not_taken_for_a_duplicate(spool_dir, monkeypatch):
    body = orjson.dumps({"userId": "u", "event": "E", "messageId": "m-disk"})
    with TestClient(create_app(make_config(spool_dir))) as client:
        real_fdatasync = os.fdatasync

        def failing(fd):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "fdatasync", failing)
        response = client.post("/v1/track", content=body, headers=basic())
        assert (response.status_code, response.json()["code"]) == (503, "spool_unavailable")
        monkeypatch.setattr(os, "fdatasync", real_fdatasync)
        assert client.post("/v1/track", content=body, headers=basic()).status_code == 200
    assert [event["messageId"] for event in spooled(spool_dir)] == ["m-disk"]
