"""`cdp flows status`: per flow, how many entered, are active, exited, converted; sends by outcome and
suppressions by reason (cap, quiet hours, consent, privacy, no address)."""

import sqlite3
from typing import Any

SUPPRESSION_REASONS = ("cap", "quiet_hours", "consent", "privacy", "no_address", "unknown_customer")


def flow_status(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}

    def row(flow: str) -> dict[str, Any]:
        return rows.setdefault(
            flow,
            {
                "flow": flow,
                "entered": 0,
                "active": 0,
                "completed": 0,
                "exited": 0,
                "converted": 0,
                "sent": 0,
                "pending": 0,
                "failed": 0,
                "suppressed": 0,
                **{f"suppressed_{r}": 0 for r in SUPPRESSION_REASONS},
            },
        )

    for flow, status, count in conn.execute("select flow, status, count(*) from entries group by 1, 2").fetchall():
        row(flow)["entered"] += count
        row(flow)[status] += count
    sends = conn.execute("select flow, status, reason, count(*) from outbox group by 1, 2, 3").fetchall()
    for flow, status, reason, count in sends:
        row(flow)[status] += count
        if status == "suppressed":
            row(flow)[f"suppressed_{reason}"] = row(flow).get(f"suppressed_{reason}", 0) + count
    return [rows[name] for name in sorted(rows)]
