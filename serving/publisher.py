"""Publish: copy what changed in the warehouse marts into the serving store.

Each document is built as JSON inside DuckDB with its md5; publish compares the hash with the one stored
beside the document and writes only rows whose hash differs, then deletes keys the warehouse no longer
has (a customer merged away, a segment left). All writes go in one SQLite transaction, so readers see
the previous publish or this one, never a mix. The warehouse is opened read-only.
"""

import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from cdp.config import Settings
from cdp.privacy.store import suppressed_hashes
from cdp.warehouse import open_warehouse
from serving import changes as change_events
from serving.store import (
    DOCUMENT_TABLES,
    RECENT_EVENTS_PER_CUSTOMER,
    apply_changes,
    connect_writer,
    store_path,
    stored_hashes,
)

log = logging.getLogger(__name__)

FETCH_BATCH = 10_000

# Traits that are the same for everyone and change on every build; they would mark every profile as
# changed. Freshness is recorded once per publish in `publish_log` instead.
PROFILE_COLUMNS_LEFT_OUT = ("traits_as_of",)


def _iso(column: str) -> str:
    return f"strftime({column}, '%Y-%m-%dT%H:%M:%S.%fZ')"


def _profile_sql(conn: duckdb.DuckDBPyConnection) -> str:
    columns = conn.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = 'marts' and table_name = 'customer_profiles' order by ordinal_position"
    ).fetchall()
    selected = [
        f'{_iso(name) if dtype.startswith("TIMESTAMP") else name} as "{name}"'
        for name, dtype in columns
        if name not in PROFILE_COLUMNS_LEFT_OUT
    ]
    return f"select customer_id, to_json(p) as body from (select {', '.join(selected)} from marts.customer_profiles) p"


SEGMENTS_SQL = f"""
select customer_id,
    to_json(list({{'segment': segment, 'entered_at': {_iso("entered_at")}, 'is_holdout': is_holdout}}
        order by segment)) as body
from marts.segment_memberships
group by customer_id
"""

RECOMMENDATIONS_SQL = """
select customer_id,
    to_json(list({'rank': recommendation_rank, 'sku': sku, 'product_name': product_name,
        'product_category': product_category, 'brand': brand, 'score': score, 'reason': reason}
        order by recommendation_rank)) as body
from marts.customer_product_recommendations
group by customer_id
"""

EVENTS_SQL = f"""
with ranked as (
    select *, row_number() over (partition by customer_id order by occurred_at desc, event_key) as recency
    from marts.customer_timeline
)
select customer_id,
    to_json(list({{'occurred_at': {_iso("occurred_at")}, 'source': source, 'event_type': event_type,
        'event_description': event_description, 'sku': sku, 'amount_eur': amount_eur}}
        order by recency)) as body
from ranked
where recency <= {RECENT_EVENTS_PER_CUSTOMER}
group by customer_id
"""

# {purpose: {channel: is_granted}} per customer; no row means no consent (docs/architecture.md, Consent).
CONSENTS_SQL = """
with per_purpose as (
    select customer_id, purpose, map_from_entries(list((channel, is_granted) order by channel)) as channels
    from marts.customer_consents
    group by customer_id, purpose
)
select customer_id, to_json(map_from_entries(list((purpose, channels) order by purpose))) as body
from per_purpose
group by customer_id
"""

# Only identifiers that resolve to exactly one customer and that the identity graph links: a shared
# kiosk device or a family phone must not open somebody's profile. Lookup values are stored the way
# `serving.lookup.normalize_identifier` rewrites a request: emails lower-cased, phones as their digits.
IDENTIFIERS_SQL = """
with normalized as (
    select
        identifier_type,
        case
            when identifier_type = 'email' then lower(trim(identifier_value))
            when identifier_type = 'phone' then regexp_replace(identifier_value, '[^0-9]', '', 'g')
            else trim(identifier_value)
        end as lookup_value,
        customer_id
    from marts.customer_identities
    where is_linkable
),
unambiguous as (
    select identifier_type, lookup_value, min(customer_id) as customer_id
    from normalized
    group by identifier_type, lookup_value
    having count(distinct customer_id) = 1
)
select identifier_type, lookup_value, customer_id, md5(customer_id) as content_hash from unambiguous
"""


@dataclass
class TableCounts:
    upserted: int = 0
    deleted: int = 0
    unchanged: int = 0


@dataclass
class PublishResult:
    store: Path
    tables: dict[str, TableCounts] = field(default_factory=dict)
    seconds: float = 0.0
    changes: int = 0  # change events recorded (serving.changes)

    @property
    def rows_written(self) -> int:
        return sum(c.upserted + c.deleted for c in self.tables.values())


def _batches(cursor: duckdb.DuckDBPyConnection) -> Iterator[list[tuple]]:
    while rows := cursor.fetchmany(FETCH_BATCH):
        yield rows


