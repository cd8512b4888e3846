"""Check, flatten and type the records of a batch of files in DuckDB, and keep one row per key per run.

A `RawTable` says which raw columns a source table has, where each sits in a record (a JSON path) and
its DuckDB type. `shape_records` turns the payloads of a batch of files (`RecordBatch`) into an Arrow
table of those columns, plus the records it refused with a reason:

- the payload is not valid JSON, or not a JSON object;
- the key is missing or blank;
- a typed value (timestamp, integer, boolean, number) is present but does not parse.

Records pass through SQL and Arrow only; no row becomes a Python object unless it is refused.
"""

from dataclasses import dataclass, field
from typing import Literal

import duckdb
import pyarrow as pa

# The types a raw column may have; the rest of the contract's columns are text.
ColumnType = Literal["VARCHAR", "TIMESTAMPTZ", "BIGINT", "DOUBLE", "BOOLEAN"]

_TYPE_NAMES = {"TIMESTAMPTZ": "timestamp", "BIGINT": "integer", "DOUBLE": "number", "BOOLEAN": "boolean"}
SEEN_KEYS = "seen_keys"
_RECORDS = "batch_records"
_FILES = "batch_files"


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
        (
            f"case when nullif(trim({_ident('__raw_' + key.name)}), '') is null "
            f"then {_literal(f'missing key `{_label(key)}`')} end"
        )
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
        with checked as (
            -- json_valid and json_type parse a payload without copying it; JSON allows the trailing
            -- newline a JSONL line keeps, and a line that is only whitespace is not a record.
            select
                file_order,
                record_no,
                payload,
                case
                    when not json_valid(payload) then
                        case when trim(payload, e' \t\r\n') = '' then 'blank' else 'invalid JSON' end
                    when json_type(payload) <> 'OBJECT' then 'not a JSON object'
                end as reason
            from {_RECORDS}
            where payload is not null
        ),
        extracted as (
            select file_order, record_no, payload, reason,
                case when reason is null then json_extract_string(payload, {paths}) end as v
            from checked
            where reason is distinct from 'blank'
        ),
        typed as (
            select file_order, record_no, payload, reason,
                {raw_values},
                {typed}
            from extracted
        ),
        judged as (
            select *, coalesce(reason, {", ".join(checks)}) as refusal
            from typed
        )
        select
            file_order,
            record_no,
            refusal,
            case when refusal is not null then rtrim(payload, chr(13) || chr(10)) end as payload,
            {", ".join(_ident(c.name) for c in table.columns)}
        from judged
    """


@dataclass
class RecordBatch:
    """The payloads of some files of one run; a file with a higher `file_order` was delivered later."""

    file_names: list[str] = field(default_factory=list)
    file_orders: list[int] = field(default_factory=list)
    payloads: list[pa.Array] = field(default_factory=list)
    size: int = 0  # bytes of payload

    def add(self, file_name: str, file_order: int, payloads: pa.Array) -> None:
        self.file_names.append(file_name)
        self.file_orders.append(file_order)
        self.payloads.append(payloads)
        self.size += payloads.nbytes

    def records(self) -> pa.Table:
        order = [pa.array([o] * len(p), pa.int32()) for o, p in zip(self.file_orders, self.payloads, strict=True)]
        number = [pa.array(range(len(p)), pa.int64()) for p in self.payloads]
        return pa.table(
            {
                "file_order": pa.chunked_array(order, pa.int32()),
                "record_no": pa.chunked_array(number, pa.int64()),
                "payload": pa.chunked_array(self.payloads, pa.large_string()),
            }
        )

    def files(self) -> pa.Table:
        return pa.table(
            {
                "file_order": pa.array(self.file_orders, pa.int32()),
                "file_name": pa.array(self.file_names, pa.string()),
            }
        )


@dataclass
class ShapedBatch:
    rows: pa.Table  # good rows, one per key, none with a key yielded earlier in this run
    refused: list[tuple[str, str, str]]  # (payload, reason, file_name)
    duplicates: int  # good rows dropped because their key comes again later in this run


def create_seen_keys(con: duckdb.DuckDBPyConnection, table: RawTable) -> None:
    """The keys yielded so far in this run; batches are read newest first, so the first one seen wins."""
    con.execute(f"create or replace temp table {SEEN_KEYS} (key {table.key_column.type})")


def shape_records(con: duckdb.DuckDBPyConnection, table: RawTable, batch: RecordBatch, load_id: str) -> ShapedBatch:
    """Typed rows of the batch, the records refused and how many good rows were duplicates."""
    con.register(_RECORDS, batch.records())
    con.register(_FILES, batch.files())
    try:
        return _shape(con, table, load_id)
    finally:
        con.unregister(_RECORDS)
        con.unregister(_FILES)


def _shape(con: duckdb.DuckDBPyConnection, table: RawTable, load_id: str) -> ShapedBatch:
    con.execute(_shape_sql(table))
    refused = con.execute(
        f"""
        select shaped.payload, shaped.refusal, {_FILES}.file_name
        from shaped join {_FILES} using (file_order)
        where shaped.refusal is not null
        order by shaped.file_order, shaped.record_no
        """
    ).fetchall()
    key = _ident(table.key)
    # The latest delivery of a key wins: the last line of the latest file in this batch, unless a
    # later batch of this run (read before this one) already yielded the key.
    con.execute(
        f"""
        create or replace temp table kept as
        select shaped.* exclude (refusal, payload)
        from shaped
        where shaped.refusal is null
            and not exists (select 1 from {SEEN_KEYS} where {SEEN_KEYS}.key = shaped.{key})
        qualify row_number() over (
            partition by shaped.{key} order by shaped.file_order desc, shaped.record_no desc
        ) = 1
        """
    )
    (good,) = con.execute("select count(*) from shaped where refusal is null").fetchone()
    con.execute(f"insert into {SEEN_KEYS} select {key} from kept")
    columns = ", ".join(f"kept.{_ident(c.name)}" for c in table.columns)
    # dlt adds `_dlt_load_id`/`_dlt_id` to Arrow items only when told to in global normalizer config;
    # the contract wants them on every raw table, so they are added here (dlt replaces them if told).
    rows = con.sql(
        f"""
        select {columns}, {_FILES}.file_name as _file_name, $load_id as _dlt_load_id,
            gen_random_uuid()::varchar as _dlt_id
        from kept join {_FILES} using (file_order)
        order by kept.file_order, kept.record_no
        """,
        params={"load_id": load_id},
    ).to_arrow_table()
    con.execute("drop table shaped; drop table kept")
    return ShapedBatch(_key_not_null(rows, table.key), refused, good - rows.num_rows)


def _key_not_null(rows: pa.Table, key: str) -> pa.Table:
    # The key can never be null here; saying so in the Arrow schema matches dlt's primary-key hint.
    schema = rows.schema
    index = schema.get_field_index(key)
    return rows.cast(schema.set(index, schema.field(index).with_nullable(False)))
