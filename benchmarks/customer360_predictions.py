"""Backtest of customer_predictions' models on generated data: churn AUC against the recency rule and the
12-month value's mean absolute error against the customer's historical average.

Generates `--customers` over `--days` (three years by default, so the value model trains at end - 730
days and predicts at end - 365 with a full year of history), ingests, builds the models the predictions
read, and runs cdp.predict.backtest_predictions.

    .venv/bin/python benchmarks/customer360_predictions.py                   # 2,000 customers, 3 years
    .venv/bin/python benchmarks/customer360_predictions.py --customers 5000
    .venv/bin/python benchmarks/customer360_predictions.py --warehouse DIR --end 2026-11-01  # already built
"""

import argparse
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import duckdb

from cdp.build import run_dbt
from cdp.config import Settings
from cdp.generate import generate
from cdp.pipeline import ingest
from cdp.predict import backtest_predictions

INPUTS = ["--select", "+int_orders_unioned", "+int_customer_events_unioned"]
END = date(2026, 11, 1)


def build(root: Path, customers: int, days: int, seed: int) -> Settings:
    settings = Settings(
        duckdb_path=root / "warehouse.duckdb", landing_dir=root / "landing", pipelines_dir=root / "pipelines"
    )
    generate(settings.landing_dir, customers=customers, seed=seed, end_date=END, days=days)
    ingest(settings)
    run_dbt(settings, "seed", quiet=True)
    run_dbt(settings, "run", INPUTS, quiet=True)
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--days", type=int, default=3 * 365)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--value-horizon-days", type=int, default=365)
    parser.add_argument("--warehouse", type=Path, help="directory of an already built warehouse.duckdb")
    parser.add_argument("--end", type=date.fromisoformat, default=END, help="end (exclusive) of its data")
    args = parser.parse_args()

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        if args.warehouse:
            path = args.warehouse / "warehouse.duckdb"
        else:
            path = build(Path(tmp), args.customers, args.days, args.seed).duckdb_path
            print(f"built {args.customers} customers over {args.days} days in {time.perf_counter() - started:.0f} s")
        conn = duckdb.connect(str(path))
        orders = conn.sql("select * from intermediate.int_orders_unioned").to_arrow_table()
        events = conn.sql("select * from intermediate.int_customer_events_unioned").to_arrow_table()
        conn.close()
        result = backtest_predictions(
            orders, events, datetime.combine(args.end, datetime.min.time()), args.value_horizon_days
        )
    for line in result.lines():
        print(line)
    beats = result.churn_auc > result.churn_auc_recency_baseline and (
        result.value_mae_eur < result.value_mae_historical_average_eur
    )
    print("beats both baselines" if beats else "DOES NOT beat the baselines")


if __name__ == "__main__":
    main()
