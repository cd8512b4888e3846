"""Hit rate at 10 of customer_product_recommendations on each customer's held-out last order, against the
10 most bought products (in stock, not already bought).

Generates `--customers`, ingests, builds the models the recommendations need with each customer's last
order left out (var recommendations_holdout_last_order), and counts hits (cdp.predict.recommendations).

    .venv/bin/python benchmarks/customer360_recommendations.py                   # 2,000 customers
    .venv/bin/python benchmarks/customer360_recommendations.py --customers 5000
"""

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from cdp.build import run_dbt
from cdp.config import Settings
from cdp.generate import generate
from cdp.pipeline import ingest
from cdp.predict.recommendations import HOLDOUT_MODELS, recommendation_hit_rates

END = date(2026, 11, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = Settings(
            duckdb_path=root / "warehouse.duckdb", landing_dir=root / "landing", pipelines_dir=root / "pipelines"
        )
        generate(settings.landing_dir, customers=args.customers, seed=args.seed, end_date=END)
        ingest(settings)
        built = time.perf_counter()
        run_dbt(settings, "seed", quiet=True)
        selection = ["--select", *[f"+{model}" for model in HOLDOUT_MODELS.split()]]
        run_dbt(settings, "run", [*selection, "--vars", "{recommendations_holdout_last_order: true}"], quiet=True)
        print(
            f"{args.customers} customers: generated and ingested in {built - started:.0f} s, "
            f"recommendations built in {time.perf_counter() - built:.0f} s"
        )
        conn = duckdb.connect(str(settings.duckdb_path))
        result = recommendation_hit_rates(conn)
        conn.close()
    for line in result.lines():
        print(line)
    print("beats popularity" if result.model > result.popularity else "DOES NOT beat popularity")


if __name__ == "__main__":
    main()
