"""kill -9 of the loader at random points while events keep arriving: every acknowledged messageId ends
up in `raw_web.events` exactly once after a final clean batch."""

import os
import random
import signal
import subprocess
import sys
import time

import duckdb
import orjson
from starlette.testclient import TestClient

from cdp.config import Settings
from realtime.app import create_app
from realtime.loader import load_batch
from tests.realtime.conftest import basic, make_config

CYCLES = 6


def _loader(env: dict[str, str], spool) -> subprocess.Popen:
    code = (
        "from pathlib import Path; from cdp.config import Settings; from realtime.loader import serve_load;"
        f"serve_load(Settings.from_env(), Path({str(spool)!r}), interval_s=0.1, build=False, publish=False)"
    )
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_every_acknowledged_event_is_loaded_exactly_once_across_loader_crashes(tmp_path):
    rng = random.Random(5)
    data = tmp_path / "data"
    env = {**os.environ, "CDP_DATA_DIR": str(data)}
    env.pop("CDP_DUCKDB_PATH", None)
    spool = tmp_path / "spool"
    acked: list[str] = []
    for cycle in range(CYCLES):
        loader = _loader(env, spool)
        deadline = time.monotonic() + rng.uniform(2.0, 6.0)
        with TestClient(create_app(make_config(spool, rotate_bytes=2_000))) as client:
            n = 0
            while time.monotonic() < deadline:
                message_id = f"crash-{cycle}-{n}"
                event = {
                    "type": "track",
                    "event": "Product Viewed",
                    "anonymousId": f"a-{n % 7}",
                    "messageId": message_id,
                }
                if client.post("/v1/track", content=orjson.dumps(event), headers=basic()).status_code == 200:
                    acked.append(message_id)
                if n % 5 == 0:  # a client retry of an earlier event: acked again, stored once
                    client.post("/v1/track", content=orjson.dumps(event), headers=basic())
                n += 1
                time.sleep(0.01)
        os.kill(loader.pid, signal.SIGKILL)
        loader.wait()
    settings = Settings(  # what Settings.from_env() gives the loader for CDP_DATA_DIR=data
        duckdb_path=data / "warehouse.duckdb", landing_dir=data / "landing", pipelines_dir=data / "dlt_pipelines"
    )
    load_batch(settings, spool)  # the clean batch after the last crash
    with duckdb.connect(str(settings.duckdb_path)) as con:
        rows = con.execute("select message_id, count(*) from raw_web.events group by message_id").fetchall()
    counts = dict(rows)
    assert len(acked) > 100
    assert set(counts) == set(acked)
    assert set(counts.values()) == {1}
