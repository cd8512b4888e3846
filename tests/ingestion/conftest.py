"""Shared fixtures of the file-source tests: land hand-made files, run a source, look at `raw_<source>`.

A test module describes a scenario as steps, each a set of files to land (path under
`landing/<source>/` -> text) followed by one `run_source`. After every run the step keeps a snapshot of
the source's dataset (rows, column types, quarantine, load statistics), so that one module-scoped
scenario can be asserted on by many small tests without running the pipeline again.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pytest

from cdp.config import Settings
from ingestion.runner import SourceRun, dataset_name, run_source


@dataclass
class Step:
    """What one run loaded and what the dataset held right after it."""

    run: SourceRun
    tables: dict[str, list[dict]] = field(default_factory=dict)  # every table of the dataset, all rows
    types: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> column -> DuckDB type

    def rows(self, table: str) -> list[dict]:
        return self.tables.get(table, [])

    def by_key(self, table: str, key: str) -> dict[Any, dict]:
        return {row[key]: row for row in self.rows(table)}

    def quarantine(self, table: str) -> list[dict]:
        return [row for row in self.rows("_quarantine") if row["source_table"] == table]

    def stats(self, table: str) -> dict:
        """The `_load_stats` row this run wrote for `table`."""
        rows = [row for row in self.rows("_load_stats") if row["source_table"] == table]
        return max(rows, key=lambda row: row["_dlt_load_id"])


def _snapshot(settings: Settings, dataset: str, run: SourceRun) -> Step:
    step = Step(run)
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        columns = con.execute(
            """
            select table_name, column_name, data_type from information_schema.columns
            where table_schema = ? and table_name not like '_dlt%'
            order by table_name, ordinal_position
            """,
            [dataset],
        ).fetchall()
        for table, column, data_type in columns:
            step.types.setdefault(table, {})[column] = data_type
        for table in step.types:
            cursor = con.execute(f'select * from "{dataset}"."{table}"')
            names = [d[0] for d in cursor.description]
            step.tables[table] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return step


LoadInSteps = Callable[[str, Sequence[Mapping[str, str]]], list[Step]]


@pytest.fixture(scope="module")
def load_in_steps(tmp_path_factory: pytest.TempPathFactory) -> LoadInSteps:
    """Run a source once per step into a fresh warehouse, landing the step's files first."""

    def load(source: str, steps: Sequence[Mapping[str, str]]) -> list[Step]:
        root = tmp_path_factory.mktemp(source)
        settings = Settings(
            duckdb_path=root / "warehouse.duckdb",
            landing_dir=root / "landing",
            pipelines_dir=root / "pipelines",
        )
        landing = settings.landing_dir / source
        landing.mkdir(parents=True)
        done = []
        for files in steps:
            for name, text in files.items():
                path = landing / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            run = run_source(source, settings)
            done.append(_snapshot(settings, dataset_name(source), run))
        return done

    return load
