"""Copies of the session's demo warehouse that Customer 360 tests may rebuild with other dbt vars."""

import shutil
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from cdp.config import Settings


def copy_warehouse(settings: Settings, target: Path) -> Settings:
    """A copy of `settings`' warehouse at `target` (checkpointed first, so the file holds every row)."""
    conn = duckdb.connect(str(settings.duckdb_path))
    try:
        conn.execute("checkpoint")
    finally:
        conn.close()
    shutil.copyfile(settings.duckdb_path, target)
    return replace(settings, duckdb_path=target)


@pytest.fixture(scope="module")
def warehouse_copy(demo_warehouse: Settings, tmp_path_factory) -> Settings:
    return copy_warehouse(demo_warehouse, tmp_path_factory.mktemp("c360") / "warehouse.duckdb")
