"""Plan a sync run: a full outer join of the model's current rows with the acknowledged state.

Inserts (in the model, not in state), updates (in both, different hash) and deletes (in state, no longer
in the model, or no longer included: left the segment, withdrew consent) all come from the one join, in
DuckDB, so planning a million-row audience stays a single pass. Rows whose send failed never reached
state, so they keep differing and are planned again with their latest values.
"""

import re
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from activation.errors import SyncConfigError
from activation.state import DELETED, PENDING, PENDING_NEW, SCHEMA, ensure_tables
from activation.syncs import Sync

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
NULL_MARK = "\\N"  # hashed in place of a null so that null and '' differ
FIELD_HASH_CHARS = 16


@dataclass
class Change:
    key: str
    change: str  # insert | update | delete
    fields: dict[str, Any] | None
    row_hash: str | None
    field_hashes: list[str] | None
    old_field_hashes: list[str] | None
    external_id: str | None
    version: int = 0  # of the state row: acknowledgements so far

    def changed_fields(self, names: list[str]) -> list[str]:
        """Names of the fields whose value differs from what the destination acknowledged."""
        if self.change != "update" or not self.old_field_hashes or not self.field_hashes:
            return list(names) if self.change == "insert" else []
        return [n for n, old, new in zip(names, self.old_field_hashes, self.field_hashes, strict=False) if old != new]


@dataclass
class Plan:
    """The planned rows as an Arrow table (ordered by key, so batches and their idempotency keys come out
    the same when the same content is planned again); rows become `Change` objects one batch at a time,
    so a million-row plan never sits in memory as Python objects."""

    sync_name: str
    field_names: list[str]
    included_rows: int
    state_rows: int
    table: pa.Table

    def count(self, change: str) -> int:
        return int(pc.sum(pc.equal(self.table["change"], change)).as_py() or 0)

    @property
    def inserts(self) -> int:
        return self.count("insert")

    @property
    def updates(self) -> int:
        return self.count("update")

    @property
    def deletes(self) -> int:
        return self.count("delete")

    def select(self, changes: list[str]) -> pa.Table:
        """The planned rows of the given kinds, still in key order."""
        return self.table.filter(pc.is_in(self.table["change"], pa.array(changes, type=pa.string())))

    def to_changes(self, table: pa.Table) -> list[Change]:
        names = self.field_names
        result = []
        for row in table.to_pylist():
            values = [row[f"f_{i}"] for i in range(len(names))]
            has_fields = row["change"] != "delete" or any(v is not None for v in values)
            result.append(
                Change(
                    key=row["record_key"],
                    change=row["change"],
                    fields=dict(zip(names, values, strict=True)) if has_fields else None,
                    row_hash=row["row_hash"],
                    field_hashes=row["field_hashes"],
                    old_field_hashes=row["old_field_hashes"],
                    external_id=row["external_id"],
                    version=row["version"],
                )
            )
        return result

    @property
    def changes(self) -> list[Change]:
        return self.to_changes(self.table)


def _identifier(name: str, what: str, sync: Sync) -> str:
    if not _IDENTIFIER.match(name or ""):
        raise SyncConfigError(f"Sync `{sync.name}`: {what} `{name}` is not a plain column or relation name")
    return f'"{name}"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def candidate_sql(
    sync: Sync,
    consent_relation: str = "marts.customer_consents",
    memberships_relation: str = "marts.segment_memberships",
) -> str:
    """Every row of the sync's model with its mapped fields and whether it is included now: in the segment
    (outside its holdout) and consenting to the sync's purpose and channel."""
    for part in sync.relation.split("."):
        _identifier(part, "relation", sync)
    key = _identifier(sync.key, "key", sync)
    columns = [
        f"model.{_identifier(column, 'field column', sync)} as f_{i}" for i, column in enumerate(sync.fields.values())
    ]
    conditions = ["true"]
    joins = []
    if sync.segment:
        joins.append(
            f"left join {memberships_relation} as seg on seg.customer_id = model.customer_id"
            f" and seg.segment = {_literal(sync.segment)} and not seg.is_holdout"
        )
        conditions.append("seg.customer_id is not null")
    if sync.consent_purpose:
        # one row per customer, purpose and channel; without a channel the sync needs a grant on every
        # channel the customer decided on. No row: no consent.
        purpose = _literal(sync.consent_purpose)
        if sync.consent_channel:
            consent = (
                f"(select customer_id, is_granted from {consent_relation}"
                f" where purpose = {purpose} and channel = {_literal(sync.consent_channel)})"
            )
        else:
            consent = (
                f"(select customer_id, bool_and(is_granted) as is_granted from {consent_relation}"
                f" where purpose = {purpose} group by customer_id)"
            )
        joins.append(f"left join {consent} as consent on consent.customer_id = model.customer_id")
        conditions.append("coalesce(consent.is_granted, false)")
    return (
        f"select cast(model.{key} as varchar) as record_key, {', '.join(columns)},"
        f" ({' and '.join(conditions)}) as is_included"
        f" from {sync.relation} as model {' '.join(joins)}"
    )


