"""Retention: raw records older than their source's retention period are deleted.

Periods are set per source in `dbt_project.yml` (var `cdp_retention_days`, days; a source not listed is
kept). Each raw table names the timestamp that dates its records (`RETENTION_COLUMNS`); a record whose
timestamp is older than `as_of - days` goes, with its child rows and its copy in dlt's merge staging
dataset. `cdp privacy retention` runs it (and `cdp run`, before the build), then dbt rebuilds the marts.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import yaml

from cdp.config import Settings
from cdp.privacy.erase import RAW_RECORD_KEYS, delete_raw_rows
from cdp.privacy.store import column_types, quote_ident

# (source, raw table) -> the column that dates a record
RETENTION_COLUMNS: dict[tuple[str, str], str] = {
    ("web", "events"): "timestamp",
    ("esp", "events"): "occurred_at",
    ("esp", "subscribers"): "updated_at",
    ("support", "tickets"): "updated_at",
    ("shop", "orders"): "created_at",
    ("shop", "customers"): "updated_at",
    ("pos", "receipts"): "created_at",
    ("crm", "contacts"): "updated_at",
    ("loyalty", "members"): "updated_at",
}


def retention_days(project_dir: Path) -> dict[str, int]:
    """The `cdp_retention_days` var of the dbt project: source -> days."""
    project = yaml.safe_load((project_dir / "dbt_project.yml").read_text())
    configured = (project.get("vars") or {}).get("cdp_retention_days") or {}
    return {str(source): int(days) for source, days in configured.items() if days is not None}


@dataclass
class RetentionResult:
    cutoffs: dict[str, datetime]
    deleted: dict[str, int]


# (source, raw table) -> its key column
_RAW_KEYS = {(source, table): key for (source, _), (table, key) in RAW_RECORD_KEYS.items()}


def apply_retention(
    settings: Settings, as_of: datetime | None = None, days: dict[str, int] | None = None
) -> RetentionResult:
    """Delete expired raw records; rows deleted per table."""
    as_of = as_of or datetime.now(UTC)
    days = retention_days(settings.project_dir) if days is None else days
    cutoffs = {source: as_of - timedelta(days=n) for source, n in days.items()}
    deleted: dict[str, int] = {}
    if not settings.duckdb_path.exists():
        return RetentionResult(cutoffs, deleted)
    con = duckdb.connect(str(settings.duckdb_path))
    try:
        for (source, table), column in sorted(RETENTION_COLUMNS.items()):
            if source not in cutoffs or column not in column_types(con, f"raw_{source}", table):
                continue
            expired = f"try_cast({quote_ident(column)} as timestamptz) < ?"
            key = _RAW_KEYS[(source, table)]
            deleted.update(delete_raw_rows(con, source, table, key, expired, [cutoffs[source]]))
    finally:
        con.close()
    return RetentionResult(cutoffs, {k: v for k, v in deleted.items() if v})
