"""The real-time parts running together: `cdp serve` (collector, loader, profile API as three processes)
and `cdp demo --live`, which replays generated web sessions through the official Segment client into
that stack and measures how fresh the profile API is.

Freshness is measured as a user sees it, from the collector's acknowledgement (the client's `flush`
returned) to the profile API answering with:

- the session's last event on the customer's events (`/v1/profiles/user_id:<id>/events`), which the
  loader's fast path places right after the load;
- the profile's `last_seen_at` trait at that event, which needs the micro-batch dbt run and a publish.

Half of the sessions come from a new browser (a new anonymous id, logged in as the known user): after
the build, that anonymous id must resolve to the same customer through the API (identity stitching).
"""

import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cdp.config import Settings
from cdp.errors import CdpError

# how often the API is polled for each pending session
POLL_S = 0.25


@dataclass(frozen=True)
class Stack:
    collector_url: str
    api_url: str
    write_key: str
    api_token: str
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    log_dir: Path | None = None

    def check(self) -> None:
        """Raise when a part of the stack stopped, with the end of its log."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                tail = ""
                if self.log_dir is not None:
                    log = self.log_dir / f"{name.replace(' ', '_')}.log"
                    tail = "\n".join(log.read_text(errors="replace").splitlines()[-8:]) if log.exists() else ""
                raise CdpError(f"The {name} stopped (exit code {process.returncode}):\n{tail}")


@dataclass(frozen=True)
class Session:
    """A generated browsing session of a known user: its events as the generator wrote them."""

    user_id: str
    events: list[dict[str, Any]]


@dataclass
class Pending:
    session: int
    user_id: str
    anonymous_id: str
    new_browser: bool
    last_timestamp: str  # ISO, milliseconds, UTC
    acked: float  # time.monotonic() when the collector had acknowledged every event
    event_visible: float | None = None
    trait_visible: float | None = None
    stitched: bool | None = None


@dataclass
class LiveReport:
    sessions: int = 0
    events_sent: int = 0
    seconds: float = 0.0
    pending: list[Pending] = field(default_factory=list)
    changes: Counter = field(default_factory=Counter)
    send_errors: list[str] = field(default_factory=list)

    @staticmethod
    def _stats(values: list[float]) -> str:
        if not values:
            return "none"
        values = sorted(values)
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        return f"p50 {statistics.median(values):.1f} s, p95 {p95:.1f} s, max {values[-1]:.1f} s (n={len(values)})"

    def event_latencies(self) -> list[float]:
        return [p.event_visible - p.acked for p in self.pending if p.event_visible is not None]

    def trait_latencies(self) -> list[float]:
        return [p.trait_visible - p.acked for p in self.pending if p.trait_visible is not None]

    def rows(self) -> list[tuple[str, str]]:
        new_browsers = [p for p in self.pending if p.new_browser and p.trait_visible is not None]
        return [
            ("sessions replayed", f"{self.sessions} ({self.events_sent:,} events in {self.seconds:.0f} s)"),
            ("last event visible", self._stats(self.event_latencies())),
            ("trait visible", self._stats(self.trait_latencies())),
            (
                "not visible by the end",
                f"events {sum(p.event_visible is None for p in self.pending)}, "
                f"traits {sum(p.trait_visible is None for p in self.pending)}",
            ),
            ("new browsers stitched", f"{sum(bool(p.stitched) for p in new_browsers)} of {len(new_browsers)}"),
            ("change events", ", ".join(f"{kind} {n}" for kind, n in sorted(self.changes.items())) or "none"),
            *(("send error", e) for e in self.send_errors[:5]),
        ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str | None = None, timeout: float = 5.0) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


def _wait_healthy(url: str, process: subprocess.Popen, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CdpError(f"The {what} stopped while starting (exit code {process.returncode}); see its log")
        try:
            if _get(url, timeout=1.0)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise CdpError(f"The {what} did not answer {url} within {timeout_s:.0f} s")


@contextmanager
def run_stack(
    settings: Settings,
    spool_dir: Path,
    collector_port: int = 8088,
    api_port: int = 8766,
    loader_interval_s: float = 15.0,
    rotate_seconds: float | None = None,
    env: dict[str, str] | None = None,
    log_dir: Path | None = None,
    flows_dir: Path | None = None,
    mailbox_dir: Path | None = None,
) -> Iterator[Stack]:
    """Start the collector, the loader, the profile API and, with `flows_dir`, the automation flows
    (`automation.runner`: engine and sender) as child processes; stop them on exit. With `mailbox_dir`, a
    local SMTP mailbox (`automation.testing.mailbox`) receives the flows' email there.

    Write keys and API tokens come from `env` (else this process's environment): CDP_COLLECT_WRITE_KEYS
    and CDP_PROFILE_API_TOKENS; channels of the flows from CDP_FLOWS_* (docs/flows.md). The serving store
    must exist (`cdp publish`) before the API starts."""
    from serving import publish, store_path

    child_env = {
        **os.environ,
        **(env or {}),
        "CDP_DUCKDB_PATH": str(settings.duckdb_path),
        "CDP_LANDING_DIR": str(settings.landing_dir),
        "CDP_PIPELINES_DIR": str(settings.pipelines_dir),
        "CDP_SPOOL_DIR": str(spool_dir),
    }
    if not store_path(settings).exists():
        publish(settings)
    log_dir = log_dir or settings.duckdb_path.parent / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    commands = {
        "collector": [
            python, "-m", "realtime.server", "--port", str(collector_port), "--spool-dir", str(spool_dir),
            *(["--rotate-seconds", str(rotate_seconds)] if rotate_seconds else []),
        ],
        "profile API": [python, "-m", "cdp.cli", "serve", "profiles", "--port", str(api_port)],
        "loader": [
            python, "-m", "cdp.cli", "serve", "load", "--spool-dir", str(spool_dir),
            "--interval", str(loader_interval_s),
        ],
    }  # fmt: skip
    if mailbox_dir is not None:
        smtp_port = free_port()
        commands["mailbox"] = [
            python, "-m", "automation.testing.mailbox", "--port", str(smtp_port), "--folder", str(mailbox_dir),
        ]  # fmt: skip
        child_env["CDP_FLOWS_SMTP"] = f"127.0.0.1:{smtp_port}"
        child_env.setdefault("CDP_FLOWS_EMAIL_FROM", "shop@localhost")
    if flows_dir is not None:
        commands["flows"] = [
            python, "-m", "automation.runner", "--flows-dir", str(flows_dir), "--spool-dir", str(spool_dir),
        ]  # fmt: skip
    processes: dict[str, subprocess.Popen] = {}
    try:
        for name, command in commands.items():
            log = open(log_dir / f"{name.replace(' ', '_')}.log", "ab")  # noqa: SIM115 (closed with the process)
            processes[name] = subprocess.Popen(
                command, env=child_env, stdout=log, stderr=subprocess.STDOUT, cwd=settings.project_dir
            )
            log.close()
        stack = Stack(
            collector_url=f"http://127.0.0.1:{collector_port}",
            api_url=f"http://127.0.0.1:{api_port}",
            write_key=_first_key(child_env.get("CDP_COLLECT_WRITE_KEYS", "")),
            api_token=child_env.get("CDP_PROFILE_API_TOKENS", "").split(",")[0].strip(),
            processes=processes,
            log_dir=log_dir,
        )
        _wait_healthy(f"{stack.collector_url}/health", processes["collector"], "collector")
        _wait_healthy(f"{stack.api_url}/health", processes["profile API"], "profile API")
        yield stack
    finally:
        for process in processes.values():
            process.terminate()  # SIGTERM: uvicorn finishes requests in flight, the spool closes its file
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _first_key(value: str) -> str:
    first = value.split(",")[0].strip()
    return first.partition(":")[2] or first


def pick_sessions(settings: Settings, count: int, days: int = 30) -> list[Session]:
    """Sessions of identified users from the newest `days` generated web files whose user id the serving
    store knows: the profiles the replay can look up."""
    import sqlite3

    from serving import store_path

    if not store_path(settings).exists():
        raise CdpError(f"No serving store at {store_path(settings)}: run `cdp publish` first")
    known = sqlite3.connect(f"file:{store_path(settings)}?mode=ro", uri=True)
    try:
        users = {v for (v,) in known.execute("select lookup_value from identifiers where identifier_type = 'user_id'")}
    finally:
        known.close()
    files = sorted((settings.landing_dir / "web" / "events").glob("2*.jsonl"))[-days:]
    by_browser: dict[str, list[dict[str, Any]]] = {}
    for path in reversed(files):
        with open(path, "rb") as handle:
            for line in handle:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue  # the generator's deliberately broken lines
                if isinstance(event, dict) and event.get("anonymousId"):
                    by_browser.setdefault(event["anonymousId"], []).append(event)
        sessions = []
        for events in by_browser.values():
            user_ids = {e.get("userId") for e in events} & users
            if user_ids and len(events) >= 3:
                sessions.append(Session(sorted(user_ids)[0], events[:30]))
        if len(sessions) >= count:
            break
    return sessions[:count]


def _send(client: Any, session: Session, anonymous_id: str) -> str:
    """Replay a session now, logged in as its user from `anonymous_id`; returns the last timestamp sent."""
    stamp = ""
    for event in session.events:
        moment = datetime.now(UTC)
        stamp = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        common = {
            "context": {k: v for k, v in (event.get("context") or {}).items() if k in ("page", "locale", "campaign")},
            "timestamp": moment,
            "anonymous_id": anonymous_id,
        }
        kind = event.get("type")
        if kind == "identify":
            client.identify(session.user_id, traits=event.get("traits") or {}, **common)
        elif kind in ("page", "screen"):
            client.page(session.user_id, name=event.get("name"), properties=event.get("properties") or {}, **common)
        else:
            name = event.get("event") or "Live Demo Event"
            client.track(session.user_id, name, properties=event.get("properties") or {}, **common)
    return stamp


def _poll(stack: Stack, report: LiveReport, stop: threading.Event) -> None:
    """Check every pending session against the API until it is visible, and read the change events."""
    after = _get(f"{stack.api_url}/v1/changes?limit=1000&after=0", stack.api_token)[1] or {}
    after_seq = after.get("next_after", 0)
    while True:
        stopping = stop.is_set()
        for p in list(report.pending):
            base = f"{stack.api_url}/v1/profiles/user_id:{p.user_id}"
            if p.event_visible is None:
                status, body = _get(f"{base}/events?limit=10", stack.api_token)
                # the collector moves a timestamp by the client's send delay (clock-skew correction): the
                # stored one is at or a few milliseconds after the one sent
                if status == 200 and any(i["occurred_at"][:23] >= p.last_timestamp[:23] for i in body["items"]):
                    p.event_visible = time.monotonic()
            if p.trait_visible is None:
                status, body = _get(f"{base}?fields=last_seen_at,customer_id", stack.api_token)
                if status == 200 and (body["traits"].get("last_seen_at") or "")[:23] >= p.last_timestamp[:23]:
                    p.trait_visible = time.monotonic()
                    if p.new_browser:
                        status, other = _get(
                            f"{stack.api_url}/v1/profiles/anonymous_id:{p.anonymous_id}", stack.api_token
                        )
                        p.stitched = status == 200 and other["customer_id"] == body["customer_id"]
        while True:
            status, page = _get(f"{stack.api_url}/v1/changes?limit=1000&after={after_seq}", stack.api_token)
            if status != 200 or not page["items"]:
                break
            report.changes.update(item["change_type"] for item in page["items"])
            after_seq = page["next_after"]
        if stopping:
            return
        stop.wait(POLL_S)


def replay(
    stack: Stack,
    sessions: list[Session],
    seconds: float,
    settle_s: float = 60.0,
    on_progress: Callable[[str], None] | None = None,
) -> LiveReport:
    """Send a session every `seconds / len(sessions)` seconds through the official Segment client, then
    wait up to `settle_s` for the last ones to become visible."""
    from segment.analytics.client import Client

    report = LiveReport()
    client = Client(
        write_key=stack.write_key,
        host=stack.collector_url,
        on_error=lambda error, batch: report.send_errors.append(str(error)),
        upload_interval=0.05,
    )
    stop = threading.Event()
    poller = threading.Thread(target=_poll, args=(stack, report, stop), daemon=True)
    poller.start()
    started = time.monotonic()
    gap = seconds / max(1, len(sessions))
    try:
        for n, session in enumerate(sessions):
            new_browser = n % 2 == 1
            anonymous_id = str(uuid.uuid4()) if new_browser else session.events[0]["anonymousId"]
            last = _send(client, session, anonymous_id)
            client.flush()  # returns when the collector has acknowledged (made durable) every event
            report.pending.append(Pending(n, session.user_id, anonymous_id, new_browser, last, time.monotonic()))
            stack.check()
            report.sessions += 1
            report.events_sent += len(session.events)
            if on_progress:
                on_progress(f"session {n + 1}/{len(sessions)} sent ({len(session.events)} events)")
            time.sleep(max(0.0, started + (n + 1) * gap - time.monotonic()))
        report.seconds = time.monotonic() - started
        deadline = time.monotonic() + settle_s
        while time.monotonic() < deadline and any(p.trait_visible is None for p in report.pending):
            stack.check()
            time.sleep(0.5)
    finally:
        stop.set()
        poller.join(timeout=30)
        client.shutdown()
    return report


def live_env() -> dict[str, str]:
    """A write key and an API token for one live demo, never printed."""
    return {
        "CDP_COLLECT_WRITE_KEYS": f"live-demo:{secrets.token_urlsafe(18)}",
        "CDP_PROFILE_API_TOKENS": secrets.token_urlsafe(24),
    }


def profile_summary(stack: Stack, user_id: str) -> list[str]:
    """A profile looked up through the API, without contact details: traits, segments, newest events."""
    base = f"{stack.api_url}/v1/profiles/user_id:{user_id}"
    fields = "customer_id,orders_count,lifetime_revenue_eur,favourite_category,loyalty_tier,last_seen_at"
    _, profile = _get(f"{base}?fields={fields}", stack.api_token)
    _, segments = _get(f"{base}/segments", stack.api_token)
    _, events = _get(f"{base}/events?limit=3", stack.api_token)
    if not profile:
        return [f"no profile for user_id {user_id}"]
    lines = [f"GET /v1/profiles/user_id:<id> -> {profile['customer_id']}"]
    lines += [f"  {k}: {v}" for k, v in profile["traits"].items() if k != "customer_id"]
    lines.append("  segments: " + (", ".join(s["segment"] for s in (segments or {}).get("items", [])) or "none"))
    for e in (events or {}).get("items", []):
        lines.append(f"  event {e['occurred_at']} {e['event_type']} {e.get('event_description') or ''}")
    return lines
