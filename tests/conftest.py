"""Fixtures shared across the test tree."""

from datetime import date
from pathlib import Path

import duckdb
import pytest

from cdp.build import run_dbt
from cdp.config import Settings
from cdp.generate import generate
from cdp.pipeline import ingest
from ingestion.runner import SOURCE_NAMES

DEMO_CUSTOMERS = 300
DEMO_SEED = 7
DEMO_END_DATE = date(2026, 11, 1)


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> Settings:
    """A warehouse built once per test session: generated demo data for 300 customers, every source
    ingested, `dbt build` passed (models, data tests, unit tests). Treat it as read-only; a test that
    needs to change data builds its own."""
    root: Path = tmp_path_factory.mktemp("demo")
    settings = Settings(
        duckdb_path=root / "warehouse.duckdb", landing_dir=root / "landing", pipelines_dir=root / "pipelines"
    )
    generate(settings.landing_dir, customers=DEMO_CUSTOMERS, seed=DEMO_SEED, end_date=DEMO_END_DATE)
    runs = ingest(settings)
    assert {run.source for run in runs} == set(SOURCE_NAMES)
    run_dbt(settings, "build", quiet=True)
    return settings


@pytest.fixture
def demo_db(demo_warehouse: Settings):
    """A connection to the session's demo warehouse (same configuration as dbt's in-process one)."""
    conn = duckdb.connect(str(demo_warehouse.duckdb_path))
    yield conn
    conn.close()
