"""`cdp serve flows`: the engine and the sender as one process (threads), or each alone
(`python -m automation.runner --role engine|sender`), configured from the environment.

Channels are built from what is set (a channel without settings is not configured, and its sends fail
with that reason):
    CDP_FLOWS_SMTP=host:port  CDP_FLOWS_EMAIL_FROM=shop@example.com [CDP_FLOWS_SMTP_USER, _PASSWORD, _STARTTLS=1]
    CDP_FLOWS_WEBHOOK_URL  CDP_FLOWS_WEBHOOK_SECRET=whsec_...
    CDP_FLOWS_SMS_URL  CDP_FLOWS_SMS_ACCOUNT_SID  CDP_FLOWS_SMS_AUTH_TOKEN  CDP_FLOWS_SMS_FROM=+31...
    CDP_FLOWS_VAPID_PRIVATE_KEY (base64url)  CDP_FLOWS_VAPID_SUBJECT=mailto:ops@example.com
"""

import argparse
import logging
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from automation.channels.base import Channel
from automation.channels.email import EmailChannel
from automation.channels.onsite import OnsiteChannel
from automation.channels.push import PushChannel
from automation.channels.sms import SmsChannel
from automation.channels.webhook import WebhookChannel
from automation.definitions import Flow, load_folder
from automation.delivery import Sender
from automation.engine import Engine
from automation.errors import FlowError
from automation.privacy import PrivacyList
from automation.sources import Catalogue, Customers, SpoolReader
from automation.store import connect, flows_store_path
from cdp.config import Settings
from realtime.config import default_spool_dir
from serving.store import connect_reader, store_path

log = logging.getLogger(__name__)
DEFAULT_FLOWS_DIR = Path("flows")


def channels_from_env(
    env: Mapping[str, str], store: sqlite3.Connection, serving_store: Path | None = None
) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    if serving_store is not None:  # on-site needs no configuration: it writes where the profile API reads
        channels["onsite"] = OnsiteChannel(serving_store)
    if env.get("CDP_FLOWS_SMTP"):
        host, _, port = env["CDP_FLOWS_SMTP"].rpartition(":")
        channels["email"] = EmailChannel(
            host or "127.0.0.1",
            int(port),
            env.get("CDP_FLOWS_EMAIL_FROM", "shop@localhost"),
            username=env.get("CDP_FLOWS_SMTP_USER"),
            password=env.get("CDP_FLOWS_SMTP_PASSWORD"),
            starttls=env.get("CDP_FLOWS_SMTP_STARTTLS") == "1",
        )
    if env.get("CDP_FLOWS_WEBHOOK_URL"):
        if not env.get("CDP_FLOWS_WEBHOOK_SECRET"):
            raise FlowError("CDP_FLOWS_WEBHOOK_URL is set without CDP_FLOWS_WEBHOOK_SECRET (whsec_...)")
        channels["webhook"] = WebhookChannel(env["CDP_FLOWS_WEBHOOK_URL"], env["CDP_FLOWS_WEBHOOK_SECRET"])
    if env.get("CDP_FLOWS_SMS_URL"):
        missing = [
            v for v in ("CDP_FLOWS_SMS_ACCOUNT_SID", "CDP_FLOWS_SMS_AUTH_TOKEN", "CDP_FLOWS_SMS_FROM") if not env.get(v)
        ]
        if missing:
            raise FlowError(f"CDP_FLOWS_SMS_URL is set without {', '.join(missing)}")
        channels["sms"] = SmsChannel(
            env["CDP_FLOWS_SMS_URL"],
            env["CDP_FLOWS_SMS_ACCOUNT_SID"],
            env["CDP_FLOWS_SMS_AUTH_TOKEN"],
            env["CDP_FLOWS_SMS_FROM"],
        )
    if env.get("CDP_FLOWS_VAPID_PRIVATE_KEY"):
        channels["web_push"] = PushChannel(
            store, env["CDP_FLOWS_VAPID_PRIVATE_KEY"], env.get("CDP_FLOWS_VAPID_SUBJECT", "mailto:ops@localhost")
        )
    return channels


def purposes(flows: list[Flow]) -> dict[tuple[str, str], str]:
    return {(f.name, s.id): s.spec.get("purpose", "marketing") for f in flows for s in f.steps if s.kind == "send"}


def _wait_for_store(path: Path, stop: threading.Event) -> sqlite3.Connection | None:
    while not stop.is_set():
        if path.exists():
            return connect_reader(path)
        log.info("waiting for the serving store %s (cdp publish)", path)
        stop.wait(1.0)
    return None


def serve_flows(
    settings: Settings,
    flows_dir: Path = DEFAULT_FLOWS_DIR,
    spool_dir: Path | None = None,
    role: str = "all",
    stop: threading.Event | None = None,
    env: Mapping[str, str] | None = None,
    privacy: bool = True,
    settle_s: float = 1.0,
) -> None:
    """Run until `stop` is set (or SIGTERM/SIGINT when run as the main thread)."""
    stop = stop or threading.Event()
    env = os.environ if env is None else env
    flows, policy = load_folder(flows_dir)
    flows_store = flows_store_path(settings)
    serving = _wait_for_store(store_path(settings), stop)
    if serving is None:
        return
    customers = Customers(serving)
    threads = []
    if role in ("all", "engine"):
        engine = Engine(
            connect(flows_store),
            flows,
            policy,
            customers,
            time.time,
            spool=SpoolReader(spool_dir or default_spool_dir(settings), settings.landing_dir),
            catalogue=Catalogue(settings.landing_dir / "catalog" / "products.json"),
            is_suppressed=PrivacyList(settings.duckdb_path) if privacy else None,
            settle_s=settle_s,
        )
        engine.seed_inactivity()  # customers lapsed before the engine first ran
        threads.append(threading.Thread(target=engine.run, args=(stop,), name="flows-engine", daemon=True))
    if role in ("all", "sender"):
        sender_store = connect(flows_store)
        sender = Sender(
            sender_store,
            channels_from_env(env, sender_store, store_path(settings)),
            time.time,
            Customers(connect_reader(store_path(settings))),
            purposes(flows),
        )
        threads.append(threading.Thread(target=sender.run, args=(stop,), name="flows-sender", daemon=True))
    for thread in threads:
        thread.start()
    log.info("flows %s running: %s flows from %s, store %s", role, len(flows), flows_dir, flows_store)
    try:
        while any(t.is_alive() for t in threads) and not stop.is_set():
            stop.wait(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the flows engine and/or sender.")
    parser.add_argument("--role", choices=("all", "engine", "sender"), default="all")
    parser.add_argument("--flows-dir", type=Path, default=DEFAULT_FLOWS_DIR)
    parser.add_argument("--spool-dir", type=Path, default=None)
    parser.add_argument("--no-privacy", action="store_true", help="Do not read the warehouse's suppression list.")
    parser.add_argument(
        "--settle-seconds",
        type=float,
        default=1.0,
        help="Absence timers wait this long for late events (spool rotation).",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    serve_flows(
        Settings.from_env(),
        args.flows_dir,
        args.spool_dir,
        args.role,
        stop,
        privacy=not args.no_privacy,
        settle_s=args.settle_seconds,
    )


if __name__ == "__main__":
    main()
