"""Deterministic demo data for the fictional omnichannel retailer Nordhaven.

``generate(out_dir)`` writes every source system's landing files plus the ground truth, exactly as
specified in ``docs/data-contracts.md``. Output is byte-identical for the same arguments.
"""

from __future__ import annotations

import random
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

from .config import GenerateStats, NoiseConfig
from .io import Truth
from .marketing import plan_campaigns, plan_leads, write_ads, write_social
from .model import World
from .noise import Noise
from .sources import (
    Ctx,
    write_catalog,
    write_crm,
    write_esp,
    write_loyalty,
    write_people,
    write_pos,
    write_shop,
    write_support,
    write_web,
)
from .timeutil import date_to_day

__all__ = ["SOURCES", "GenerateStats", "NoiseConfig", "generate"]

SOURCES = ("shop", "web", "pos", "crm", "esp", "support", "loyalty", "catalog", "ads", "social")
GROUND_TRUTH = "_ground_truth"


def generate(
    out_dir: Path,
    customers: int = 1000,
    seed: int = 42,
    end_date: date | None = None,
    noise: NoiseConfig | None = None,
    days: int = 730,
) -> GenerateStats:
    """Write the landing files for ``customers`` known customers (plus ~30% anonymous visitors and
    test accounts) covering ``days`` days before ``end_date`` (exclusive; default today, UTC)."""
    if customers < 1:
        raise ValueError("customers must be >= 1")
    if days < 30:
        raise ValueError("days must be >= 30")
    out = Path(out_dir)
    noise = noise if noise is not None else NoiseConfig()
    end_date = end_date or datetime.now(UTC).date()
    for name in SOURCES + (GROUND_TRUTH,):
        if (out / name).exists():
            shutil.rmtree(out / name)
    out.mkdir(parents=True, exist_ok=True)

    nz = Noise(noise, random.Random(f"{seed}:noise"))
    world = World(customers, seed, date_to_day(end_date), days, nz)
    world.build_people()
    world.plan()

    truth = Truth(out / GROUND_TRUTH / "records.csv")
    ctx = Ctx(world, out, truth, nz, seed)
    try:
        write_catalog(ctx)
        write_shop(ctx)
        write_web(ctx)
        write_pos(ctx)
        write_crm(ctx)
        write_esp(ctx)
        write_support(ctx)
        write_loyalty(ctx)
        # the ad platforms last: they count the paid landings the web writer tagged
        campaigns = plan_campaigns(seed)
        leads = plan_leads(world, campaigns, seed)
        write_ads(ctx, campaigns, ctx.ad_clicks, leads)
        write_social(ctx, leads)
        write_people(ctx)
    finally:
        truth.close()

    by_kind: dict[str, int] = {}
    for p in world.people:
        by_kind[p.kind] = by_kind.get(p.kind, 0) + 1
    ctx.file("_ground_truth", f"{GROUND_TRUTH}/records.csv", truth.rows)
    ctx.file("_ground_truth", f"{GROUND_TRUTH}/people.csv", len(world.people))
    return GenerateStats(
        out_dir=str(out),
        seed=seed,
        customers=customers,
        end_date=end_date.isoformat(),
        days=days,
        people=len(world.people),
        people_by_kind=by_kind,
        files=ctx.files,
        records=ctx.records,
        noise=dict(nz.count),
        noise_opportunities=dict(nz.opp),
        malformed={s: nz.malformed.get(s, 0) for s in ("web", "esp", "pos", "crm", "loyalty", "support")},
        duplicates={s: nz.duplicates.get(s, 0) for s in ("web", "esp")},
        ground_truth_records=truth.rows,
    )
