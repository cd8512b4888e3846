"""`cdp report`: the overview and segment charts as one self-contained HTML file (Plotly's script inlined),
to send to someone without console access. Aggregates only: no customer-level data, no PII."""

import html
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import plotly.io as pio

from console import charts, store


def write_report(console_store: Path, out: Path) -> Path:
    conn = store.connect(console_store)
    try:
        facts = store.facts(conn)
        figures = list(charts.overview_figures(facts).values())
        for segment, _, _ in facts.get("segments", []):
            figures.append(charts.segment_figure(segment, *_segment_series(conn, segment)))
    finally:
        conn.close()
    parts = []
    for n, figure in enumerate(figures):
        parts.append(pio.to_html(figure, full_html=False, include_plotlyjs=(n == 0), config={"displaylogo": False}))
    matched = 100 * facts.get("records_matched", 0) / (facts.get("source_records") or 1)
    summary = (
        f"{facts.get('customers', 0):,} customers; {facts.get('source_records', 0):,} source records, "
        f"{matched:.1f}% matched to another; data as of the console refresh {facts.get('refreshed_at', '?')}"
    )
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>CDP report</title></head>"
        "<body style='font-family:system-ui,sans-serif;margin:1.5em'>"
        f"<h1>CDP report</h1><p>{html.escape(summary)}</p>"
        f"<p><small>written {datetime.now(UTC).isoformat(timespec='seconds')}</small></p>"
        + "\n".join(f"<div>{part}</div>" for part in parts)
        + "</body></html>"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out


def _segment_series(conn: sqlite3.Connection, segment: str) -> tuple[list[tuple], list[tuple]]:
    sizes = conn.execute(
        "select size_date, members, holdout from segment_sizes where segment = ? order by size_date", [segment]
    ).fetchall()
    moves = conn.execute(
        "select move_date, entered, exited from segment_moves where segment = ? order by move_date", [segment]
    ).fetchall()
    return sizes, moves
