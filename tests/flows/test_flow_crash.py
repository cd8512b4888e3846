"""Crash test: the engine and the sender run as processes and are killed with SIGKILL at random, 50
times, while events flow into the spool. At the end every due message has reached the deduping
destinations (SMTP by Message-ID, webhooks by webhook-id) exactly once, and none is missing."""

import base64
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson

from automation.testing.mailbox import Mailbox
from automation.testing.webhook_inbox import WebhookInbox
from realtime.spool import Spool

ROOT = Path(__file__).resolve().parents[2]
KILLS = 50
CUSTOMERS = 20
FLOW = """\
name: receipt
version: 1
trigger: {type: event, event: Order Completed, key: order_id}
steps:
  - id: mail
    send: {channel: email, purpose: marketing, subject: "Order {{ event.order_id }}", body: "Thanks"}
  - id: pause
    wait: 1s
  - id: hook
    send: {channel: webhook, purpose: marketing, body: "order {{ event.order_id }}"}
"""


def start(role: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "automation.runner", "--role", role, "--no-privacy", "--flows-dir", env["FLOWS"]],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_fifty_kills_of_engine_and_sender_deliver_every_message_exactly_once(world):
    rng = random.Random(10)
    world.flow(FLOW)
    for number in range(CUSTOMERS):
        world.customer(f"c{number}")
    mailbox = Mailbox()
    smtp_host, smtp_port = mailbox.start()
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    inbox = WebhookInbox(secret)
    webhook_url = inbox.start()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FLOWS": str(world.flows_dir),
        "CDP_DUCKDB_PATH": str(world.root / "warehouse.duckdb"),
        "CDP_LANDING_DIR": str(world.landing),
        "CDP_SPOOL_DIR": str(world.spool_dir),
        "CDP_FLOWS_SMTP": f"{smtp_host}:{smtp_port}",
        "CDP_FLOWS_EMAIL_FROM": "shop@shop.example",
        "CDP_FLOWS_WEBHOOK_URL": webhook_url,
        "CDP_FLOWS_WEBHOOK_SECRET": secret,
    }
    spool = Spool(world.spool_dir, rotate_seconds=0.1)
    spool.start()
    log = world.root / "processes.log"
    running = {role: start(role, env, log) for role in ("engine", "sender")}
    orders = 0
    try:
        for _ in range(KILLS):
            batch = []
            for _ in range(rng.randint(1, 8)):
                orders += 1
                world.now = time.time()
                batch.append(world.track(f"c{rng.randrange(CUSTOMERS)}", "Order Completed", order_id=f"o{orders}"))
            spool.submit(b"".join(orjson.dumps(e, option=orjson.OPT_APPEND_NEWLINE) for e in batch), len(batch))
            time.sleep(rng.uniform(0.05, 0.6))
            role = rng.choice(("engine", "sender"))
            running[role].send_signal(signal.SIGKILL)
            running[role].wait()
            running[role] = start(role, env, log)
        spool.stop()
        deadline = time.time() + 40
        while time.time() < deadline:
            pending = world.store.execute("select count(*) from outbox where status != 'sent'").fetchall()[0][0]
            done = world.store.execute("select count(*) from outbox where status = 'sent'").fetchall()[0][0]
            if pending == 0 and done == 2 * orders:
                break
            time.sleep(0.2)
    finally:
        for process in running.values():
            process.send_signal(signal.SIGKILL)
            process.wait()
        mailbox.stop()
        inbox.stop()
    statuses = dict(world.store.execute("select status, count(*) from outbox group by 1").fetchall())
    assert statuses == {"sent": 2 * orders}, (statuses, log.read_text()[-3000:])
    subjects = sorted(str(m["Subject"]) for m in mailbox.messages.values())
    assert subjects == sorted(f"Order o{n}" for n in range(1, orders + 1))  # each order once, none missing
    hooks = sorted(m["message"]["body"] for m in inbox.messages.values())
    assert hooks == sorted(f"order o{n}" for n in range(1, orders + 1))
    assert inbox.rejected == 0
    print(
        f"{orders} orders, {KILLS} kills: {mailbox.deliveries} SMTP deliveries for {len(mailbox.messages)} messages,"
        f" {inbox.deliveries} webhook deliveries for {len(inbox.messages)} messages"
    )
