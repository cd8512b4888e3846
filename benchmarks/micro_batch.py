"""How long the real-time loader's dbt run takes per micro-batch: before (`dbt run --selector micro_batch`
with every per-customer table rebuilt whole) and after (var `micro_batch_files`: the trait tables rewrite
only the customers the batch touched), on a copy of an existing demo installation.

    CDP_DATA_DIR=data .venv/bin/python benchmarks/micro_batch.py --events 2000 --customers 20 --rounds 2

Each round sends two batches of `--events` events (page views, product views, cart adds; one customer per
batch from a new browser, so identity must stitch it) for `--customers` known users through the collector,
loads them with the loader, and times the old run after one batch and the new run after the other (the
same kind of work: the same number of new events and customers). The project is parsed before timing.
"""

import argparse
import base64
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import orjson
from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cdp.build import run_dbt  # noqa: E402
from cdp.config import Settings  # noqa: E402
from cdp.warehouse import copy_installation  # noqa: E402
from realtime.app import create_app  # noqa: E402
from realtime.config import CollectorConfig  # noqa: E402
from realtime.loader import LANDED_PREFIX, MICRO_BATCH_SELECTOR, Builder, load_batch  # noqa: E402

WRITE_KEY = "wk_benchmark_micro_batch"
# the models a micro-batch now writes for the touched customers only (and RFM, whole, that reads them)
PER_CUSTOMER_MODELS = {
    "int_customers_touched",
    "int_customer_order_traits",
    "int_customer_product_traits",
    "int_customer_product_interactions",
    "int_customer_web_traits",
    "int_customer_email_traits",
    "int_customer_support_traits",
    "int_customer_marketing_traits",
    "int_customer_rfm",
    "customer_profiles",
    "customer_timeline",
    "customer_product_recommendations",
}


def batch_events(users: list[str], skus: list[str], count: int, tag: str, rng: random.Random) -> list[dict]:
    """`count` events spread over `users`, the first of them from a new browser (a new anonymous id)."""
    now = datetime.now(UTC)
    events = []
    for number in range(count):
        index = number % len(users)
        ids = {"userId": users[index]}
        if index == 0:
            ids["anonymousId"] = f"bench-{tag}-new-browser"
        at = (now - timedelta(seconds=count - number)).isoformat().replace("+00:00", "Z")
        sku = rng.choice(skus)
        kind = rng.random()
        if kind < 0.4:
            event = {"type": "page", "name": "Product", "properties": {"path": f"/p/{sku}"}}
        elif kind < 0.85:
            event = {"type": "track", "event": "Product Viewed", "properties": {"sku": sku}}
        else:
            cart = {"sku": sku, "cart_id": f"bench-{tag}-cart-{index}", "quantity": 1}
            event = {"type": "track", "event": "Product Added", "properties": cart}
        events.append({**event, **ids, "messageId": f"bench-{tag}-{number}", "timestamp": at})
    return events


def collect(spool_dir: Path, events: list[dict]) -> None:
    """Through the collector's app (checks, stamping, spool with fsync); closing it closes the last file."""
    config = CollectorConfig(write_keys={WRITE_KEY: "bench"}, spool_dir=spool_dir)
    headers = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}
    with TestClient(create_app(config)) as client:
        for start in range(0, len(events), 100):
            body = orjson.dumps({"batch": events[start : start + 100]})
            response = client.post("/v1/batch", content=body, headers=headers)
            response.raise_for_status()


def touched_count(settings: Settings) -> int:
    with duckdb.connect(str(settings.duckdb_path)) as con:
        return con.execute("select count(*) from intermediate.int_customers_touched").fetchall()[0][0]


def per_customer_seconds(settings: Settings) -> float:
    """Seconds the last dbt run spent in the per-customer models (run_results.json, summed over nodes)."""
    results = json.loads((settings.project_dir / "target" / "run_results.json").read_text())
    return sum(r["execution_time"] for r in results["results"] if r["unique_id"].split(".")[-1] in PER_CUSTOMER_MODELS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000, help="events per batch")
    parser.add_argument("--customers", type=int, default=20, help="known users per batch")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    source = Settings.from_env()
    root = Path(tempfile.mkdtemp(prefix="micro-batch-bench-"))
    settings = copy_installation(source, root / "warehouse")
    spool = root / "spool"
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        users = [
            r[0]
            for r in con.execute(
                "select identifier_value from marts.customer_identities where identifier_type = 'user_id' "
                "order by hash(identifier_value)"
            ).fetchall()
        ]
        skus = [r[0] for r in con.execute("select sku from staging.stg_catalog__products order by sku").fetchall()]
        customers = con.execute("select count(*) from marts.customer_profiles").fetchall()[0][0]
    print(f"warehouse copy {settings.duckdb_path}: {customers:,} customers")

    builder = Builder(settings, full_build_every_s=float("inf"))
    builder.prepare()
    started = time.perf_counter()
    builder.build()
    print(f"{'whole run (web_downstream)':<34} {time.perf_counter() - started:6.1f} s")

    rng = random.Random(7)
    before, after, touched = [], [], []
    models_before, models_after = [], []
    for round_number in range(args.rounds):
        for mode in ("before", "after"):
            first_user = (2 * round_number + (mode == "after")) * args.customers
            tag = f"{round_number}-{mode}"
            collect(spool, batch_events(users[first_user : first_user + args.customers], skus, args.events, tag, rng))
            landed = [LANDED_PREFIX + path.name for path in sorted((spool / "closed").glob("*.jsonl"))]
            result = load_batch(settings, spool)
            started = time.perf_counter()
            if mode == "before":
                # what the loader ran until now: the micro_batch selection, every table whole
                run_dbt(settings, "run", ["--selector", MICRO_BATCH_SELECTOR], quiet=True, manifest=builder._manifest)
                before.append(time.perf_counter() - started)
                models_before.append(per_customer_seconds(settings))
            else:
                builder.build(landed)
                after.append(time.perf_counter() - started)
                models_after.append(per_customer_seconds(settings))
                touched.append(touched_count(settings))
            elapsed = (before if mode == "before" else after)[-1]
            models = (models_before if mode == "before" else models_after)[-1]
            label = f"round {round_number + 1} {mode}"
            print(f"{label:<34} {elapsed:6.1f} s  per-customer models {models:5.1f} s  ({result.rows_loaded:,} events)")
    for label, runs, models in [("before", before, models_before), ("after", after, models_after)]:
        print(
            f"{'micro-batch dbt run, ' + label:<34} median {statistics.median(runs):6.1f} s"
            f"  per-customer models median {statistics.median(models):5.1f} s (node time summed over 2 threads)"
        )
    print(f"customers touched per batch (after): {touched}")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
