"""Profile API latency at a fixed request rate, on a store of 1M synthetic profiles, with and without a
publish writing into the store at the same time.

    .venv/bin/python benchmarks/profile_api.py [--profiles 1000000] [--rate 2000] [--seconds 20]

The store is built directly in SQLite (bulk insert, same schema as `cdp publish` writes). The server runs
`serving.app` under uvicorn in its own process pinned to one core. The client is open-loop: requests
are sent on a fixed schedule whatever the server does, and latency counts from the scheduled send time,
so a stalled server shows up as latency instead of as a slower client (no coordinated omission). Each
request looks up a random customer by email or by anonymous id. The second run adds a writer process
that upserts changed profiles and identifiers in publish-sized transactions for the whole run.
"""

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import socket
import sqlite3
import statistics
import sys
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from serving.store import apply_changes, connect_writer  # noqa: E402

TOKEN = "bench-token"
CATEGORIES = ("knitwear", "outerwear", "footwear", "accessories", "home", "kids")
WARMUP_S = 2.0


def _email(i: int) -> str:
    return f"customer{i:07d}@example.com"


def _anonymous_id(i: int) -> str:
    return str(uuid.UUID(int=random.Random(i).getrandbits(128), version=4))


def _profile_body(i: int, version: int = 0) -> str:
    """About 1 KB of JSON, shaped like a published customer_profiles row."""
    rng = random.Random(i * 7919 + version)
    orders = rng.randint(0, 30)
    return json.dumps(
        {
            "customer_id": f"cus_{i:020d}",
            "primary_email": _email(i),
            "primary_phone": f"+3161{i:07d}",
            "first_name": "Ann",
            "last_name": f"Example{i}",
            "country": "NL",
            "city": "Utrecht",
            "first_seen_at": "2024-01-05T22:46:11.000000Z",
            "last_seen_at": "2026-10-29T08:16:28.000000Z",
            "orders_count": orders,
            "lifetime_revenue_eur": round(orders * rng.uniform(20, 200), 2),
            "all_emails": _email(i),
            "all_phones": f"+3161{i:07d}",
            "language_code": "nl",
            "email_consent": "granted",
            "is_unsubscribed": False,
            "loyalty_tier": rng.choice([None, "silver", "gold"]),
            "loyalty_points": rng.randint(0, 5000),
            "count_orders_online": orders // 2,
            "count_orders_store": orders - orders // 2,
            "average_order_value_eur": round(rng.uniform(20, 200), 2),
            "first_order_date": "2024-02-01",
            "last_order_date": "2026-09-30",
            "days_since_last_order": rng.randint(0, 700),
            "orders_per_year": round(rng.uniform(0, 12), 3),
            "favourite_category": rng.choice(CATEGORIES),
            "favourite_brand": "Nordhaven",
            "last_web_seen_at": "2026-10-29T08:16:28.000000Z",
            "count_web_sessions_30d": rng.randint(0, 20),
            "count_product_views_30d": rng.randint(0, 80),
            "count_cart_adds_without_purchase": rng.randint(0, 5),
            "email_open_rate_90d": round(rng.random(), 3),
            "email_click_rate_90d": round(rng.random() / 4, 3),
            "count_support_tickets": rng.randint(0, 3),
            "rfm_recency_score": rng.randint(1, 5),
            "rfm_frequency_score": rng.randint(1, 5),
            "rfm_monetary_score": rng.randint(1, 5),
            "rfm_segment": "loyal customers",
            "profile_version": version,
        },
        separators=(",", ":"),
    )


def build_store(path: Path, profiles: int) -> float:
    """A fresh store with `profiles` customers, each with an email and an anonymous id; returns seconds."""
    started = time.perf_counter()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    connect_writer(path).close()  # the schema publish writes
    # A bulk load: no journal (rebuild on failure), then WAL as publish leaves it. In WAL mode the whole
    # load would go through the WAL file first, twice the I/O.
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("pragma journal_mode = off")
    conn.execute("pragma synchronous = off")
    conn.execute("begin")
    # Keys in sorted order: b-tree appends instead of page splits all over the file.
    apply_changes(conn, "profiles", ((f"cus_{i:020d}", _profile_body(i), "v0") for i in range(profiles)), [])
    apply_changes(conn, "identifiers", (("email", _email(i), f"cus_{i:020d}", "v0") for i in range(profiles)), [])
    anonymous = sorted((_anonymous_id(i), i) for i in range(profiles))
    apply_changes(conn, "identifiers", (("anonymous_id", a, f"cus_{i:020d}", "v0") for a, i in anonymous), [])
    conn.execute("insert into publish_log values (?, ?, ?, ?)", ["2026-11-26T00:00:00Z", None, profiles * 3, 0])
    conn.execute("commit")
    conn.execute("pragma journal_mode = wal")
    conn.close()
    return time.perf_counter() - started


