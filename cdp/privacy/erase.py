"""Delete one person from every place this installation keeps data, down to the bytes of the files.

The steps, in order (each returns how many rows or files it changed, for the request log):

1. `delete_raw_records`: the person's source records from the raw dlt tables, by each table's key,
   with their child tables (`_dlt_root_id`) and dlt's merge staging twins (`raw_<source>_staging`).
2. `sweep_values`: every other row of every warehouse table that still holds one of the person's
   emails, phones, ids or customer ids (quarantined payloads, identity registry, segment history,
   sync state and logs, ...). Derived tables are rebuilt by dbt afterwards; the incremental ones
   (registry, id history, segment history) keep only what this sweep left.
3. `scrub_landing`: landing files (JSONL, CSV, JSON arrays, the POS SQLite database) rewritten without
   the person's records.
4. `scrub_dlt_folders`: dlt's loaded packages lose their data files (new loads delete them anyway);
   pending packages are checked and reported.
5. `compact_warehouse`: the DuckDB file is copied table by table into a new file that replaces it, so
   no freed block of the old file keeps a deleted value.
"""

import gzip
import json
import logging
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cdp.privacy.store import base_tables, column_types, quote_ident
from cdp.privacy.subject import Subject

log = logging.getLogger(__name__)

# (source, source_table of customer_source_records) -> (raw table, key column)
RAW_RECORD_KEYS: dict[tuple[str, str], tuple[str, str]] = {
    ("shop", "customers"): ("customers", "id"),
    ("shop", "orders"): ("orders", "id"),
    ("web", "events"): ("events", "message_id"),
    ("pos", "receipts"): ("receipts", "receipt_id"),
    ("crm", "contacts"): ("contacts", "contact_id"),
    ("esp", "subscribers"): ("subscribers", "subscriber_id"),
    ("esp", "events"): ("events", "event_id"),
    ("support", "tickets"): ("tickets", "id"),
    ("loyalty", "members"): ("members", "card_number"),
    ("social", "leads"): ("leads", "lead_id"),
}
# (source, raw table) -> child tables that point at their parent by a column, not dlt's `_dlt_root_id`.
RAW_CHILD_KEYS: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("pos", "receipts"): [("receipt_lines", "receipt_id")],
}
# Schemas a sweep never touches: reference data and the privacy log itself (which holds no PII).
_UNSWEPT_SCHEMAS = ("reference", "privacy", "information_schema", "pg_catalog")
# Values shorter than this are never swept by substring: they could be part of anyone's text.
_MIN_SUBSTRING = 8


def delete_raw_rows(
    con: duckdb.DuckDBPyConnection, source: str, table: str, key: str, condition: str, params: list
) -> dict[str, int]:
    """Delete the rows of raw table `table` of `source` matching `condition` (SQL on its columns, with
    `params`), in the raw dataset and in dlt's merge staging copy, children first: dlt's nested tables by
    `_dlt_root_id`, others (RAW_CHILD_KEYS) by their parent's `key`. Rows deleted per table."""
    deleted: dict[str, int] = {}
    for schema in (f"raw_{source}", f"raw_{source}_staging"):
        existing = {t for _, t in base_tables(con, schema)}
        if table not in existing:
            continue
        parent = f"{quote_ident(schema)}.{quote_ident(table)}"
        children = []
        if "_dlt_id" in column_types(con, schema, table):
            children += [
                (child, "_dlt_root_id", "_dlt_id")
                for child in sorted(existing)
                if child.startswith(f"{table}__") and "_dlt_root_id" in column_types(con, schema, child)
            ]
        children += [(child, child_key, key) for child, child_key in RAW_CHILD_KEYS.get((source, table), [])]
        for child, child_column, parent_column in children:
            if child not in existing:
                continue
            (n,) = con.execute(
                f"delete from {quote_ident(schema)}.{quote_ident(child)} where {quote_ident(child_column)} in "
                f"(select {quote_ident(parent_column)} from {parent} where {condition})",
                params,
            ).fetchone()
            deleted[f"{schema}.{child}"] = n
        (n,) = con.execute(f"delete from {parent} where {condition}", params).fetchone()
        deleted[f"{schema}.{table}"] = n
    return deleted