def plan_sync(conn: duckdb.DuckDBPyConnection, sync: Sync, **relations: str) -> Plan:
    ensure_tables(conn)
    names = list(sync.fields)
    count = len(names)
    field_hashes = ", ".join(
        f"substr(md5({_literal(name + '=')} || coalesce(cast(f_{i} as varchar), {_literal(NULL_MARK)})),"
        f" 1, {FIELD_HASH_CHARS})"
        for i, name in enumerate(names)
    )
    current_fields = ", ".join(f"coalesce(cur.f_{i}, gone.f_{i}) as f_{i}" for i in range(count))
    conn.execute(f"create or replace temp table _candidates as {candidate_sql(sync, **relations)}")
    duplicated = conn.execute(
        "select record_key from _candidates group by record_key having count(*) > 1 limit 1"
    ).fetchall()
    if duplicated:
        raise SyncConfigError(
            f"Sync `{sync.name}`: key `{sync.key}` of `{sync.relation}` is not unique (e.g. `{duplicated[0][0]}`)"
        )
    conn.execute(
        f"""
        create or replace temp table _plan as
        with hashed as (
            select *, [{field_hashes}] as field_hashes from _candidates where is_included
        ),
        cur as (
            select *, md5(array_to_string(field_hashes, ',')) as row_hash from hashed
        ),
        st_all as (
            select record_key, row_hash, field_hashes, external_id, version
            from {SCHEMA}.sync_state where sync_name = {_literal(sync.name)}
        ),
        st as (
            select
                record_key,
                version,
                case when row_hash = {_literal(DELETED)} then null else row_hash end as row_hash,
                case when row_hash = {_literal(DELETED)} then null else field_hashes end as field_hashes,
                external_id,
                row_hash = {_literal(DELETED)} as is_tombstone
            from st_all
        ),
        joined as (
            select
                coalesce(cur.record_key, st.record_key) as record_key,
                case
                    when cur.record_key is null then 'delete'
                    when st.record_key is null or st.is_tombstone or starts_with(st.row_hash, {_literal(PENDING_NEW)})
                        then 'insert'
                    else 'update'
                end as change,
                cur.row_hash,
                cur.field_hashes,
                st.field_hashes as old_field_hashes,
                st.external_id,
                -- a row whose last batch is still unanswered keeps its version when the same target goes
                -- again (a resend: same idempotency key) and takes the next when the target differs
                coalesce(st.version, 0) + case
                    when starts_with(st.row_hash, {_literal(PENDING)})
                        and regexp_extract(st.row_hash, '[^:]+$') <> coalesce(cur.row_hash, {_literal(DELETED)})
                        then 1
                    else 0
                end as version,
                {", ".join(f"cur.f_{i}" for i in range(count))}
            from cur
            full outer join st on cur.record_key = st.record_key
            where
                (cur.record_key is null and st.record_key is not null and not st.is_tombstone)
                or (cur.record_key is not null and (st.record_key is null or st.is_tombstone))
                or cur.row_hash <> st.row_hash
        )
        select
            joined.record_key, joined.change, joined.row_hash, joined.field_hashes, joined.old_field_hashes,
            joined.external_id, joined.version, {current_fields.replace("cur.", "joined.")}
        from joined
        left join _candidates as gone
            on joined.change = 'delete' and joined.record_key = gone.record_key
        order by joined.record_key
        """
    )
    included, state_rows = conn.execute(
        f"""select (select count(*) from _candidates where is_included),
                   (select count(*) from {SCHEMA}.sync_state
                    where sync_name = {_literal(sync.name)} and row_hash <> {_literal(DELETED)})"""
    ).fetchall()[0]
    table = conn.sql("select * from _plan").to_arrow_table()
    return Plan(sync.name, names, included, state_rows, table)
