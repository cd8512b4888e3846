"""`cdp review`: the pairs waiting for a decision (marts.identity_review_queue) side by side with the
match-weight breakdown, and decisions recorded as must-link / cannot-link rules in
`matching.identity_review_decisions`, which every later build honours (int_identity_match_links). The
table is written here, not by dbt, so `--full-refresh` never loses a decision."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from cdp.config import Settings
from cdp.errors import CdpError
from cdp.matching.run import DECISIONS, SCHEMA, ensure_tables, features_relation

DECISION_KINDS = ("must_link", "cannot_link")
SHOWN = ("first_name", "last_name", "email", "phone", "date_of_birth", "address_line", "postcode", "city",
         "country_code")


class ReviewError(CdpError):
    """A decision that cannot be recorded (unknown record, unknown decision)."""


@dataclass
class QueueItem:
    record_key_l: str
    record_key_r: str
    match_probability: float
    match_weight: float
    contributions: dict
    left: dict
    right: dict


def queue(settings: Settings, limit: int = 20) -> list[QueueItem]:
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        return read_queue(conn, limit)


def read_queue(conn: duckdb.DuckDBPyConnection, limit: int = 20) -> list[QueueItem]:
    """The queue's pairs, strongest first, with both records' compared fields (SHOWN); [] before the queue
    or the features exist. Also what the console copies into its store."""
    exists = conn.execute(
        "select count(*) from information_schema.tables where table_name = 'identity_review_queue'"
    ).fetchall()[0][0]
    features = features_relation(conn)
    if not exists or features is None:
        return []
    schema = conn.execute(
        "select table_schema from information_schema.tables where table_name = 'identity_review_queue'"
    ).fetchall()[0][0]
    rows = conn.execute(
        f"select record_key_l, record_key_r, match_probability, match_weight, match_contributions"
        f" from {schema}.identity_review_queue order by match_probability desc, record_key_l, record_key_r"
        f" limit {int(limit)}"
    ).fetchall()
    keys = sorted({k for r in rows for k in r[:2]})
    by_key: dict[str, dict] = {}
    if keys:
        cursor = conn.execute(
            f"select * from {features} where source_record_key in ({', '.join('?' for _ in keys)})", keys
        )
        names = [d[0] for d in cursor.description]
        for values in cursor.fetchall():
            record = dict(zip(names, values, strict=True))
            by_key[record["source_record_key"]] = {k: record.get(k) for k in SHOWN}
    return [
        QueueItem(l_key, r_key, float(p), float(w), json.loads(c) if c else {}, by_key.get(l_key, {}),
                  by_key.get(r_key, {}))
        for l_key, r_key, p, w, c in rows
    ]


def decide(settings: Settings, record_a: str, record_b: str, decision: str, decided_by: str = "cli",
           note: str | None = None) -> tuple[str, str]:
    """Record a decision for a pair of records (source_record_keys, any order); the latest per pair wins."""
    if decision not in DECISION_KINDS:
        raise ReviewError(f"decision must be one of {DECISION_KINDS}, not {decision!r}")
    if record_a == record_b:
        raise ReviewError("a decision needs two different records")
    left, right = sorted((record_a, record_b))
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        ensure_tables(conn)
        features = features_relation(conn)
        if features is None:
            raise ReviewError("no match features in this warehouse yet: run `cdp build` first")
        found = {r[0] for r in conn.execute(
            f"select source_record_key from {features} where source_record_key in (?, ?)", [left, right]
        ).fetchall()}
        missing = [k for k in (left, right) if k not in found]
        if missing:
            raise ReviewError(f"unknown record(s): {', '.join(missing)} (expected source/table/id)")
        conn.execute(
            f"insert into {SCHEMA}.{DECISIONS} values (?, ?, ?, ?, ?, ?)",
            [left, right, decision, decided_by, note, datetime.now(UTC).replace(tzinfo=None)],
        )
    return left, right
