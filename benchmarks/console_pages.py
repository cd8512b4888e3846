"""Server-side time of every console page on 1M synthetic customers: p50 and p95 per page.

    .venv/bin/python benchmarks/console_pages.py [--customers 1000000] [--requests 200] [--keep DIR]

The serving store is built as benchmarks/profile_api.py builds it (1M profiles, an email and an
anonymous id each); the console store is built directly in SQLite with the schema `console.store`
refreshes: three identifiers and two identity links per customer, 1% of customers with 40 web records
(graphs of ~80 nodes, drawn grouped), 200 customers with 2,000 links each (the worst 360 pages), five
segments with 10% of customers in each and 180 days of sizes, 2,000 sync runs. Pages are requested
in-process through Starlette's TestClient (the full ASGI stack: session check, handler, template), one
at a time, each for a random customer; the figure is wall time per request.
"""

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from profile_api import _anonymous_id, _email, build_store  # noqa: E402

from console import store as console_store  # noqa: E402

SEGMENTS = ("high_value_customers", "lapsed_customers", "loyalty_vips", "cart_abandoners", "win_back")
BIG = 200
BIG_LINKS = 2000


def _cid(i: int) -> str:
    return f"cus_{i:020d}"


def build_console_store(path: Path, customers: int) -> float:
    started = time.perf_counter()
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(console_store.SCHEMA)
    conn.execute("pragma journal_mode = off")
    conn.execute("pragma synchronous = off")
    conn.execute("begin")

    def identities():
        for i in range(customers):
            yield _cid(i), f"email:{_email(i)}", "email", 1, 3
            yield _cid(i), f"anonymous_id:{_anonymous_id(i)}", "anonymous_id", 1, 5
            yield _cid(i), f"phone:+3161{i:07d}", "phone", 1, 2

    conn.executemany("insert into identities values (?, ?, ?, ?, ?)", identities())

    def links():
        for i in range(customers):
            email, anon, phone = f"email:{_email(i)}", f"anonymous_id:{_anonymous_id(i)}", f"phone:+3161{i:07d}"
            yield _cid(i), email, phone, "crm", "contacts", f"c{i}", "2026-01-01T00:00:00+00:00"
            yield _cid(i), email, anon, "web", "events", f"w{i}", "2026-02-01T00:00:00+00:00"
            if i % 100 == 1:
                for n in range(40):
                    yield _cid(i), email, f"anonymous_id:a{i}-{n}", "web", "events", f"w{i}-{n}", "2026-03-01"
            if i < BIG:
                for n in range(BIG_LINKS):
                    yield _cid(i), email, f"device_id:d{i}-{n}", "web", "events", f"b{i}-{n}", "2026-03-01"

    conn.executemany("insert into links values (?, ?, ?, ?, ?, ?, ?)", links())
    conn.executemany(
        "insert into identities values (?, ?, ?, ?, ?)",
        ((_cid(i), f"device_id:d{i}-{n}", "device_id", 1, 1) for i in range(BIG) for n in range(BIG_LINKS)),
    )
    conn.executemany(
        "insert into rejections values (?, ?, ?, ?)",
        (
            (f"phone:+3161{i:07d}", None, "identifier", "shared by 2 email values (cap 1)")
            for i in range(0, customers, 50)
        ),
    )
    rng = random.Random(1)
    start = date(2026, 5, 1)
    for s, segment in enumerate(SEGMENTS):
        members = range(s, customers, 10)
        conn.executemany(
            "insert into segment_history values (?, ?, 0, ?, ?)",
            (
                (
                    segment,
                    _cid(i),
                    f"2026-{5 + i % 6:02d}-{1 + i % 28:02d}T00:00:00+00:00",
                    None if i % 7 else "2026-10-30T00:00:00+00:00",
                )
                for i in members
            ),
        )
        size = len(members)
        conn.executemany(
            "insert into segment_sizes values (?, ?, ?, 0)",
            ((segment, (start + timedelta(d)).isoformat(), size - 180 * 50 + d * 50) for d in range(180)),
        )
        conn.executemany(
            "insert into segment_moves values (?, ?, ?, ?)",
            (
                (segment, (start + timedelta(d)).isoformat(), rng.randint(50, 300), rng.randint(0, 250))
                for d in range(180)
            ),
        )
    conn.executemany(
        "insert into sync_runs values (?, ?, ?, ?, ?, 0, 10, 5, 1, 16, ?, ?)",
        (
            (
                f"run{n}",
                f"sync_{n % 4}",
                f"2026-11-{1 + n % 25:02d}T{n % 24:02d}:00:00",
                None,
                "incomplete" if n % 10 == 0 else "done",
                3 if n % 10 == 0 else 0,
                "3 rows not acknowledged" if n % 10 == 0 else None,
            )
            for n in range(2000)
        ),
    )
    conn.executemany(
        "insert into sync_failures values (?, ?, ?, 'insert', 'failed', ?)",
        ((f"run{n}", f"sync_{n % 4}", _cid(n), "destination unavailable after 4 attempts") for n in range(0, 2000, 10)),
    )
    facts = {
        "refreshed_at": "2026-11-26T00:00:00+00:00",
        "customers": customers,
        "identifiers_by_type": [["email", customers], ["anonymous_id", customers], ["phone", customers]],
        "source_records": 2 * customers,
        "records_matched": 2 * customers,
        "component_sizes": [["2", customers - customers // 100], ["5-19", customers // 100]],
        "rejections_by_reason": [["identifier", "shared by 2 email values (cap 1)", customers // 50]],
        "sources": [{"source": "web", "last_load_at": "2026-11-26T00:00:00+00:00", "quarantined": 12}],
        "segments": [[s, customers // 10, 0] for s in SEGMENTS],
    }
    conn.execute("insert into facts values ('overview', ?)", [json.dumps(facts)])
    conn.execute("commit")
    conn.executescript(console_store.INDEXES)
    conn.execute("analyze")
    conn.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="build the stores here and keep them (reused when present)")
    args = parser.parse_args()

    from starlette.testclient import TestClient

    from console.app import ConsoleSettings, create_app
    from console.auth import User, hash_password
    from tests.console.conftest import login

    folder = args.keep or Path(tempfile.mkdtemp(prefix="console_bench_"))
    folder.mkdir(parents=True, exist_ok=True)
    serving, console = folder / "serving.sqlite", folder / "console.sqlite"
    if not (serving.exists() and console.exists()):
        print(f"serving store: {build_store(serving, args.customers):.0f}s to build")
        print(f"console store: {build_console_store(console, args.customers):.0f}s to build")
    users = {
        "ann": User("ann", "admin", hash_password("admin-password-1", 1000)),
        "mo": User("mo", "marketer", hash_password("marketer-password-1", 1000)),
    }
    app = create_app(ConsoleSettings(serving, console, users, b"benchmark-secret-0123456789abcdef"))
    client = TestClient(app)
    csrf = login(client, "mo")
    rng = random.Random(7)
    n = args.customers

    def customer_page():
        return client.get(f"/customers/{_cid(rng.randrange(BIG, n))}")

    def big_customer_page():
        return client.get(f"/customers/{_cid(rng.randrange(BIG))}")

    def graph_path():
        return client.post(
            f"/customers/{_cid(rng.randrange(BIG, n))}/path",
            json={"from": "i0", "to": "i2"},
            headers={"x-csrf-token": csrf},
        )

    def search():
        return client.post(
            "/search", data={"csrf": csrf, "value": _email(rng.randrange(n)).upper()}, follow_redirects=False
        )

    pages = {
        "overview /": lambda: client.get("/"),
        "search (email)": search,
        "customer 360": customer_page,
        "customer 360, 2,000-link graph": big_customer_page,
        "graph path": graph_path,
        "segments": lambda: client.get("/segments"),
        "segment page": lambda: client.get(f"/segments/{rng.choice(SEGMENTS)}"),
        "syncs and flows": lambda: client.get("/syncs"),
    }
    print(f"{args.customers:,} customers, {args.requests} requests per page, marketer role (masking on)")
    print(f"{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, request in pages.items():
        request()  # warm the page cache for this page's tables
        times = []
        for _ in range(args.requests):
            started = time.perf_counter()
            answer = request()
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code in (200, 303), (name, answer.status_code)
        times.sort()
        p95 = times[int(0.95 * (len(times) - 1))]
        print(f"{name:34} {statistics.median(times):8.1f} {p95:8.1f} {times[-1]:8.1f}")


if __name__ == "__main__":
    main()