def delete_raw_records(con: duckdb.DuckDBPyConnection, subject: Subject) -> dict[str, int]:
    """Delete the subject's source records, their children and staging copies; rows per table."""
    deleted: dict[str, int] = {}
    by_table: dict[tuple[str, str], list[str]] = {}
    for source, source_table, record_id in subject.source_records:
        by_table.setdefault((source, source_table), []).append(record_id)
    for (source, source_table), ids in sorted(by_table.items()):
        if (source, source_table) not in RAW_RECORD_KEYS:
            continue
        table, key = RAW_RECORD_KEYS[(source, source_table)]
        condition = f"cast({quote_ident(key)} as varchar) in (select unnest(?::varchar[]))"
        for name, n in delete_raw_rows(con, source, table, key, condition, [ids]).items():
            deleted[name] = deleted.get(name, 0) + n
    return {k: v for k, v in deleted.items() if v}


# Identifier types other people may share (a family's phone, a kiosk's browser): a value of these types
# found in someone else's record is cut out of it, the record stays.
_SHARED_TYPES = ("phone", "anonymous_id", "device_id")


@dataclass(frozen=True)
class SweepValues:
    """What the sweeps look for, beyond the person's own records (already deleted by key):

    - `exact`: ids and keys (customer ids, record keys, `type:value` node keys, non-shared identifier
      values): a derived row holding one is the person's;
    - `drop`: emails: a landing line or quarantined payload holding one is the person's record;
    - `redact`: every written value (emails, phones, cookie and device ids): cut out of any other text.
    """

    exact: tuple[str, ...]
    drop: tuple[str, ...]
    redact: tuple[str, ...]

    @classmethod
    def of(cls, subject: Subject) -> "SweepValues":
        identifiers = subject.all_identifiers()
        exact = {v for t, v in identifiers if v and t not in _SHARED_TYPES}
        exact |= subject.customer_ids
        exact |= {f"{s}/{t}/{r}" for s, t, r in subject.source_records}
        exact |= {f"{t}:{v}" for t, v in subject.identifiers}
        drop = {e for e in subject.emails if len(e) >= _MIN_SUBSTRING}
        redact = set(drop)
        redact |= {v for t, v in identifiers if t == "phone" and v and len(v) >= _MIN_SUBSTRING}
        redact |= {v for t, v in identifiers if t in ("anonymous_id", "device_id") and v and len(v) >= 16}
        return cls(tuple(sorted(exact)), tuple(sorted(drop)), tuple(sorted(redact, key=lambda v: (-len(v), v))))

    @property
    def empty(self) -> bool:
        return not (self.exact or self.drop or self.redact)

    def pattern(self) -> str:
        """One regular expression matching any value to redact (longest first)."""
        return "|".join(re.escape(v) for v in self.redact)

    def drops(self, text: str) -> bool:
        lowered = text.lower()
        return any(d in lowered for d in self.drop) or text in self.exact

    def found_in(self, text: str) -> bool:
        lowered = text.lower()
        return self.drops(text) or any(v.lower() in lowered for v in self.redact)

    def redacted(self, text: str) -> str:
        return re.sub(self.pattern(), "", text, flags=re.IGNORECASE) if self.redact else text


def _text_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str]:
    return {c: kind for c, kind in column_types(con, schema, table).items() if kind in ("VARCHAR", "JSON")}


def _hit_condition(columns: dict[str, str], values: SweepValues, with_exact: bool) -> tuple[str, list]:
    conditions, params = [], []
    for column in columns:
        col = f"cast({quote_ident(column)} as varchar)"
        if with_exact and values.exact:
            conditions.append(f"{col} in (select unnest(?::varchar[]))")
            params.append(list(values.exact))
        if values.redact:
            conditions.append(f"regexp_matches({col}, ?, 'i')")
            params.append(values.pattern())
    return " or ".join(conditions), params


def sweep_values(con: duckdb.DuckDBPyConnection, values: SweepValues) -> tuple[dict[str, int], dict[str, int]]:
    """After the person's own records are gone: delete the derived rows (outside `raw_*`) and quarantined
    payloads that hold one of their values, and cut their values out of every other raw row (someone
    else's record that shares their phone or device). Returns (rows deleted, rows redacted) per table."""
    deleted: dict[str, int] = {}
    redacted: dict[str, int] = {}
    if values.empty:
        return deleted, redacted
    tables = [(s, t) for s, t in base_tables(con, "%") if s not in _UNSWEPT_SCHEMAS and not t.startswith("_dlt_")]
    for schema, table in tables:
        columns = _text_columns(con, schema, table)
        if not columns:
            continue
        relation = f"{quote_ident(schema)}.{quote_ident(table)}"
        name = f"{schema}.{table}"
        if not schema.startswith("raw_") or table == "_quarantine":
            where, params = _hit_condition(columns, values, with_exact=not schema.startswith("raw_"))
            if not where:
                continue
            (n,) = con.execute(f"delete from {relation} where {where}", params).fetchone()
            if n:
                deleted[name] = n
            continue
        if not values.redact:
            continue
        sets = []
        for column, kind in columns.items():
            expression = f"regexp_replace(cast({quote_ident(column)} as varchar), $pattern, '', 'gi')"
            sets.append(f"{quote_ident(column)} = " + (f"cast({expression} as json)" if kind == "JSON" else expression))
        where_named = " or ".join(f"regexp_matches(cast({quote_ident(c)} as varchar), $pattern, 'i')" for c in columns)
        (n,) = con.execute(
            f"update {relation} set {', '.join(sets)} where {where_named}", {"pattern": values.pattern()}
        ).fetchone()
        if n:
            redacted[name] = n
    return deleted, redacted


