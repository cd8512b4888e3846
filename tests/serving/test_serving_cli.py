"""`cdp publish` and `cdp serve profiles` are thin: they call serving and report."""

import sqlite3

from typer.testing import CliRunner

from cdp.cli import app
from tests.customer360.conftest import copy_warehouse
from tests.serving.conftest import Published


def test_cdp_publish_writes_the_store_beside_the_warehouse_and_reports_counts(
    published: Published, tmp_path, monkeypatch
) -> None:
    settings = copy_warehouse(published.settings, tmp_path / "warehouse.duckdb")
    monkeypatch.setenv("CDP_DUCKDB_PATH", str(settings.duckdb_path))

    first = CliRunner().invoke(app, ["publish"])
    second = CliRunner().invoke(app, ["publish"])

    assert first.exit_code == 0, first.output
    store = tmp_path / "serving.sqlite"
    assert sqlite3.connect(store).execute("select count(*) from profiles").fetchone()[0] > 0
    assert "profiles" in first.output and "identifiers" in first.output
    assert "0 rows written" in second.output


def test_cdp_serve_profiles_needs_tokens(published: Published, monkeypatch) -> None:
    monkeypatch.setenv("CDP_DUCKDB_PATH", str(published.settings.duckdb_path))
    monkeypatch.delenv("CDP_PROFILE_API_TOKENS", raising=False)
    result = CliRunner().invoke(app, ["serve", "profiles"])
    assert result.exit_code == 1
    assert "CDP_PROFILE_API_TOKENS" in result.output
