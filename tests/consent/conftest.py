"""Fixtures of the consent tests: a private copy of the session's demo warehouse and landing files, so a
test can land new signals, ingest, build and sync without touching what other tests read."""

import os
import shutil
from dataclasses import replace

import pytest

from cdp.config import Settings

# cdp.build.run_dbt points CDP_DUCKDB_PATH at its warehouse for the rest of the process; put it back
_CDP_DUCKDB_PATH = os.environ.get("CDP_DUCKDB_PATH")


@pytest.fixture(autouse=True)
def _restore_cdp_duckdb_path():
    yield
    if _CDP_DUCKDB_PATH is None:
        os.environ.pop("CDP_DUCKDB_PATH", None)
    else:
        os.environ["CDP_DUCKDB_PATH"] = _CDP_DUCKDB_PATH


@pytest.fixture
def demo_copy(demo_warehouse: Settings, tmp_path) -> Settings:
    """The demo warehouse, its web landing files and its dlt pipelines, copied for one test."""
    settings = replace(
        demo_warehouse,
        duckdb_path=tmp_path / "warehouse.duckdb",
        landing_dir=tmp_path / "landing",
        pipelines_dir=tmp_path / "pipelines",
    )
    shutil.copy(demo_warehouse.duckdb_path, settings.duckdb_path)
    wal = demo_warehouse.duckdb_path.with_name(demo_warehouse.duckdb_path.name + ".wal")
    if wal.exists():
        shutil.copy(wal, settings.duckdb_path.with_name(settings.duckdb_path.name + ".wal"))
    shutil.copytree(demo_warehouse.landing_dir / "web", settings.landing_dir / "web")
    if demo_warehouse.pipelines_dir.exists():
        shutil.copytree(demo_warehouse.pipelines_dir, settings.pipelines_dir)
    return settings