def delete_customer_rows(con: duckdb.DuckDBPyConnection, customer_ids: set[str]) -> dict[str, int]:
    """Delete the rows of every derived table that belong to one of `customer_ids` (any column whose name
    ends in `customer_id`: the registry's previous id, the id history's old id...)."""
    deleted: dict[str, int] = {}
    if not customer_ids:
        return deleted
    ids = sorted(customer_ids)
    for schema, table in base_tables(con, "%"):
        if schema in _UNSWEPT_SCHEMAS or schema.startswith("raw_"):
            continue
        columns = [c for c, kind in column_types(con, schema, table).items() if c.endswith("customer_id")]
        if not columns:
            continue
        where = " or ".join(f"cast({quote_ident(c)} as varchar) in (select unnest(?::varchar[]))" for c in columns)
        (n,) = con.execute(
            f"delete from {quote_ident(schema)}.{quote_ident(table)} where {where}", [ids] * len(columns)
        ).fetchone()
        if n:
            deleted[f"{schema}.{table}"] = n
    return deleted


def delete_source_record_rows(con: duckdb.DuckDBPyConnection, subject: Subject) -> dict[str, int]:
    """Delete the rows of every derived table keyed on one of the subject's source records (columns
    `source`, `source_table`, `source_record_id`): the consent ledger, which outlives rebuilds, and others."""
    deleted: dict[str, int] = {}
    if not subject.source_records:
        return deleted
    keys = sorted(f"{s}/{t}/{r}" for s, t, r in subject.source_records)
    for schema, table in base_tables(con, "%"):
        if schema in _UNSWEPT_SCHEMAS or schema.startswith("raw_"):
            continue
        if not {"source", "source_table", "source_record_id"} <= set(column_types(con, schema, table)):
            continue
        (n,) = con.execute(
            f"delete from {quote_ident(schema)}.{quote_ident(table)} where source || '/' || source_table || '/' || "
            "cast(source_record_id as varchar) in (select unnest(?::varchar[]))",
            [keys],
        ).fetchone()
        if n:
            deleted[f"{schema}.{table}"] = n
    return deleted


def _rewrite_lines(path: Path, values: SweepValues) -> int:
    with path.open("rb") as handle:
        lines = handle.readlines()
    kept, changed = [], 0
    for line in lines:
        text = line.decode("utf-8", "replace")
        if values.drops(text):
            changed += 1
            continue
        if values.found_in(text):
            changed += 1
            line = values.redacted(text).encode()
        kept.append(line)
    if changed:
        _replace_file(path, b"".join(kept))
    return changed


def _rewrite_json_array(path: Path, values: SweepValues) -> int:
    text = path.read_text()
    if not values.found_in(text):
        return 0
    data = json.loads(text)
    if isinstance(data, dict):  # an envelope such as {"tickets": [...]}: filter each list in it
        removed = 0
        for key, items in data.items():
            if isinstance(items, list):
                kept = [i for i in items if not values.drops(json.dumps(i))]
                removed += len(items) - len(kept)
                data[key] = kept
    else:
        kept = [i for i in data if not values.drops(json.dumps(i))]
        removed = len(data) - len(kept)
        data = kept
    # what is left holds the person's values only inside other people's records: cut them out
    _replace_file(path, values.redacted(json.dumps(data, indent=1)).encode())
    return max(removed, 1)


def _scrub_sqlite(path: Path, values: SweepValues) -> int:
    removed = 0
    db = sqlite3.connect(path)
    try:
        tables = [r[0] for r in db.execute("select name from sqlite_master where type = 'table'")]
        for table in tables:
            columns = [r[1] for r in db.execute(f"pragma table_info({quote_ident(table)})")]
            rows = db.execute(f"select rowid, * from {quote_ident(table)}").fetchall()
            for rowid, *row in rows:
                if any(isinstance(v, str) and values.drops(v) for v in row):
                    db.execute(f"delete from {quote_ident(table)} where rowid = ?", [rowid])
                    removed += 1
                elif any(isinstance(v, str) and values.found_in(v) for v in row):
                    cleaned = [values.redacted(v) if isinstance(v, str) else v for v in row]
                    assignments = ", ".join(f"{quote_ident(c)} = ?" for c in columns)
                    db.execute(f"update {quote_ident(table)} set {assignments} where rowid = ?", [*cleaned, rowid])
                    removed += 1
        db.commit()
        if removed:
            db.execute("vacuum")  # rewrite the file: deleted rows leave no bytes in free pages
    finally:
        db.close()
    return removed


