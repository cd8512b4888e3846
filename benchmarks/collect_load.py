"""Load the collector open loop and print what it sustains: `/v1/track` req/s with acknowledgement latency
p50/p99/max, `/v1/batch` events/s; then check that every acknowledged messageId is in the spool.

    .venv/bin/python benchmarks/collect_load.py [--track-rate 5500] [--batch-rate 600] [--seconds 10]

Open loop: request i is due at start + i / rate whether or not earlier ones were answered, and its latency
is counted from when it was due, so a server that falls behind shows it in the percentiles (no coordinated
omission). The collector runs in its own process pinned to CPU 0 (uvicorn, uvloop, httptools, the real
spool with fsync); this generator runs pinned to CPU 1 when there is one. Goals (issue): track >= 5,000
req/s at p99 <= 20 ms; batch >= 50,000 events/s.
"""

import argparse
import asyncio
import base64
import collections
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from realtime.spool import Spool, read_spool_file  # noqa: E402

WRITE_KEY = "bench-key"
AUTH = "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()


def _pin(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {cpu})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_collector(spool_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "CDP_COLLECT_WRITE_KEYS": f"bench:{WRITE_KEY}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "realtime.server", "--port", str(port), "--spool-dir", str(spool_dir)],
        cwd=ROOT,
        env=env,
        preexec_fn=lambda: _pin(0),
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the collector did not start")


def _request(path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: {AUTH}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def track_request(n: int, sent_at: str) -> tuple[bytes, list[str]]:
    message_id = f"t-{n}"
    event = {
        "userId": f"user-{n % 5000}",
        "event": "Product Viewed",
        "messageId": message_id,
        "timestamp": sent_at,
        "sentAt": sent_at,
        "properties": {"product_id": f"P-{n % 997}", "sku": f"SKU-{n % 997}", "price": 59.95, "currency": "EUR"},
        "context": {"ip": "203.0.113.7", "userAgent": "Mozilla/5.0 (bench)", "page": {"path": "/p/sku"}},
    }
    return _request("/v1/track", orjson.dumps(event)), [message_id]


def batch_request(n: int, size: int, sent_at: str) -> tuple[bytes, list[str]]:
    ids = [f"b-{n}-{i}" for i in range(size)]
    events = [
        {
            "type": "track",
            "anonymousId": f"anon-{n}",
            "event": "Product Viewed",
            "messageId": message_id,
            "timestamp": sent_at,
            "properties": {"product_id": f"P-{i}", "price": 19.5},
        }
        for i, message_id in enumerate(ids)
    ]
    return _request("/v1/batch", orjson.dumps({"batch": events, "sentAt": sent_at})), ids


@dataclass
class Result:
    name: str
    due: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    events: int = 0
    errors: int = 0
    acked_ids: list[str] = field(default_factory=list)
    seconds: float = 0.0


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one request in flight at a time (no pipelining)."""

    def __init__(self, phase: "_Phase") -> None:
        self.phase = phase
        self.buffer = b""
        self.current: tuple[float, list[str]] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, due: float, payload: bytes, ids: list[str]) -> None:
        self.current = (due, ids)
        self.transport.write(payload)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end]
        at = head.lower().find(b"content-length:") + 15
        stop = head.find(b"\r\n", at)
        length = int(head[at : stop if stop > 0 else len(head)])
        if len(self.buffer) < end + 4 + length:
            return
        body = self.buffer[end + 4 : end + 4 + length]
        self.buffer = self.buffer[end + 4 + length :]
        due, ids = self.current
        self.current = None
        self.phase.answered(self, due, ids, head.startswith(b"HTTP/1.1 200") and body == b'{"success":true}')


class _Phase:
    """Hands due requests to free connections; what finds none waits in a backlog (and its wait counts)."""

    def __init__(self, result: Result) -> None:
        self.result = result
        self.free: list[_Connection] = []
        self.backlog: collections.deque = collections.deque()
        self.outstanding = 0

    def release(self, due: float, request: tuple[bytes, list[str]]) -> None:
        self.outstanding += 1
        if self.free:
            self.free.pop().send(due, *request)
        else:
            self.backlog.append((due, request))

    def answered(self, connection: _Connection, due: float, ids: list[str], ok: bool) -> None:
        now = time.perf_counter()
        if ok:
            self.result.latencies_ms.append((now - due) * 1000)
            self.result.events += len(ids)
            self.result.acked_ids += ids
        else:
            self.result.errors += 1
        self.outstanding -= 1
        if self.backlog:
            due, request = self.backlog.popleft()
            connection.send(due, *request)
        else:
            self.free.append(connection)


async def run_phase(name: str, port: int, rate: float, seconds: float, make, connections: int) -> Result:
    """Send `rate` requests per second for `seconds` (open loop) over `connections` keep-alive sockets."""
    result = Result(name)
    total = int(rate * seconds)
    sent_at = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    requests = [make(n, sent_at) for n in range(total)]  # built before the clock starts
    loop = asyncio.get_running_loop()
    phase = _Phase(result)
    for _ in range(connections):
        _, connection = await loop.create_connection(lambda: _Connection(phase), "127.0.0.1", port)
        phase.free.append(connection)
    start = time.perf_counter()
    interval = 1.0 / rate
    n = 0
    while n < total:
        now = time.perf_counter()
        while n < total and start + n * interval <= now:  # release every request that is due
            phase.release(start + n * interval, requests[n])
            n += 1
        await asyncio.sleep(0.0005)
    result.due = total
    while phase.outstanding:
        await asyncio.sleep(0.001)
    result.seconds = time.perf_counter() - start
    for connection in phase.free:
        connection.transport.close()
    return result


def report(result: Result, unit: str) -> None:
    lat = sorted(result.latencies_ms)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")  # noqa: E731
    answered = len(lat)
    mean = statistics.fmean(lat) if lat else 0.0
    print(
        f"{result.name:<10} {answered / result.seconds:>8,.0f} req/s {result.events / result.seconds:>8,.0f} {unit}/s"
        f"  ack latency p50 {p(0.50):7.2f} ms  p99 {p(0.99):7.2f} ms  max {lat[-1] if lat else 0:8.2f} ms"
        f"  (due {result.due:,}, acked {answered:,}, errors {result.errors}, mean {mean:.2f} ms)"
    )


def check_spool(spool_dir: Path, acked: list[str]) -> None:
    spool = Spool(spool_dir)
    stored: set[str] = set()
    lines = 0
    for path in spool.closed_files():
        for line in read_spool_file(path):
            lines += 1
            stored.add(line.event["messageId"])
    missing = set(acked) - stored
    files = len(spool.closed_files())
    print(f"spool: {lines:,} lines in {files} closed files; acknowledged and missing: {len(missing)}")
    if missing:
        raise SystemExit(f"FAIL: {len(missing)} acknowledged messageIds are not in the spool")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--track-rate", type=float, default=5500)
    parser.add_argument("--batch-rate", type=float, default=600, help="batch requests per second")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    _pin(1)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    with tempfile.TemporaryDirectory(
        prefix="collect-bench-", dir=ROOT / "data" if (ROOT / "data").is_dir() else None
    ) as tmp:
        spool_dir = Path(tmp) / "spool"
        port = _free_port()
        process = start_collector(spool_dir, port)
        try:
            print(f"cpus {os.cpu_count()}; collector pid {process.pid} on CPU 0; generator on CPU 1; spool {spool_dir}")
            track = asyncio.run(
                run_phase("/v1/track", port, args.track_rate, args.seconds, track_request, args.connections)
            )
            report(track, "events")
            size = args.batch_size
            batch = asyncio.run(
                run_phase(
                    "/v1/batch",
                    port,
                    args.batch_rate,
                    args.seconds,
                    lambda n, sent_at: batch_request(n, size, sent_at),
                    args.connections,
                )
            )
            report(batch, "events")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health") as response:
                health = orjson.loads(response.read())
            print(
                f"group commits: {health['groups']:,} for {health['events']:,} events "
                f"({health['events'] / max(health['groups'], 1):.1f} events per fsync)"
            )
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        check_spool(spool_dir, track.acked_ids + batch.acked_ids)


if __name__ == "__main__":
    main()
