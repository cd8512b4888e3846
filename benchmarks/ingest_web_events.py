"""How fast the web source loads Segment events: writes N synthetic events as daily JSONL files into a
temporary landing folder, runs `ingestion.runner.run_source("web", ...)` into a temporary DuckDB and
prints rows per second (generation is not timed).

    .venv/bin/python benchmarks/ingest_web_events.py            # 300k events, the 10k-customer demo
    .venv/bin/python benchmarks/ingest_web_events.py --events 1000000 --days 90
"""

import argparse
import json
import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cdp.config import Settings
from ingestion.runner import run_source

START = datetime(2026, 3, 1, tzinfo=UTC)
TRACKS = (
    "Product Viewed",
    "Product Added",
    "Product Removed",
    "Cart Viewed",
    "Checkout Started",
    "Order Completed",
)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _event(rng: random.Random, n: int, received: datetime) -> dict:
    sent = received - timedelta(milliseconds=rng.randint(20, 900))
    app = rng.random() < 0.3
    context = {
        "ip": f"203.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "userAgent": "Mozilla/5.0 (bench)",
        "locale": rng.choice(("nl-NL", "de-DE", "pl-PL", "da-DK", "en-GB", "en-US")),
    }
    if app:
        context["device"] = {"id": f"dev-{rng.randint(1, 50_000)}", "type": rng.choice(("ios", "android"))}
    else:
        sku = f"SKU-{rng.randint(1, 2_000)}"
        context["page"] = {
            "url": f"https://shop.example/p/{sku}",
            "path": f"/p/{sku}",
            "referrer": None,
            "title": sku,
        }
        context["campaign"] = {"source": "newsletter", "medium": "email", "name": "spring"}
    event = {
        "messageId": f"bench-{n}",
        "anonymousId": f"anon-{rng.randint(1, 100_000)}",
        "userId": str(rng.randint(1, 10_000)) if rng.random() < 0.3 else None,
        "timestamp": _iso(sent),
        "sentAt": _iso(sent),
        "receivedAt": _iso(received),
        "originalTimestamp": _iso(sent),
        "context": context,
    }
    roll = rng.random()
    if roll < 0.6:
        product = rng.randint(1, 2_000)
        event |= {
            "type": "track",
            "event": rng.choice(TRACKS),
            "properties": {
                "product_id": str(product),
                "sku": f"SKU-{product}",
                "category": "shoes",
                "price": round(rng.uniform(5, 200), 2),
                "quantity": rng.randint(1, 3),
                "currency": "EUR",
            },
        }
    elif roll < 0.9:
        event |= {"type": "screen" if app else "page", "name": "Product", "properties": {"path": "/p"}}
    elif roll < 0.98:
        event |= {"type": "identify", "traits": {"email": f"person{n}@example.com", "first_name": "Ann"}}
    else:
        event |= {"type": "alias", "previousId": event["anonymousId"]}
    return event


def write_events(folder: Path, events: int, days: int, seed: int = 7) -> int:
    """Write `events` events over `days` daily files; returns the bytes written."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    per_day = -(-events // days)
    written = 0
    for day in range(days):
        count = min(per_day, events - day * per_day)
        if count <= 0:
            break
        start = START + timedelta(days=day)
        step = 86_400 / count
        lines = [
            json.dumps(_event(rng, day * per_day + i, start + timedelta(seconds=i * step)), separators=(",", ":"))
            for i in range(count)
        ]
        path = folder / f"{start:%Y-%m-%d}.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written += path.stat().st_size
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cdp-bench-") as tmp:
        root = Path(tmp)
        settings = Settings(
            duckdb_path=root / "warehouse.duckdb",
            landing_dir=root / "landing",
            pipelines_dir=root / "pipelines",
        )
        size = write_events(settings.landing_dir / "web" / "events", args.events, args.days)
        print(f"wrote {args.events:,} events in {args.days} files ({size / 2**20:.0f} MiB)")

        first = run_source("web", settings)
        print(
            f"first run:  {first.rows_loaded:,} rows in {first.seconds:.1f} s "
            f"= {first.rows_loaded / first.seconds:,.0f} rows/s"
        )
        again = run_source("web", settings)
        print(f"second run (no new files): {again.rows_loaded:,} rows in {again.seconds:.1f} s")


if __name__ == "__main__":
    main()
