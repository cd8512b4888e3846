"""Access export: everything the warehouse holds on one person, as one JSON document.

`export_person` expands the identifier through the identity graph (`cdp.privacy.subject`) and writes:

- `identifiers`: every identifier of the person, normalised, and as each source wrote it;
- `source_records`: each source record as loaded (raw row, with its child rows: order lines, refunds);
- `profile` and every other table of `marts` keyed by the person's customer ids (traits, predictions,
  recommendations, segment memberships and their history, consents, timeline, id history);
- `consent_history`: the consent ledger's signals from the person's records;
- `activation`: what was sent where and when (sync log rows joined to their runs).
"""

import json
import logging
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from cdp.config import Settings
from cdp.privacy.erase import RAW_CHILD_KEYS, RAW_RECORD_KEYS
from cdp.privacy.store import base_tables, column_types, has_table, quote_ident
from cdp.privacy.subject import find_subject

log = logging.getLogger(__name__)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _source_records(con: duckdb.DuckDBPyConnection, records: set[tuple[str, str, str]]) -> list[dict[str, Any]]:
    out = []
    by_table: dict[tuple[str, str], list[str]] = {}
    for source, source_table, record_id in records:
        by_table.setdefault((source, source_table), []).append(record_id)
    for (source, source_table), ids in sorted(by_table.items()):
        schema = f"raw_{source}"
        if (source, source_table) not in RAW_RECORD_KEYS:
            continue
        table, key = RAW_RECORD_KEYS[(source, source_table)]
        if not has_table(con, schema, table):
            continue
        existing = {t for _, t in base_tables(con, schema)}
        for row in _rows(
            con,
            f"select * from {quote_ident(schema)}.{quote_ident(table)} where cast({quote_ident(key)} as varchar) "
            "in (select unnest(?::varchar[])) order by 1",
            [sorted(ids)],
        ):
            children: dict[str, list[dict[str, Any]]] = {}
            for child in sorted(t for t in existing if t.startswith(f"{table}__")):
                if "_dlt_root_id" in column_types(con, schema, child) and row.get("_dlt_id"):
                    children[child] = _rows(
                        con,
                        f"select * from {quote_ident(schema)}.{quote_ident(child)} where _dlt_root_id = ?",
                        [row["_dlt_id"]],
                    )
            for child, child_key in RAW_CHILD_KEYS.get((source, source_table), []):
                if child in existing:
                    children[child] = _rows(
                        con,
                        f"select * from {quote_ident(schema)}.{quote_ident(child)} "
                        f"where cast({quote_ident(child_key)} as varchar) = ?",
                        [str(row[key])],
                    )
            out.append(
                {
                    "source": source,
                    "source_table": source_table,
                    "source_record_id": str(row[key]),
                    "record": row,
                    "children": {k: v for k, v in children.items() if v},
                }
            )
    return out


def _customer_tables(con: duckdb.DuckDBPyConnection, customer_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for schema, table in base_tables(con, "marts"):
        columns = [c for c in column_types(con, schema, table) if c in ("customer_id", "old_customer_id")]
        if not columns:
            continue
        where = " or ".join(f"cast({quote_ident(c)} as varchar) in (select unnest(?::varchar[]))" for c in columns)
        rows = _rows(con, f"select * from {schema}.{quote_ident(table)} where {where}", [customer_ids] * len(columns))
        if rows:
            out[f"{schema}.{table}"] = rows
    return out


def build_export(con: duckdb.DuckDBPyConnection, identifier: str) -> dict[str, Any]:
    subject = find_subject(con, identifier)
    ids = sorted(subject.customer_ids)
    document: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(),
        "requested_by": {"kind": subject.kind, "value": subject.value},
        "customer_ids": ids,
        "identifiers": [{"type": t, "value": v} for t, v in sorted(subject.identifiers)],
        "identifiers_as_written": [{"type": t, "value": v} for t, v in sorted(subject.raw_values)],
        "source_records": _source_records(con, subject.source_records),
    }
    tables = _customer_tables(con, ids) if ids else {}
    document["profile"] = (tables.pop("marts.customer_profiles", None) or [None])[0]
    document["tables"] = tables
    document["consent_history"] = []
    if has_table(con, "intermediate", "int_consent_ledger") and subject.source_records:
        keys = sorted(f"{s}/{t}/{r}" for s, t, r in subject.source_records)
        document["consent_history"] = _rows(
            con,
            "select * from intermediate.int_consent_ledger where source || '/' || source_table || '/' || "
            "source_record_id in (select unnest(?::varchar[])) order by signalled_at",
            [keys],
        )
    document["activation"] = []
    if ids and has_table(con, "activation", "sync_changelog"):
        document["activation"] = _rows(
            con,
            """
            select log.sync_name, log.operation, log.status, log.logged_at, runs.started_at as run_started_at,
                log.run_id, log.batch_no
            from activation.sync_changelog as log
            left join activation.sync_runs as runs on log.run_id = runs.run_id
            where log.customer_id in (select unnest(?::varchar[]))
            order by log.logged_at
            """,
            [ids],
        )
    return document


def export_person(settings: Settings, identifier: str, out: Path) -> dict[str, Any]:
    """Write the person's export to `out` (JSON) and return it."""
    con = duckdb.connect(str(settings.duckdb_path))
    try:
        document = build_export(con, identifier)
    finally:
        con.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=1, default=_json_default))
    log.info("wrote an access export of %d source records", len(document["source_records"]))
    return document
