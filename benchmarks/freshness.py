"""How fresh the profile API is: seconds from a collector acknowledgement to the event being in the
serving store, through the real pieces: the collector app (in process), the loader's batch (move, dlt
load, dbt build, publish) and the SQLite store the profile API reads.

Works on an existing demo installation (CDP_DATA_DIR, default data/; run `cdp demo` first). Each round
posts one event for a known customer, runs one loader batch, then reads the store; it prints each
round's stages and the p50/p95 of the visible-after time. Goal (issue "Real time"): last event visible
p95 <= 20 s.

    .venv/bin/python benchmarks/freshness.py --rounds 5
"""

import argparse
import base64
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import orjson
from starlette.testclient import TestClient

from cdp.config import Settings
from realtime.app import create_app
from realtime.config import CollectorConfig
from realtime.loader import load_batch
from serving import store_path

WRITE_KEY = "freshness-benchmark-key"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    settings = Settings.from_env()
    with duckdb.connect(str(settings.duckdb_path)) as con:
        customer_id, user_id = con.execute(
            "select customer_id, identifier_value from marts.customer_identities"
            " where identifier_type = 'user_id' order by customer_id limit 1"
        ).fetchone()
        customers = con.execute("select count(*) from marts.customer_profiles").fetchone()[0]
    print(f"warehouse {settings.duckdb_path}: {customers:,} profiles; customer {customer_id}")
    config_dir = Path(tempfile.mkdtemp(prefix="freshness-spool-"))
    config = CollectorConfig(write_keys={WRITE_KEY: "bench"}, spool_dir=config_dir)
    auth = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}
    visible_after = []
    for n in range(args.rounds):
        sku = f"FRESH-{int(time.time())}-{n}"
        event = {"type": "track", "event": "Product Viewed", "userId": user_id, "properties": {"sku": sku}}
        with TestClient(create_app(config)) as client:  # closing the app closes the spool file
            acked = time.perf_counter()
            assert client.post("/v1/track", content=orjson.dumps(event), headers=auth).status_code == 200
        result = load_batch(settings, config_dir, build=True, publish=True)
        with sqlite3.connect(store_path(settings)) as store:
            (body,) = store.execute("select body from events where customer_id = ?", [customer_id]).fetchone()
        seen = time.perf_counter() - acked
        assert any(e.get("sku") == sku for e in orjson.loads(body)), "the event is not in the store"
        visible_after.append(seen)
        print(
            f"round {n + 1}: visible after {seen:5.1f} s  (load {result.seconds_load:.1f} s,"
            f" dbt build {result.seconds_build:.1f} s, publish {result.seconds_publish:.1f} s)"
        )
    ordered = sorted(visible_after)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"event visible after: p50 {statistics.median(ordered):.1f} s, p95 {p95:.1f} s  (goal p95 <= 20 s)")


if __name__ == "__main__":
    main()