def _pin(cores: list[int]) -> None:
    os.sched_setaffinity(0, set(cores))


def core_layout(clients: int) -> dict[str, list[int]]:
    """The server alone on the first core; clients on the next ones; the writer on a core of its own if
    one is left, else beside the clients. The server's core is never shared with our own processes."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        raise SystemExit("needs at least 2 cores: one for the server, one for the client")
    others = available[1:]
    client_cores = [others[i % len(others)] for i in range(clients)]
    spare = [c for c in others if c not in client_cores]
    return {"server": available[:1], "clients": client_cores, "writer": spare[:1] or client_cores[-1:]}


def serve(store: Path, port: int, cores: list[int]) -> None:
    _pin(cores)
    import uvicorn

    from serving.app import ApiSettings, create_app

    app = create_app(ApiSettings(store=store, tokens=(TOKEN,)))
    # keep-alive longer than the run: the client's pooled connections are never closed under it
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
        timeout_keep_alive=120,
    )


def _wait_for(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server on port {port} did not start")


async def _open_loop(
    port: int, rate: float, seconds: float, profiles: int, seed: int, max_connections: int = 64
) -> dict:
    rng = random.Random(seed)
    pool: asyncio.LifoQueue = asyncio.LifoQueue()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lag_max = 0.0

    opened = 0

    async def connection():
        nonlocal opened
        if pool.empty() and opened < max_connections:
            opened += 1
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return reader, writer
        # A bounded pool, as a real client's: a slow server queues requests here (still timed from their
        # scheduled send) rather than drowning in new connections.
        return await pool.get()

    async def request(scheduled: float, path: str) -> None:
        nonlocal opened
        reader, writer = await connection()
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError):
            statuses[0] = statuses.get(0, 0) + 1  # 0: connection error
            writer.close()
            opened -= 1
            return
        latencies.append((time.perf_counter() - scheduled, scheduled))
        statuses[status] = statuses.get(status, 0) + 1
        pool.put_nowait((reader, writer))

    tasks = set()
    # perf_counter, not loop.time(): uvloop's clock ticks in whole milliseconds
    start = time.perf_counter() + 0.05
    n = int(rate * seconds)
    for k in range(n):
        scheduled = start + k / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            lag_max = max(lag_max, -delay)
        i = rng.randrange(profiles)
        path = f"/v1/profiles/email:{_email(i)}" if k % 2 else f"/v1/profiles/anonymous_id:{_anonymous_id(i)}"
        task = asyncio.ensure_future(request(scheduled, path))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    kept = [lat for lat, at in latencies if at - start >= WARMUP_S]
    return {"latencies": kept, "statuses": statuses, "sent": n, "lag_max": lag_max, "connections": opened}


def client(port: int, rate: float, seconds: float, profiles: int, seed: int, cores: list[int], out: mp.Queue) -> None:
    _pin(cores)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    out.put(asyncio.run(_open_loop(port, rate, seconds, profiles, seed)))


def writer(
    store: Path,
    profiles: int,
    batch: int,
    cores: list[int],
    share_core: bool,
    ready: mp.Event,
    stop: mp.Event,
    out: mp.Queue,
) -> None:
    """Publish-shaped writes until told to stop: each transaction upserts `batch` changed profiles and as
    many identifiers, as `cdp publish` does after a build that changed those customers."""
    _pin(cores)
    if share_core:
        os.nice(19)  # on a small machine it shares the client's core: the clock that measures goes first
    conn = connect_writer(store)
    rng = random.Random(99)
    # Rows are made before the clock starts: publish's own CPU work happens in DuckDB, not in this loop.
    batches = []
    for version in range(1, 9):
        ids = sorted(rng.sample(range(profiles), batch))
        batches.append(
            (
                [(f"cus_{i:020d}", _profile_body(i, version), f"v{version}") for i in ids],
                [("email", _email(i), f"cus_{i:020d}", f"v{version}") for i in ids],
            )
        )
    ready.set()
    rows = transactions = 0
    started = time.perf_counter()
    while not stop.is_set():
        profile_rows, identifier_rows = batches[transactions % len(batches)]
        conn.execute("begin immediate")
        apply_changes(conn, "profiles", profile_rows, [])
        apply_changes(conn, "identifiers", identifier_rows, [])
        conn.execute("commit")
        rows += len(profile_rows) + len(identifier_rows)
        transactions += 1
    conn.close()
    out.put({"rows": rows, "transactions": transactions, "seconds": time.perf_counter() - started})


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): the server's cost per request, which a
    busy machine does not distort the way it distorts latency."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1] if values else float("nan")


def run_load(args, port: int, server_pid: int, with_writer: bool) -> dict:
    ctx = mp.get_context("spawn")
    results: mp.Queue = ctx.Queue()
    stop = ctx.Event()
    ready = ctx.Event()
    written: mp.Queue = ctx.Queue()
    layout = core_layout(args.clients)
    clients = [
        ctx.Process(
            target=client,
            args=(
                port,
                args.rate / args.clients,
                args.seconds,
                args.profiles,
                seed,
                [layout["clients"][seed]],
                results,
            ),
        )
        for seed in range(args.clients)
    ]
    writer_proc = None
    if with_writer:
        shares = layout["writer"][0] in layout["clients"]
        writer_proc = ctx.Process(
            target=writer,
            args=(args.store, args.profiles, args.write_batch, layout["writer"], shares, ready, stop, written),
        )
        writer_proc.start()
        ready.wait()
        time.sleep(1.0)  # let the first transactions land before the clock starts
    cpu_before = _cpu_seconds(server_pid)
    for p in clients:
        p.start()
    parts = [results.get() for _ in clients]
    server_cpu = _cpu_seconds(server_pid) - cpu_before
    for p in clients:
        p.join()
    write_stats = None
    if writer_proc:
        stop.set()
        write_stats = written.get()
        writer_proc.join()
    latencies = [lat for part in parts for lat in part["latencies"]]
    statuses: dict[int, int] = {}
    for part in parts:
        for status, count in part["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    measured_s = args.seconds - WARMUP_S
    return {
        "requests": len(latencies),
        "achieved_rate": len(latencies) / measured_s,
        "p50_ms": _percentile(latencies, 50) * 1000,
        "p99_ms": _percentile(latencies, 99) * 1000,
        "p999_ms": _percentile(latencies, 99.9) * 1000,
        "max_ms": max(latencies) * 1000,
        "statuses": statuses,
        "client_lag_max_ms": max(p["lag_max"] for p in parts) * 1000,
        "writes": write_stats,
        "server_cpu_ms_per_request": server_cpu / sum(p["sent"] for p in parts) * 1000,
    }


def probe_store(store: Path, profiles: int, seconds: float, core: list[int]) -> str:
    """The store alone, without HTTP: resolve + fetch in one read transaction, as a handler does, timed
    in this process on the server's core. Shows what the storage layer adds, and what a publish does to
    it, on machines too busy for the HTTP figures to mean much."""
    from serving import lookup
    from serving.store import connect_reader

    _pin(core)
    conn = connect_reader(store)
    rng = random.Random(5)
    latencies = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        i = rng.randrange(profiles)
        started = time.perf_counter()
        conn.execute("begin")
        if i % 2:
            customer_id = lookup.resolve(conn, "email", _email(i))
        else:
            customer_id = lookup.resolve(conn, "anonymous_id", _anonymous_id(i))
        lookup.document_text(conn, "profiles", customer_id)
        conn.execute("commit")
        latencies.append(time.perf_counter() - started)
        time.sleep(0.0005)
    conn.close()
    p50, p99 = _percentile(latencies, 50) * 1000, _percentile(latencies, 99) * 1000
    return f"{len(latencies):,} reads: p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {max(latencies) * 1000:.2f} ms"


def run_store_probe(args) -> None:
    layout = core_layout(args.clients)
    own_cores = os.sched_getaffinity(0)
    print("\nstore reads in-process (no HTTP), on the server's core")
    print(f"  alone                  {probe_store(args.store, args.profiles, 8, layout['server'])}")
    ctx = mp.get_context("spawn")
    ready, stop, written = ctx.Event(), ctx.Event(), ctx.Queue()
    writer_proc = ctx.Process(
        target=writer,
        args=(args.store, args.profiles, args.write_batch, layout["writer"], False, ready, stop, written),
    )
    writer_proc.start()
    ready.wait()
    print(f"  while a publish writes {probe_store(args.store, args.profiles, 8, layout['server'])}")
    stop.set()
    w = written.get()
    writer_proc.join()
    print(f"  concurrent publish     {w['rows']:,} rows ({w['rows'] / w['seconds']:,.0f} rows/s)")
    os.sched_setaffinity(0, own_cores)


def _print(title: str, r: dict) -> None:
    print(f"\n{title}")
    print(f"  requests measured      {r['requests']:,} ({r['achieved_rate']:,.0f}/s after {WARMUP_S:.0f}s warm-up)")
    print(f"  latency p50 / p99      {r['p50_ms']:.2f} ms / {r['p99_ms']:.2f} ms")
    print(f"  latency p99.9 / max    {r['p999_ms']:.2f} ms / {r['max_ms']:.2f} ms")
    print(f"  status codes           {r['statuses']}")
    cpu_ms = r["server_cpu_ms_per_request"]
    print(f"  server CPU per request {cpu_ms:.3f} ms (one core saturates near {1000 / cpu_ms:,.0f} req/s)")
    print(f"  client schedule lag    {r['client_lag_max_ms']:.2f} ms max")
    if r["writes"]:
        w = r["writes"]
        print(
            f"  concurrent publish     {w['rows']:,} rows in {w['transactions']} transactions "
            f"({w['rows'] / w['seconds']:,.0f} rows/s)"
        )


def _warm_page_cache(store: Path) -> int:
    """Read the store's files once, sequentially; returns the bytes read."""
    total = 0
    for path in (store, store.with_name(store.name + "-wal")):
        if path.exists():
            with open(path, "rb") as handle:
                while chunk := handle.read(8 * 2**20):
                    total += len(chunk)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=2000.0, help="requests per second, all clients together")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each run")
    parser.add_argument("--clients", type=int, default=1, help="client processes, one core each")
    parser.add_argument("--write-batch", type=int, default=5000, help="profiles per publish transaction")
    parser.add_argument("--store", type=Path, default=Path("/tmp/profile_api_bench/serving.sqlite"))
    parser.add_argument("--reuse-store", action="store_true", help="keep a store built by an earlier run")
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()

    print(f"cores available: {len(os.sched_getaffinity(0))}; pinned: {core_layout(args.clients)}")
    if not (args.reuse_store and args.store.exists()):
        args.store.parent.mkdir(parents=True, exist_ok=True)
        seconds = build_store(args.store, args.profiles)
        print(
            f"built a store of {args.profiles:,} profiles"
            f" ({args.store.stat().st_size / 2**20:,.0f} MiB) in {seconds:.1f}s"
        )

    # A serving store in use is in the OS page cache; a store just built or reused after other work may not
    # be, and the first run would then measure the disk (seconds per request at first), not the API.
    warmed = _warm_page_cache(args.store)
    print(f"read {warmed / 2**20:,.0f} MiB of the store into the page cache")

    ctx = mp.get_context("spawn")
    server = ctx.Process(target=serve, args=(args.store, args.port, core_layout(args.clients)["server"]), daemon=True)
    server.start()
    try:
        _wait_for(args.port)
        baseline = run_load(args, args.port, server.pid, with_writer=False)
        _print(f"lookups at {args.rate:,.0f} req/s", baseline)
        loaded = run_load(args, args.port, server.pid, with_writer=True)
        _print(f"lookups at {args.rate:,.0f} req/s while a publish writes", loaded)
    finally:
        server.terminate()
        server.join()
    change = loaded["p99_ms"] / baseline["p99_ms"] - 1
    print(f"\np99 {baseline['p99_ms']:.2f} ms -> {loaded['p99_ms']:.2f} ms during publish ({change:+.0%}; budget +20%)")
    run_store_probe(args)
    met = max(baseline["p99_ms"], loaded["p99_ms"]) <= 10
    print(f"goal p99 <= 10 ms at {args.rate:,.0f} req/s: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
