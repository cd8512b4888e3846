"""How probabilistic matching scales: N synthetic profiles (names, emails, phones and cities drawn from
the generator's reference lists, 10% of them a second record of one person with a typo'd email, a
swapped name or no phone) scored with the committed model (matching/model.json) through
cdp.matching.model.score, the code path of `cdp match`. Prints the comparisons the blocking rules
generate, the time and the peak memory.

    .venv/bin/python benchmarks/matching_scale.py                   # 20,000 and 100,000 profiles
    .venv/bin/python benchmarks/matching_scale.py --n 1000000       # the 1M figure (minutes)
"""

from __future__ import annotations

import argparse
import logging
import random
import resource
import time

import pandas as pd

from cdp.config import PROJECT_ROOT
from cdp.generate import reference as R
from cdp.generate.noise import typo
from cdp.matching.model import Thresholds, load_model, score


def profiles(n: int, seed: int = 3) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = []
    people = int(n / 1.1)
    for i in range(people):
        c = rng.choice(R.COUNTRIES)
        first = rng.choice(R.FIRST_F[c] + R.FIRST_M[c]).lower()
        last = rng.choice(R.LAST[c]).lower()
        domain = rng.choice([d for d, _ in R.EMAIL_DOMAINS[c]])
        email = f"{first}.{last}{rng.randint(1, 9999)}@{domain}"
        phone = f"+{rng.randint(10, 99)}{rng.randint(600_000_000, 699_999_999)}" if rng.random() < 0.7 else None
        city = rng.choice(R.CITIES[c])[0].lower()
        rows.append((f"r{i}", first, last, email, phone, city, c))
        if len(rows) < n and rng.random() < 0.1:
            local, _, dom = email.partition("@")
            f2, l2 = (last, first) if rng.random() < 0.3 else (first, last)
            rows.append((f"r{i}d", f2, l2, f"{typo(rng, local)}@{dom}", None, None, c))
    df = pd.DataFrame(rows[:n], columns=["unique_id", "first_name", "last_name", "email", "phone", "city",
                                         "country_code"])
    df["email_local"] = df["email"].str.split("@").str[0]
    df["email_domain"] = df["email"].str.split("@").str[1]
    return df


def run(n: int, model: dict) -> None:
    df = profiles(n)
    started = time.perf_counter()
    pairs = score([df], model, threshold=0.5)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    true = pairs["unique_id_l"].str.rstrip("d") == pairs["unique_id_r"].str.rstrip("d")
    accepted = pairs["match_probability"] >= Thresholds().accept
    duplicates = int(df["unique_id"].str.endswith("d").sum())
    print(f"{n:>10,} profiles: {pairs.attrs['comparisons']:>12,} comparisons after blocking"
          f" ({pairs.attrs['comparisons'] / n:.1f} per profile), {len(pairs):,} pairs >= 0.5;"
          f" >= accept: {int(accepted.sum()):,} ({int((accepted & true).sum()):,} of {duplicates:,} true"
          f" duplicates), {seconds:.1f} s, peak RSS {peak_mb:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, action="append", help="profiles (repeatable)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    model = load_model(PROJECT_ROOT / "matching" / "model.json")
    for n in args.n or [20_000, 100_000]:
        run(n, model)


if __name__ == "__main__":
    main()
