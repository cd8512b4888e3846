"""Flow entries and sends into the warehouse (`raw_flows.flow_entries`, `raw_flows.flow_sends`) with dlt,
for reporting next to the rest of the customer data. No message bodies, addresses or trigger properties
leave the flows store: the sends carry flow, step, customer, channel, status, reason and error only.

Both resources merge on their key (a row changes: a send goes from pending to sent, an entry converts)
and read incrementally on the time the row last changed.
"""

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt

from automation.store import flows_store_path
from cdp.config import Settings

DATASET = "raw_flows"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _at(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _rows(path: Path, sql: str, since: datetime) -> Iterator[dict[str, Any]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = conn.execute(sql, [since.timestamp()])
        names = [c[0] for c in cursor.description]
        for row in cursor:
            yield dict(zip(names, row, strict=True))
    finally:
        conn.close()


@dlt.source(name="flows")
def flows_source(store: Path) -> Any:
    @dlt.resource(name="flow_entries", primary_key="entry_id", write_disposition="merge")
    def flow_entries(
        updated_at=dlt.sources.incremental("updated_at", initial_value=EPOCH, lag=60),
    ) -> Iterator[dict[str, Any]]:
        """Merge: an entry's status changes (active -> completed, converted, exited)."""
        sql = (
            "select entry_id, flow, version, customer_id, entry_key, occurrence, status, step, entered_at,"
            " updated_at, exit_reason from entries where updated_at >= ? order by updated_at"
        )
        for row in _rows(store, sql, updated_at.last_value):
            yield {**row, "entered_at": _at(row["entered_at"]), "updated_at": _at(row["updated_at"])}

    @dlt.resource(name="flow_sends", primary_key="firing_id", write_disposition="merge")
    def flow_sends(
        changed_at=dlt.sources.incremental("changed_at", initial_value=EPOCH, lag=60),
    ) -> Iterator[dict[str, Any]]:
        """Merge: a send changes from pending to sent or failed."""
        sql = (
            "select firing_id, flow, version, step, customer_id, channel, status, reason, error, attempts,"
            " created_at, settled_at, max(created_at, coalesce(settled_at, 0), due_at) as changed_at from outbox"
            " where max(created_at, coalesce(settled_at, 0), due_at) >= ? order by changed_at"
        )
        for row in _rows(store, sql, changed_at.last_value):
            yield {
                **row,
                "created_at": _at(row["created_at"]),
                "settled_at": _at(row["settled_at"]),
                "changed_at": _at(row["changed_at"]),
            }

    return flow_entries, flow_sends


def export_to_warehouse(settings: Settings) -> dict[str, int]:
    """Load what changed since the last export; returns rows per table."""
    store = flows_store_path(settings)
    if not store.exists():
        return {}
    pipeline = dlt.pipeline(
        pipeline_name="cdp_flows",
        destination=dlt.destinations.duckdb(str(settings.duckdb_path)),
        dataset_name=DATASET,
        pipelines_dir=str(settings.pipelines_dir),
    )
    info = pipeline.run(flows_source(store))
    counts = pipeline.last_trace.last_normalize_info.row_counts if pipeline.last_trace else {}
    del info
    return {k: v for k, v in counts.items() if not k.startswith("_dlt")}
