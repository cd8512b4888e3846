"""How probabilistic matching scales, end to end through `cdp match`'s code path (cdp.matching.run.match):
N synthetic profiles written as `int_match_features` into a scratch DuckDB warehouse, then features read
back -> blocking keys -> Splink predict with the committed model (matching/model.json, copied so a retrain
cannot overwrite it) -> `matching.identity_match_candidates` written.

Profiles: names, emails, phones, cities and streets from the generator's reference lists, a birth date, a
postcode. Half the surnames are double-barrelled (two of the generator's 30 per country): with 30 surnames
and 80 given names per country every name would have ~140 namesakes at 1M, far more than a real population
has, and name blocks would measure the lists' size instead of the blocking. About 10% are a second record
of one person with a typo'd email, sometimes swapped names, no phone and no city (the generator's fuzzy
duplicates). Each N runs in a fresh child process so its peak RSS
is its own. Prints per N: comparisons after blocking (and per profile), blocks skipped for size, the true
duplicates among the candidates (blocking recall at p >= 0.5) and accepted, seconds and peak RSS.

    .venv/bin/python benchmarks/matching_scale.py                         # 100k, 300k and 1M (minutes)
    .venv/bin/python benchmarks/matching_scale.py --n 20000 --n 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

from cdp.config import PROJECT_ROOT, Settings
from cdp.generate import reference as R
from cdp.generate.noise import typo
from cdp.matching.model import block
from cdp.matching.run import CANDIDATES, MODEL_PATH, SCHEMA, match

_POSTCODE_DIGITS = {"NL": 4, "DE": 5, "PL": 5, "DK": 4, "GB": 4, "US": 5}
_EPOCH = dt.date(1940, 1, 1)


def profiles(n: int, seed: int = 3) -> pd.DataFrame:
    """`n` rows shaped like int_match_features; duplicates' ids end in `d` (`r17` and `r17d`)."""
    rng = random.Random(seed)
    rows = []
    i = 0
    while len(rows) < n:
        c = rng.choice(R.COUNTRIES)
        first = rng.choice(R.FIRST_F[c] + R.FIRST_M[c]).lower()
        last = rng.choice(R.LAST[c]).lower()
        if rng.random() < 0.5:  # double-barrelled: 30 + 900 surnames per country (see the docstring)
            last = f"{last}-{rng.choice(R.LAST[c]).lower()}"
        domain = rng.choice([d for d, _ in R.EMAIL_DOMAINS[c]])
        email = f"{first}.{last}{rng.randint(1, 9999)}@{domain}"
        phone = f"+{rng.randint(10, 99)}{rng.randint(600_000_000, 699_999_999)}" if rng.random() < 0.7 else None
        city = rng.choice(R.CITIES[c])[0].lower()
        born = (_EPOCH + dt.timedelta(days=rng.randrange(65 * 365))).strftime("%Y%m%d")
        postcode = str(rng.randrange(10 ** (_POSTCODE_DIGITS[c] - 1), 10 ** _POSTCODE_DIGITS[c]))
        street = f"{rng.choice(R.STREETS[c]).lower()} {rng.randint(1, 200)}"
        rows.append((f"r{i}", first, last, email, phone, born, street, postcode, city, c))
        if len(rows) < n and rng.random() < 0.1:
            local, _, dom = email.partition("@")
            f2, l2 = (last, first) if rng.random() < 0.3 else (first, last)
            rows.append((f"r{i}d", f2, l2, f"{typo(rng, local)}@{dom}", None,
                         born if rng.random() < 0.8 else None, None, postcode if rng.random() < 0.6 else None,
                         None, c))
        i += 1
    df = pd.DataFrame(rows, columns=["source_record_key", "first_name", "last_name", "email", "phone",
                                     "date_of_birth", "address_line", "postcode", "city", "country_code"])
    df["email_local"] = df["email"].str.split("@").str[0]
    df["email_domain"] = df["email"].str.split("@").str[1]
    df["email_letters"] = df["email"].str.replace(r"[^a-z@]", "", regex=True)
    df["source"] = "bench"
    df["observed_at"] = pd.Timestamp("2026-01-01")
    return df


def write_features(path: Path, df: pd.DataFrame) -> None:
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema if not exists analytics")
        conn.register("profiles", df)
        conn.execute(
            "create or replace table analytics.int_match_features as select source_record_key, source,"
            " first_name, last_name, email, email_local, email_domain, email_letters, phone, date_of_birth,"
            " address_line, postcode, city, country_code, observed_at from profiles"
        )


def _cpu_seconds() -> float:
    """User + system CPU of this process and its threads (DuckDB's): on a shared machine the wall time
    also counts other people's work, the CPU time does not."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def blocking_recall(df: pd.DataFrame) -> int:
    """True duplicate pairs that share at least one (capped) blocking key: the ceiling of recall."""
    features = df.rename(columns={"source_record_key": "unique_id"}).drop(columns=["source", "observed_at"])
    blocked = block([features])
    any_key = " or ".join(blocked.rules) or "false"
    return int(blocked.conn.execute(
        "select count(*) from cdp_keyed as l join cdp_keyed as r on r.unique_id = l.unique_id || 'd'"
        f" where {any_key}"
    ).fetchall()[0][0])


def run_one(n: int) -> None:
    logging.disable(logging.WARNING)
    started = time.perf_counter()
    df = profiles(n)
    duplicates = int(df["source_record_key"].str.endswith("d").sum())
    generated = time.perf_counter() - started
    blocked_true = blocking_recall(df)
    with tempfile.TemporaryDirectory(prefix="matching_scale_") as tmp:
        root = Path(tmp)
        settings = Settings(duckdb_path=root / "warehouse.duckdb", landing_dir=root / "landing",
                            pipelines_dir=root / "pipelines")
        write_features(settings.duckdb_path, df)
        del df
        model = root / "model.json"
        shutil.copy(MODEL_PATH, model)
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        result = match(settings, model_path=model)
        seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
        with duckdb.connect(str(settings.duckdb_path)) as conn:
            found, accepted = conn.execute(
                f"select count(*), count(*) filter (where match_probability >= 0.99) from {SCHEMA}.{CANDIDATES}"
                " where record_key_r = record_key_l || 'd'"
            ).fetchall()[0]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    skipped = sum(pairs for _, pairs in result.skipped.values())
    blocks = sum(b for b, _ in result.skipped.values())
    print(
        f"{n:>9,} profiles: {result.comparisons:>11,} comparisons ({result.comparisons / n:.1f} per profile),"
        f" skipped {blocks:,} oversize blocks ({skipped:,} pairs); true duplicates blocked"
        f" {blocked_true:,}/{duplicates:,}, among candidates"
        f" {found:,}/{duplicates:,} ({found / max(duplicates, 1):.3f}), accepted {accepted:,};"
        f" {result.candidates:,} candidates written; match {seconds:.1f} s wall, {cpu:.1f} s CPU"
        f" (+{generated:.1f} s generating), {_load()},"
        f" peak RSS {peak_mb:,.0f} MB{'' if not result.trained else ' (model retrained!)'}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, action="append", help="profiles (repeatable)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = args.n or [100_000, 300_000, 1_000_000]
    if args.child:
        run_one(sizes[0])
        return
    for n in sizes:
        subprocess.run([sys.executable, __file__, "--child", "--n", str(n)], check=True, cwd=PROJECT_ROOT)


if __name__ == "__main__":
    main()
