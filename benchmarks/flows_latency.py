"""Flows latency, end to end as a customer would feel it: triggering events POSTed to the collector
(`/v1/batch`, as separate processes run it: collector, flows engine + sender), until the channel's
request arrives at a local signed-webhook receiver.

- event -> channel: seconds from the collector's acknowledgement of the batch holding the event to the
  arrival of its message (goal, issue "Automation flows": p95 <= 5 s, p99 <= 10 s over 10,000 events);
- timer lateness: for a sample of events whose flow waits `--wait` seconds first, arrival minus
  (acknowledgement + wait), an upper bound of how late the timer fired (goal p95 <= 2 s).

Self-contained: a temporary serving store with `--customers` customers (consent granted), temporary
spool and flows store; nothing of data/ is touched.

    .venv/bin/python benchmarks/flows_latency.py --events 10000 --rate 400
"""

import argparse
import base64
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from automation.testing.webhook_inbox import WebhookInbox  # noqa: E402
from realtime.live import free_port  # noqa: E402
from serving.store import apply_changes, connect_writer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WRITE_KEY = "flows-bench-key"
FLOWS = {
    "instant": """\
name: instant
version: 1
trigger: {type: event, event: Order Completed, key: order_id, where: {delayed: false}}
steps:
  - id: hook
    send: {channel: webhook, purpose: marketing, body: "{{ event.order_id }}"}
""",
    "delayed": """\
name: delayed
version: 1
trigger: {type: event, event: Order Completed, key: order_id, where: {delayed: true}}
steps:
  - id: pause
    wait: WAITs
  - id: hook
    send: {channel: webhook, purpose: marketing, body: "{{ event.order_id }}"}
""",
}


class TimedInbox(WebhookInbox):
    """The receiver, noting when each message first arrived."""

    def __init__(self, secret: str) -> None:
        super().__init__(secret)
        self.arrived: dict[str, float] = {}

    def handle(self, method, path, headers, raw):
        reply = super().handle(method, path, headers, raw)
        if reply[0] == 204:
            body = json.loads(raw)["message"]["body"]
            self.arrived.setdefault(body, time.time())
        return reply


def _row(customer_id: str, body) -> tuple[str, str, str]:
    text = json.dumps(body)
    return customer_id, text, hashlib.md5(text.encode()).hexdigest()


def make_store(path: Path, customers: int) -> None:
    conn = connect_writer(path)
    conn.execute("begin")
    ids = [f"c{n}" for n in range(customers)]
    apply_changes(conn, "profiles", [_row(c, {"customer_id": c, "primary_email": f"{c}@example.com"}) for c in ids], [])
    apply_changes(conn, "consents", [_row(c, {"marketing": {"email": True}}) for c in ids], [])
    apply_changes(conn, "identifiers", [("user_id", f"u-{c}", c, "h") for c in ids], [])
    conn.execute("commit")
    conn.close()


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=400.0, help="events per second sent")
    parser.add_argument("--batch", type=int, default=20, help="events per /v1/batch request")
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--delayed-share", type=float, default=0.1, help="share of events whose flow waits")
    parser.add_argument("--wait", type=int, default=3, help="seconds the delayed flow waits")
    parser.add_argument("--rotate-seconds", type=float, default=0.5, help="the collector's spool file age limit")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="flows-bench-"))
    flows_dir = root / "flows"
    flows_dir.mkdir()
    for name, text in FLOWS.items():
        (flows_dir / f"{name}.yml").write_text(text.replace("WAIT", str(args.wait)))
    make_store(root / "serving.sqlite", args.customers)
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    inbox = TimedInbox(secret)
    hook_url = inbox.start()
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CDP_DUCKDB_PATH": str(root / "warehouse.duckdb"),
        "CDP_LANDING_DIR": str(root / "landing"),
        "CDP_SPOOL_DIR": str(root / "spool"),
        "CDP_COLLECT_WRITE_KEYS": f"bench:{WRITE_KEY}",
        "CDP_FLOWS_WEBHOOK_URL": hook_url,
        "CDP_FLOWS_WEBHOOK_SECRET": secret,
    }
    logs = open(root / "processes.log", "ab")  # noqa: SIM115 - closed at the end
    collector = subprocess.Popen(
        [sys.executable, "-m", "realtime.server", "--port", str(port), "--spool-dir", str(root / "spool"),
         "--rotate-seconds", str(args.rotate_seconds)],
        env=env, cwd=ROOT, stdout=logs, stderr=subprocess.STDOUT,
    )  # fmt: skip
    flows = subprocess.Popen(
        [sys.executable, "-m", "automation.runner", "--no-privacy", "--flows-dir", str(flows_dir)],
        env=env, cwd=ROOT, stdout=logs, stderr=subprocess.STDOUT,
    )  # fmt: skip
    session = requests.Session()
    session.auth = (WRITE_KEY, "")
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if session.get(f"{base}/health", timeout=1).ok:
                break
        except requests.RequestException:
            pass
        time.sleep(0.1)
    acked: dict[str, tuple[float, bool]] = {}
    every = args.delayed_share and round(1 / args.delayed_share)
    started = time.time()
    try:
        for first in range(0, args.events, args.batch):
            due = started + first / args.rate
            if due > time.time():
                time.sleep(due - time.time())
            batch = []
            for n in range(first, min(first + args.batch, args.events)):
                delayed = bool(every) and n % every == 0
                batch.append({
                    "type": "track", "event": "Order Completed", "userId": f"u-c{n % args.customers}",
                    "messageId": f"bench-{n}", "properties": {"order_id": f"o{n}", "delayed": delayed},
                })  # fmt: skip
            response = session.post(f"{base}/v1/batch", json={"batch": batch}, timeout=10)
            response.raise_for_status()
            now = time.time()
            for event in batch:
                acked[event["properties"]["order_id"]] = (now, event["properties"]["delayed"])
        sent_for = time.time() - started
        deadline = time.time() + 60 + args.wait
        while len(inbox.arrived) < len(acked) and time.time() < deadline:
            time.sleep(0.2)
    finally:
        for process in (flows, collector):
            process.terminate()
            process.wait(timeout=20)
        inbox.stop()
        logs.close()
    instant = [inbox.arrived[o] - t for o, (t, d) in acked.items() if not d and o in inbox.arrived]
    late = [inbox.arrived[o] - t - args.wait for o, (t, d) in acked.items() if d and o in inbox.arrived]
    missing = len(acked) - len(inbox.arrived)
    print(f"{len(acked):,} events in {sent_for:.1f} s ({len(acked) / sent_for:,.0f}/s), {missing} messages missing")
    print(f"webhook requests {inbox.deliveries:,} for {len(inbox.messages):,} messages")
    for label, values in (("event -> channel", instant), ("timer lateness", late)):
        if values:
            print(
                f"{label}: n={len(values):,} p50 {percentile(values, 50):.2f} s, p95 {percentile(values, 95):.2f} s,"
                f" p99 {percentile(values, 99):.2f} s, max {max(values):.2f} s"
            )
    print(f"(temporary files in {root})")


if __name__ == "__main__":
    main()
