"""How fresh the profile API is, measured as a user sees it: web sessions sent through the official
Segment client into the running stack (collector, loader and profile API as separate processes, as
`cdp serve` runs them), and the API polled until each session shows.

For each session: seconds from the collector's acknowledgement (the client's flush returned) until

- its last event is in `/v1/profiles/user_id:<id>/events` (the loader's fast path, right after the load);
- the profile's `last_seen_at` trait is at that event (the micro-batch dbt run, then a publish);

and, for sessions from a new browser, whether the new anonymous id resolves to the same customer.
Also prints the change events the publishes recorded and the loader's batch timings.

Works on an existing demo installation (CDP_DATA_DIR, default data/; run `cdp demo` first).
Goals (issue "Real time"): last event visible p95 <= 20 s; traits and segment changes p95 <= 120 s.

    .venv/bin/python benchmarks/freshness.py --seconds 120 --sessions 60
"""

import argparse
import re
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cdp.config import Settings  # noqa: E402
from realtime.live import free_port, live_env, pick_sessions, replay, run_stack  # noqa: E402
from serving import publish, store_path  # noqa: E402

BATCH_LINE = re.compile(r"batch: (\d+) files, ([\d,]+) rows in ([\d.]+)s(?:, build ([\d.]+)s)?")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="how long sessions are sent")
    parser.add_argument("--sessions", type=int, default=60)
    parser.add_argument("--loader-interval", type=float, default=1.0)
    parser.add_argument("--rotate-seconds", type=float, default=1.0, help="the collector's spool file age limit")
    args = parser.parse_args()
    settings = Settings.from_env()
    if not store_path(settings).exists():
        publish(settings)
    sessions = pick_sessions(settings, args.sessions)
    print(f"warehouse {settings.duckdb_path}: replaying {len(sessions)} sessions over {args.seconds:g} s")
    logs = Path(tempfile.mkdtemp(prefix="freshness-logs-"))
    spool = Path(tempfile.mkdtemp(prefix="freshness-spool-"))
    with run_stack(
        settings,
        spool,
        free_port(),
        free_port(),
        loader_interval_s=args.loader_interval,
        rotate_seconds=args.rotate_seconds,
        env=live_env(),
        log_dir=logs,
    ) as stack:
        report = replay(stack, sessions, args.seconds, settle_s=120.0)
    for name, value in report.rows():
        print(f"{name:<24} {value}")
    batches = [m for m in BATCH_LINE.finditer((logs / "loader.log").read_text()) if int(m.group(1))]
    if batches:
        loads = [float(m.group(3)) for m in batches]
        builds = [float(m.group(4)) for m in batches if m.group(4)]
        line = f"{'loader batches':<24} {len(batches)} with files; load p50 {statistics.median(loads):.1f} s"
        if builds:
            line += f", micro-batch dbt run p50 {statistics.median(builds):.1f} s, max {max(builds):.1f} s"
        print(line)
    print(f"logs in {logs}")


if __name__ == "__main__":
    main()
