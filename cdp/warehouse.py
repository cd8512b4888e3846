"""Read-only queries on the warehouse for status and summaries, and working copies of an installation."""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import duckdb

from cdp.config import Settings


def open_warehouse(settings: Settings, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse. `read_only` is a wish: when this process already holds the file
    read-write (dbt ran in-process), DuckDB allows only a connection of that same configuration, which
    shares the open instance, so that is what the caller gets."""
    try:
        return duckdb.connect(str(settings.duckdb_path), read_only=read_only)
    except duckdb.ConnectionException:
        if not read_only:
            raise
        return duckdb.connect(str(settings.duckdb_path))


@contextmanager
def connect(settings: Settings, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    conn = open_warehouse(settings, read_only)
    try:
        yield conn
    finally:
        conn.close()


def _tables(conn: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    rows = conn.execute(
        "select table_name from information_schema.tables where table_schema = ? order by table_name", [schema]
    ).fetchall()
    return [r[0] for r in rows]


@dataclass
class SourceStatus:
    source: str
    tables: dict[str, int]
    last_loaded_at: datetime | None
    rows_quarantined: int
    rows_read: int
    rows_loaded: int
    rows_duplicate: int

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def source_status(settings: Settings, sources: list[str]) -> list[SourceStatus]:
    """Per source: current rows per raw table, last load time and the run counters summed over runs."""
    result = []
    if not settings.duckdb_path.exists():
        return result
    with connect(settings) as conn:
        for source in sources:
            schema = f"raw_{source}"
            tables = _tables(conn, schema)
            if not tables:
                result.append(SourceStatus(source, {}, None, 0, 0, 0, 0))
                continue
            counts = {
                t: conn.execute(f'select count(*) from "{schema}"."{t}"').fetchone()[0]
                for t in tables
                if not t.startswith("_")
            }
            last = None
            if "_dlt_loads" in tables:
                last = conn.execute(
                    f'select max(inserted_at) from "{schema}"."_dlt_loads" where status = 0'
                ).fetchone()[0]
            read = loaded = quarantined = duplicate = 0
            if "_load_stats" in tables:
                read, loaded, quarantined, duplicate = conn.execute(
                    f"select coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0), "
                    f"coalesce(sum(rows_quarantined), 0), coalesce(sum(rows_duplicate), 0) "
                    f'from "{schema}"."_load_stats"'
                ).fetchone()
            result.append(SourceStatus(source, counts, last, quarantined, read, loaded, duplicate))
    return result


@dataclass
class Summary:
    customers: int
    known_customers: int
    identities: int
    records_per_source: dict[str, int]


def summary(settings: Settings) -> Summary:
    """Headline figures of the marts."""
    with connect(settings) as conn:
        customers, known = conn.execute(
            "select count(*), count(*) filter (where primary_email is not null or primary_phone is not null) "
            "from marts.customer_profiles"
        ).fetchone()
        identities = conn.execute("select count(*) from marts.customer_identities").fetchone()[0]
        per_source = dict(
            conn.execute(
                "select source, count(*) from marts.customer_source_records group by source order by source"
            ).fetchall()
        )
    return Summary(customers, known, identities, per_source)


def copy_installation(settings: Settings, root: Path, landing: tuple[str, ...] = ("web",)) -> Settings:
    """A working copy of an installation under `root`: the warehouse (checkpointed first, so nothing is left
    in its WAL), the privacy key its suppression hashes are keyed with, the `landing` sources' files and the
    dlt pipelines' state. Returns the copy's settings."""
    with duckdb.connect(str(settings.duckdb_path)) as con:
        con.execute("checkpoint")
    root.mkdir(parents=True, exist_ok=True)
    copy = replace(
        settings, duckdb_path=root / "warehouse.duckdb", landing_dir=root / "landing", pipelines_dir=root / "pipelines"
    )
    shutil.copyfile(settings.duckdb_path, copy.duckdb_path)
    key = settings.duckdb_path.with_name("privacy.key")
    if key.exists():
        shutil.copyfile(key, copy.duckdb_path.with_name("privacy.key"))
    for source in landing:
        shutil.copytree(settings.landing_dir / source, copy.landing_dir / source)
    if settings.pipelines_dir.exists():
        shutil.copytree(settings.pipelines_dir, copy.pipelines_dir)
    return copy
