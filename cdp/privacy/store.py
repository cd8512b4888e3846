"""The privacy schema of the warehouse: requests, their steps and destination calls, and the suppression list.

- `privacy.requests`: one row per request (type, status received|running|partial|done|failed, times);
  the identifier it named is kept only as a keyed hash.
- `privacy.request_steps`: what each step did (rows deleted per table, files rewritten...), no PII.
- `privacy.request_destinations`: one row per request and destination: status, attempts, detail.
- `privacy.suppressions`: the permanent suppression list, one keyed hash per identifier form, with the
  request that added it (UNSUPPRESS removes a request's hashes together).
"""

import duckdb

SCHEMA = "privacy"

DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.requests (
    request_id varchar primary key,
    request_type varchar not null,
    identifier_type varchar not null,
    identifier_hash varchar not null,
    status varchar not null,
    received_at timestamptz not null,
    started_at timestamptz,
    finished_at timestamptz,
    customers_matched bigint,
    detail varchar
);
create table if not exists {SCHEMA}.request_steps (
    request_id varchar not null,
    step varchar not null,
    status varchar not null,
    rows_affected bigint,
    detail varchar,
    finished_at timestamptz not null
);
create table if not exists {SCHEMA}.request_destinations (
    request_id varchar not null,
    destination varchar not null,
    status varchar not null,
    attempts integer not null,
    detail varchar,
    last_attempt_at timestamptz not null,
    primary key (request_id, destination)
);
create table if not exists {SCHEMA}.suppressions (
    identifier_hash varchar not null,
    request_id varchar not null,
    suppressed_at timestamptz not null,
    primary key (identifier_hash, request_id)
);
"""


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    (found,) = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return found > 0


def suppressed_hashes(con: duckdb.DuckDBPyConnection) -> set[str]:
    if not has_table(con, SCHEMA, "suppressions"):
        return set()
    return {h for (h,) in con.execute(f"select distinct identifier_hash from {SCHEMA}.suppressions").fetchall()}


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def base_tables(con: duckdb.DuckDBPyConnection, schema_like: str) -> list[tuple[str, str]]:
    """(schema, table) of the tables (not views) in the schemas matching a LIKE pattern."""
    return con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema like ? and table_type = 'BASE TABLE' order by 1, 2",
        [schema_like],
    ).fetchall()


def column_types(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str]:
    return dict(
        con.execute(
            "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()
    )
