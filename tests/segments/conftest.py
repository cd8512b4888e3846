"""Fixtures of the segment tests."""

import os

import pytest

# cdp.build.run_dbt points CDP_DUCKDB_PATH at the warehouse it built for the rest of the process; tests
# elsewhere read that variable, so put it back after each test here
_CDP_DUCKDB_PATH = os.environ.get("CDP_DUCKDB_PATH")


@pytest.fixture(autouse=True)
def _restore_cdp_duckdb_path():
    yield
    if _CDP_DUCKDB_PATH is None:
        os.environ.pop("CDP_DUCKDB_PATH", None)
    else:
        os.environ["CDP_DUCKDB_PATH"] = _CDP_DUCKDB_PATH
