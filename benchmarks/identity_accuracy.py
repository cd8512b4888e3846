"""How right identity resolution is: generates demo data (default noise, or --heavy-noise: many shared
devices and households, junk values, test accounts), ingests it, builds the identity models and compares
`customer_source_records` with the generator's ground truth (`_ground_truth/records.csv`): pairwise
precision, recall and F1 over pairs of records, and the reachable ceiling, the pairs of one person's
records joined by a chain of shared clean identifiers (valid, not junk, held by that person only). The
false pairs are printed by their cause: the types of the linkable identifiers that people of one
customer share (a kiosk browser: anonymous_id; a household phone: phone).

    .venv/bin/python benchmarks/identity_accuracy.py                    # 10,000 customers, default noise
    .venv/bin/python benchmarks/identity_accuracy.py --customers 2000 --heavy-noise
    .venv/bin/python benchmarks/identity_accuracy.py --warehouse data --no-build   # as built
"""

import argparse
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb

from cdp.build import run_dbt
from cdp.config import Settings
from cdp.generate import generate
from cdp.generate.config import NoiseConfig
from cdp.pipeline import ingest

HEAVY_NOISE = replace(NoiseConfig(), household=0.25, shared_device=0.2, junk_values=0.1, test_accounts=0.02)
IDENTITY_SLICE = ["--select", "+customer_source_records", "--exclude", "customer_profiles+"]


def _pairs(conn, group_by: str) -> int:
    return conn.execute(
        f"select coalesce(sum(n * (n - 1) / 2), 0) from (select count(*) as n from joined group by {group_by})"
    ).fetchone()[0]


def _ceiling_pairs(conn) -> tuple[int, int]:
    """Pairs of one person's records joined by a chain of clean, true identifiers (valid, not junk,
    seen with that person only), by union-find; and how many of those pairs share a customer."""
    rows = conn.execute(
        """
        with records as (
            select
                observations.source_record_key,
                observations.identifier_key,
                truth.person_id,
                resolved.customer_id
            from intermediate.int_identifier_observations as observations
            inner join intermediate.int_identifiers_judged as judged using (identifier_key)
            inner join marts.customer_source_records as resolved
                using (source, source_table, source_record_id)
            inner join truth using (source, source_table, source_record_id)
            where judged.is_valid
        ),
        true_identifiers as (
            select identifier_key from records group by identifier_key having count(distinct person_id) = 1
        )
        select records.source_record_key, records.identifier_key, records.customer_id
        from records inner join true_identifiers using (identifier_key)
        """
    ).fetchall()
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    customer_of = {}
    for record, identifier, customer_id in rows:
        parent[find("r:" + record)] = find("i:" + identifier)
        customer_of["r:" + record] = customer_id
    sizes: dict[str, int] = {}
    joint: dict[tuple[str, str], int] = {}
    for record, customer_id in customer_of.items():
        root = find(record)
        sizes[root] = sizes.get(root, 0) + 1
        joint[(root, customer_id)] = joint.get((root, customer_id), 0) + 1
    ceiling = sum(n * (n - 1) // 2 for n in sizes.values())
    found = sum(n * (n - 1) // 2 for n in joint.values())
    return ceiling, found


def false_pairs_by_cause(conn) -> list[tuple[str, int, int]]:
    """(identifier types shared by several people of one customer, customers, false pairs), most pairs
    first; `joined` must exist (see measure)."""
    return conn.execute(
        """
        with shared as (
            select
                observations.identifier_type,
                observations.identifier_key,
                min(joined_records.customer_id) as customer_id
            from intermediate.int_identifier_observations as observations
            inner join intermediate.int_identifiers_judged as judged using (identifier_key)
            inner join joined_records on observations.source_record_key = joined_records.source_record_key
            where judged.is_linkable
            group by observations.identifier_type, observations.identifier_key
            having count(distinct joined_records.person_id) > 1 and count(distinct joined_records.customer_id) = 1
        ),
        causes as (
            select customer_id, string_agg(distinct identifier_type, '+' order by identifier_type) as cause
            from shared group by customer_id
        ),
        per_person as (select customer_id, person_id, count(*) as n from joined group by customer_id, person_id),
        per_customer as (
            select customer_id, sum(n) * (sum(n) - 1) / 2 - sum(n * (n - 1) / 2) as false_pairs
            from per_person group by customer_id
        )
        select coalesce(causes.cause, 'no shared identifier'), count(*), cast(sum(false_pairs) as bigint)
        from per_customer left join causes using (customer_id)
        where false_pairs > 0
        group by 1 order by 3 desc
        """
    ).fetchall()


def measure(settings: Settings, causes: list | None = None) -> dict[str, float]:
    truth_csv = settings.landing_dir / "_ground_truth" / "records.csv"
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        conn.execute(f"create temp table truth as select * from read_csv('{truth_csv}', all_varchar = true)")
        conn.execute(
            "create temp table joined as select truth.person_id, records.customer_id from truth"
            " inner join marts.customer_source_records as records using (source, source_table, source_record_id)"
        )
        both, predicted, actual = (_pairs(conn, g) for g in ("person_id, customer_id", "customer_id", "person_id"))
        ceiling, found = _ceiling_pairs(conn)
        if causes is not None:
            conn.execute(
                "create temp table joined_records as select truth.person_id, records.customer_id,"
                " records.source || '/' || records.source_table || '/' || records.source_record_id as source_record_key"
                " from truth inner join marts.customer_source_records as records"
                " using (source, source_table, source_record_id)"
            )
            causes.extend(false_pairs_by_cause(conn))
    precision, recall = both / predicted, both / actual
    return {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall),
        "ceiling (share of true pairs reachable)": ceiling / actual,
        "recall of the ceiling (reachable pairs joined)": found / ceiling,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--heavy-noise", action="store_true")
    parser.add_argument(
        "--warehouse", type=Path, help="folder with warehouse.duckdb and landing/; generated there when missing"
    )
    parser.add_argument("--no-build", action="store_true", help="measure the warehouse as it is")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = args.warehouse or Path(tmp)
        settings = Settings(
            duckdb_path=root / "warehouse.duckdb", landing_dir=root / "landing", pipelines_dir=root / "pipelines"
        )
        if not settings.duckdb_path.exists():
            noise = HEAVY_NOISE if args.heavy_noise else NoiseConfig()
            generate(
                settings.landing_dir, customers=args.customers, seed=args.seed, end_date=date(2026, 11, 1), noise=noise
            )
            ingest(settings)
        if not args.no_build:
            run_dbt(settings, "seed", quiet=True)
            started = time.perf_counter()
            run_dbt(settings, "run", IDENTITY_SLICE, quiet=True)
            print(f"identity models built in {time.perf_counter() - started:.1f} s")
        scenario = "heavy noise" if args.heavy_noise else "default noise"
        print(f"{args.customers:,} customers, {scenario}")
        causes: list = []
        for name, value in measure(settings, causes).items():
            print(f"  {name:48s} {value:.4f}")
        print("  false pairs by the identifier types people of one customer share:")
        for cause, customers, pairs in causes or [("none", 0, 0)]:
            print(f"    {cause:44s} {pairs:>9,} pairs in {customers:,} customers")


if __name__ == "__main__":
    main()