def _replace_file(path: Path, content: bytes) -> None:
    temporary = path.with_name(path.name + ".privacy-tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


def scrub_landing(landing_dir: Path, values: SweepValues) -> dict[str, int]:
    """Rewrite the landing files that hold the person; records removed per file (relative path)."""
    removed: dict[str, int] = {}
    if not landing_dir.is_dir():
        return removed
    for path in sorted(p for p in landing_dir.rglob("*") if p.is_file()):
        suffix = path.suffix.lower()
        if suffix in (".jsonl", ".csv", ".ndjson"):
            n = _rewrite_lines(path, values)
        elif suffix == ".json":
            n = _rewrite_json_array(path, values)
        elif suffix in (".sqlite", ".db"):
            n = _scrub_sqlite(path, values)
        else:
            continue
        if n:
            removed[str(path.relative_to(landing_dir))] = n
    return removed


def scrub_lake(lake_dir: Path, values: SweepValues) -> dict[str, int]:
    """Rewrite the Parquet files of the lake (`cdp ingest --destination lake`, read by Spark) without the
    rows that hold one of the person's values; rows removed per file. The lake is a copy of raw data for
    another engine: a row there that shares a phone with the person goes too (re-export to restore it)."""
    removed: dict[str, int] = {}
    if not lake_dir.is_dir() or not values.redact:
        return removed
    con = duckdb.connect()
    try:
        for path in sorted(lake_dir.rglob("*.parquet")):
            hit = "regexp_matches(cast(row_values as varchar), $pattern, 'i')"
            source = f"(select t as row_values, * from read_parquet('{path}') as t)"
            (n,) = con.execute(f"select count(*) from {source} where {hit}", {"pattern": values.pattern()}).fetchone()
            if not n:
                continue
            fresh = path.with_name(path.name + ".privacy-tmp")
            con.execute(
                f"copy (select * exclude (row_values) from {source} where not {hit}) to '{fresh}' (format parquet)",
                {"pattern": values.pattern()},
            )
            os.replace(fresh, path)
            removed[str(path.relative_to(lake_dir))] = n
    finally:
        con.close()
    return removed


def _file_holds(path: Path, values: SweepValues) -> bool:
    if path.suffix == ".parquet":  # compressed column chunks: look at the values
        import pyarrow.parquet as pq

        return values.found_in(json.dumps(pq.read_table(path).to_pylist(), default=str))
    data = path.read_bytes()
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except OSError:
            pass
    return values.found_in(data.decode("utf-8", "replace"))


def scrub_dlt_folders(pipelines_dir: Path, values: SweepValues) -> tuple[int, list[str]]:
    """Delete the data files of loaded packages and run traces; return files deleted and the pending
    package files that still hold the person (they load on the next run, then get deleted)."""
    deleted, pending = 0, []
    if not pipelines_dir.is_dir():
        return deleted, pending
    for path in sorted(p for p in pipelines_dir.rglob("*") if p.is_file()):
        parts = path.relative_to(pipelines_dir).parts
        if "loaded" in parts and "completed_jobs" in parts or path.name == "trace.pickle":
            path.unlink()
            deleted += 1
        elif ("normalize" in parts or "load" in parts or "extract" in parts) and _file_holds(path, values):
            pending.append(str(path.relative_to(pipelines_dir)))
    return deleted, pending


def compact_warehouse(path: Path, uncompressed: bool = False) -> None:
    """Copy the warehouse into a fresh file and put it in place of the old one.

    `uncompressed` stores every column without compression: an audit can then search the file's bytes
    for a value and trust a miss (compressed strings do not show as plain bytes)."""
    fresh = path.with_name(path.name + ".compact")
    fresh.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        if uncompressed:
            con.execute("set force_compression = 'uncompressed'")
        con.execute("checkpoint")
        con.execute(f"attach '{fresh}' as fresh")
        (name,) = con.execute("select current_database()").fetchone()
        con.execute(f"copy from database {quote_ident(name)} to fresh")
        con.execute("detach fresh")
    finally:
        con.close()
    os.replace(fresh, path)
    wal = path.with_name(path.name + ".wal")
    wal.unlink(missing_ok=True)
