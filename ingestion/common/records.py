"""Check, flatten and type the records of one file in DuckDB, and drop keys already seen in this run.

A `RawTable` says which raw columns a source table has, where each sits in a record (a JSON path) and
its DuckDB type. `shape_records` turns the `records(record_no, payload)` relation left by a reader into
an Arrow table of those columns, plus the records it refused with a reason:

- the payload is not valid JSON, or not a JSON object;
- the key is missing or blank;
- a typed value (timestamp, integer, boolean, number) is present but does not parse.

Records pass through SQL and Arrow only; no row becomes a Python object unless it is refused.
"""

from dataclasses import dataclass
from typing import Literal

import duckdb
import pyarrow as pa

from ingestion.common.readers import RECORDS, Rejected

# The types a raw column may have; the rest of the contract's columns are text.
ColumnType = Literal["VARCHAR", "TIMESTAMPTZ", "BIGINT", "DOUBLE", "BOOLEAN"]

_TYPE_NAMES = {"TIMESTAMPTZ": "timestamp", "BIGINT": "integer", "DOUBLE": "number", "BOOLEAN": "boolean"}
SEEN_KEYS = "seen_keys"


@dataclass(frozen=True)
class Column:
    """One raw column: its name in the raw table, its JSON path in a record, its DuckDB type."""

    name: str
    path: str
    type: ColumnType = "VARCHAR"


def csv_column(name: str, header: str, type: ColumnType = "VARCHAR") -> Column:
    """A column read from the CSV field `header` (readers turn a CSV row into a JSON object)."""
    return Column(name, '$."' + header.replace('"', '\\"') + '"', type)


@dataclass(frozen=True)
class RawTable:
    """A raw table fed by landing files: what to read, how, and the columns to make of each record."""

    source: str
    name: str
    key: str  # the name of the key column; records without it are quarantined
    reader: Literal["jsonl", "json_array", "csv"]
    pattern: str  # glob under the source's landing folder
    columns: tuple[Column, ...]

    @property
    def key_column(self) -> Column:
        return next(c for c in self.columns if c.name == self.key)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _typed(raw: str, column_type: ColumnType) -> str:
    if column_type == "VARCHAR":
        return raw
    if column_type == "BIGINT":
        # try_cast('12.5' as bigint) rounds; an integer column must not invent a value.
        return f"case when try_cast({raw} as double) % 1 = 0 then try_cast({raw} as bigint) end"
    return f"try_cast({raw} as {column_type})"


def _label(column: Column) -> str:
    # The name a reader of the quarantine knows the field by: the JSON path without `$.`.
    return column.path.removeprefix("$.").replace('"', "")


def _shape_sql(table: RawTable) -> str:
    paths = "[" + ", ".join(_literal(c.path) for c in table.columns) + "]"
    raw = {c.name: f"v[{i}]" for i, c in enumerate(table.columns, start=1)}
    typed = ",\n".join(f"{_typed(raw[c.name], c.type)} as {_ident(c.name)}" for c in table.columns)
    raw_values = ",\n".join(f"{raw[c.name]} as {_ident('__raw_' + c.name)}" for c in table.columns)
    key = table.key_column
    checks = [
        f"case when nullif(trim({_ident('__raw_' + key.name)}), '') is null "
        f"then {_literal(f'missing key `{_label(key)}`')} end"
    ]
    for c in table.columns:
        if c.type != "VARCHAR":
            prefix = f"unparsable {_TYPE_NAMES[c.type]} `{_label(c)}`: `"
            checks.append(
                f"case when {_ident('__raw_' + c.name)} is not null and {_ident(c.name)} is null "
                f"then {_literal(prefix)} || {_ident('__raw_' + c.name)} || '`' end"
            )
    return f"""
        create or replace temp table shaped as
        with lines as (
            select record_no, rtrim(payload, chr(13) || chr(10)) as payload
            from {RECORDS}
        ),
        checked as (
            select
                record_no,
                payload,
                case
                    when not json_valid(payload) then 'invalid JSON'
                    when not starts_with(ltrim(payload), '{{') then 'not a JSON object'
                end as reason
            from lines
            -- blank lines are not records
            where trim(payload) <> ''
        ),
        extracted as (
            select record_no, payload, reason,
                case when reason is null then json_extract_string(payload, {paths}) end as v
            from checked
        ),
        typed as (
            select record_no, payload, reason,
                {raw_values},
                {typed}
            from extracted
        ),
        judged as (
            select *, coalesce(reason, {", ".join(checks)}) as refusal
            from typed
        )
        select
            record_no,
            refusal,
            case when refusal is not null then payload end as payload,
            {", ".join(_ident(c.name) for c in table.columns)}
        from judged
    """


@dataclass
class ShapedFile:
    rows: pa.Table  # good rows, one per key, not seen earlier in this run
    refused: list[Rejected]
    duplicates: int  # good rows dropped because their key comes again later in this run

    @property
    def rows_read(self) -> int:
        return self.rows.num_rows + len(self.refused) + self.duplicates


def create_seen_keys(con: duckdb.DuckDBPyConnection, table: RawTable) -> None:
    """The keys already yielded in this run; files are read newest first, so the first one seen wins."""
    con.execute(f"create or replace temp table {SEEN_KEYS} (key {table.key_column.type})")


def shape_records(con: duckdb.DuckDBPyConnection, table: RawTable, file_name: str, load_id: str) -> ShapedFile:
    """Typed rows of the file behind `records`, the refused records and how many keys were duplicates."""
    con.execute(_shape_sql(table))
    refused = [
        Rejected(payload, reason)
        for payload, reason in con.execute(
            "select payload, refusal from shaped where refusal is not null order by record_no"
        ).fetchall()
    ]
    key = _ident(table.key)
    # Within a file the last line with a key wins; keys yielded from a later file in this run win over it.
    con.execute(
        f"""
        create or replace temp table kept as
        select shaped.* exclude (refusal, payload)
        from shaped
        anti join {SEEN_KEYS} on {SEEN_KEYS}.key = shaped.{key}
        where shaped.refusal is null
        qualify row_number() over (partition by shaped.{key} order by shaped.record_no desc) = 1
        """
    )
    (good,) = con.execute("select count(*) from shaped where refusal is null").fetchone()
    con.execute(f"insert into {SEEN_KEYS} select {key} from kept")
    columns = ", ".join(_ident(c.name) for c in table.columns)
    rows = con.sql(
        f"""
        select {columns}, $file_name as _file_name, $load_id as _dlt_load_id,
            gen_random_uuid()::varchar as _dlt_id
        from kept order by record_no
        """,
        params={"file_name": file_name, "load_id": load_id},
    ).to_arrow_table()
    return ShapedFile(_key_not_null(rows, table.key), refused, good - rows.num_rows)


def _key_not_null(rows: pa.Table, key: str) -> pa.Table:
    # The key can never be null here; saying so in the Arrow schema matches dlt's primary-key hint.
    schema = rows.schema
    index = schema.get_field_index(key)
    return rows.cast(schema.set(index, schema.field(index).with_nullable(False)))