def _publish_documents(
    warehouse: duckdb.DuckDBPyConnection,
    store: sqlite3.Connection,
    table: str,
    sql: str,
    found: list[change_events.Change] | None = None,
) -> TableCounts:
    """Write the documents whose hash changed, delete the ones gone; when `found` is a list and the table
    has change events (profiles, segments), append what changed to it."""
    differ = change_events.DIFFERS.get(table) if found is not None else None
    old = stored_hashes(store, table)
    counts = TableCounts()
    seen: set[tuple[str, ...]] = set()
    cursor = warehouse.execute(f"select customer_id, body, md5(body) as content_hash from ({sql}) d")
    for rows in _batches(cursor):
        changed = []
        for customer_id, body, content_hash in rows:
            seen.add((customer_id,))
            if old.get((customer_id,)) == content_hash:
                counts.unchanged += 1
            else:
                changed.append((customer_id, body, content_hash))
        if differ is not None and changed:
            before = change_events.stored_bodies(store, table, [row[0] for row in changed])
            for customer_id, body, _ in changed:
                found.extend(differ(customer_id, before.get(customer_id), body))
        counts.upserted += apply_changes(store, table, changed, [])[0]
    gone = [key for key in old if key not in seen]
    if differ is not None and gone:
        before = change_events.stored_bodies(store, table, [key[0] for key in gone])
        for (customer_id,) in gone:
            found.extend(differ(customer_id, before.get(customer_id), None))
    counts.deleted = apply_changes(store, table, [], gone)[1]
    return counts


def _publish_identifiers(warehouse: duckdb.DuckDBPyConnection, store: sqlite3.Connection) -> TableCounts:
    old = stored_hashes(store, "identifiers")
    counts = TableCounts()
    seen: set[tuple[str, ...]] = set()
    for rows in _batches(warehouse.execute(IDENTIFIERS_SQL)):
        changed = []
        for identifier_type, lookup_value, customer_id, content_hash in rows:
            seen.add((identifier_type, lookup_value))
            if old.get((identifier_type, lookup_value)) == content_hash:
                counts.unchanged += 1
            else:
                changed.append((identifier_type, lookup_value, customer_id, content_hash))
        counts.upserted += apply_changes(store, "identifiers", changed, [])[0]
    counts.deleted = apply_changes(store, "identifiers", [], [key for key in old if key not in seen])[1]
    return counts


def _publish_suppressions(warehouse: duckdb.DuckDBPyConnection, store: sqlite3.Connection) -> TableCounts:
    """The privacy suppression list (keyed hashes only, never values), for senders that must not open the
    warehouse (automation flows run beside the loader, which holds it)."""
    now = suppressed_hashes(warehouse)
    old = {h for (h,) in store.execute("select identifier_hash from suppressions")}
    store.executemany("insert into suppressions (identifier_hash) values (?)", [(h,) for h in now - old])
    store.executemany("delete from suppressions where identifier_hash = ?", [(h,) for h in old - now])
    return TableCounts(upserted=len(now - old), deleted=len(old - now), unchanged=len(now & old))


def _drop_onsite_of_gone_customers(store: sqlite3.Connection) -> None:
    """On-site decisions of flows (automation/channels/onsite.py) for customers without a profile now
    (erased, merged into another) go with the profile."""
    if store.execute("select 1 from sqlite_master where type = 'table' and name = 'onsite_messages'").fetchall():
        store.execute("delete from onsite_messages where customer_id not in (select customer_id from profiles)")


def publish(settings: Settings, store: Path | None = None) -> PublishResult:
    """Bring the serving store (default `serving.sqlite` beside the warehouse) up to date with the marts."""
    started = datetime.now(UTC)
    result = PublishResult(store=store or store_path(settings))
    warehouse = open_warehouse(settings, read_only=True)  # read-write if dbt ran in this process (the loader)
    writer = connect_writer(result.store)
    try:
        queries = {
            "profiles": _profile_sql(warehouse),
            "segments": SEGMENTS_SQL,
            "recommendations": RECOMMENDATIONS_SQL,
            "events": EVENTS_SQL,
            "consents": CONSENTS_SQL,
        }
        assert set(queries) == set(DOCUMENT_TABLES)
        traits_as_of = warehouse.execute(f"select {_iso('max(traits_as_of)')} from marts.customer_profiles").fetchone()[
            0
        ]
        # One write transaction: readers (WAL) keep the previous snapshot until commit.
        writer.execute("begin immediate")
        try:
            # the first publish into an empty store is the baseline: no change events (docs/serving.md)
            baseline = writer.execute("select count(*) from publish_log").fetchall()[0][0] == 0
            found: list[change_events.Change] | None = None if baseline else []
            for table, sql in queries.items():
                result.tables[table] = _publish_documents(warehouse, writer, table, sql, found)
            result.tables["identifiers"] = _publish_identifiers(warehouse, writer)
            result.tables["suppressions"] = _publish_suppressions(warehouse, writer)
            _drop_onsite_of_gone_customers(writer)
            if found:
                result.changes = change_events.record(writer, started.isoformat(), found)
            change_events.prune(writer, (started - timedelta(days=change_events.CHANGES_KEPT_DAYS)).isoformat())
            writer.execute(
                "insert into publish_log (published_at, traits_as_of, rows_upserted, rows_deleted) values (?, ?, ?, ?)",
                [
                    started.isoformat(),
                    traits_as_of,
                    sum(c.upserted for c in result.tables.values()),
                    sum(c.deleted for c in result.tables.values()),
                ],
            )
            writer.execute("commit")
        except BaseException:
            writer.execute("rollback")
            raise
    finally:
        writer.close()
        warehouse.close()
    result.seconds = (datetime.now(UTC) - started).total_seconds()
    log.info("published %s rows into %s in %.1fs", result.rows_written, result.store, result.seconds)
    return result
