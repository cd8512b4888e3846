"""The live path as `cdp serve` and `cdp demo --live` run it: events POSTed to the collector process,
`cdp serve flows` as its own process, the email arriving in the local SMTP mailbox (the demo's inbox)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from automation.testing.mailbox import Mailbox
from realtime.live import free_port

ROOT = Path(__file__).resolve().parents[2]
KEY = "live-path-key"


def test_cart_abandonment_reaches_the_mailbox_and_an_order_in_time_stops_it(world, tmp_path):
    demo = (ROOT / "flows" / "demo" / "cart_abandonment.yml").read_text()
    world.flow(demo.replace("within: 20s", "within: 2s"))
    world.customer("leaver", first_name="Ann")
    world.customer("buyer", first_name="Bob")
    mailbox = Mailbox(tmp_path / "mailbox")
    host, smtp_port = mailbox.start()
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CDP_DUCKDB_PATH": str(world.root / "warehouse.duckdb"),
        "CDP_LANDING_DIR": str(world.landing),
        "CDP_SPOOL_DIR": str(world.spool_dir),
        "CDP_COLLECT_WRITE_KEYS": f"test:{KEY}",
        "CDP_FLOWS_SMTP": f"{host}:{smtp_port}",
        "CDP_FLOWS_EMAIL_FROM": "shop@shop.example",
    }
    log = open(tmp_path / "processes.log", "ab")  # noqa: SIM115 - closed below
    collector = subprocess.Popen(
        [sys.executable, "-m", "realtime.server", "--port", str(port), "--spool-dir", str(world.spool_dir),
         "--rotate-seconds", "0.3"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    flows = subprocess.Popen(
        [sys.executable, "-m", "cdp.cli", "serve", "flows", "--flows-dir", str(world.flows_dir)],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    session = requests.Session()
    session.auth = (KEY, "")
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if session.get(f"{base}/health", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        for user, event, props in (
            ("leaver", "Product Added", {"cart_id": "k1", "name": "Boots"}),
            ("buyer", "Product Added", {"cart_id": "k2", "name": "Hat"}),
            ("buyer", "Order Completed", {"cart_id": "k2", "order_id": "o2"}),
        ):
            body = {"userId": f"u-{user}", "event": event, "properties": props}
            session.post(f"{base}/v1/track", json=body, timeout=5).raise_for_status()
        deadline = time.time() + 30
        while not mailbox.messages and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # the buyer's message would come at the same time: it must not
    finally:
        for process in (flows, collector):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)
        mailbox.stop()
        log.close()
    assert [(str(m["To"]), str(m["Subject"])) for m in mailbox.messages.values()] == [
        ("leaver@example.com", "Ann, your cart is waiting")
    ], (tmp_path / "processes.log").read_text()[-2000:]
    assert "You left Boots in your cart." in next(iter(mailbox.messages.values())).get_content()
    assert (tmp_path / "mailbox" / "00001.eml").exists() and (tmp_path / "mailbox" / "index.html").exists()
