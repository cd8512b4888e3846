"""The micro-batch loader: closed spool files reach `raw_web.events` once, whatever is retried, and the
loader holds the warehouse's writer lock so a second writer is told who is writing."""

import duckdb
import orjson
import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from cdp.cli import app as cli
from cdp.config import Settings
from cdp.lock import WarehouseLocked, warehouse_lock
from realtime.app import create_app
from realtime.loader import load_batch, serve_load
from tests.realtime.conftest import basic, make_config
from tests.realtime.test_web_source_reads_spool import EVENTS


def _settings(tmp_path) -> Settings:
    return Settings(
        duckdb_path=tmp_path / "warehouse.duckdb", landing_dir=tmp_path / "landing", pipelines_dir=tmp_path / "p"
    )


def _collect(spool_dir, events) -> None:
    with TestClient(create_app(make_config(spool_dir, rotate_bytes=600))) as client:
        for event in events:
            response = client.post("/v1/" + event["type"], content=orjson.dumps(event), headers=basic())
            assert response.status_code == 200


def _message_ids(settings: Settings) -> list[str]:
    with duckdb.connect(str(settings.duckdb_path)) as con:
        return [r[0] for r in con.execute("select message_id from raw_web.events order by 1").fetchall()]


def test_each_collected_event_is_loaded_once_across_batches_and_retries(tmp_path):
    settings, spool = _settings(tmp_path), tmp_path / "spool"
    _collect(spool, EVENTS[:2])
    first = load_batch(settings, spool)
    assert first.files_moved >= 1 and not list((spool / "closed").glob("*.jsonl"))
    _collect(spool, [*EVENTS[2:], EVENTS[0]])  # the identify again: a client retry after a restart
    load_batch(settings, spool)
    assert _message_ids(settings) == sorted(e["messageId"] for e in EVENTS)
    nothing = load_batch(settings, spool)  # no new files: nothing read, nothing loaded
    assert (nothing.files_moved, nothing.rows_loaded) == (0, 0)
    assert _message_ids(settings) == sorted(e["messageId"] for e in EVENTS)


def test_a_second_writer_is_told_who_holds_the_warehouse(tmp_path, monkeypatch):
    settings, spool = _settings(tmp_path), tmp_path / "spool"
    with warehouse_lock(settings.duckdb_path, "cdp serve load"):
        with pytest.raises(WarehouseLocked, match="cdp serve load"):
            serve_load(settings, spool, batches=1, build=False)
        monkeypatch.setenv("CDP_DUCKDB_PATH", str(settings.duckdb_path))
        result = CliRunner().invoke(cli, ["build"])
        assert result.exit_code == 1
        assert "being written by `cdp serve load`" in result.output
    serve_load(settings, spool, batches=1, build=False, interval_s=0)  # free again
