"""`cdp console refresh`, `cdp console hash-password` and `cdp report` through the CLI, on a data folder
holding a copy of the console tests' warehouse and serving store."""

import shutil

from typer.testing import CliRunner

from cdp.cli import app
from console.auth import parse_users, verify_password

runner = CliRunner()


def test_refresh_then_report(console_data, tmp_path, monkeypatch):
    shutil.copy(console_data.settings.duckdb_path, tmp_path / "warehouse.duckdb")
    shutil.copy(console_data.serving_store, tmp_path / "serving.sqlite")
    monkeypatch.setenv("CDP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CDP_DUCKDB_PATH", raising=False)
    missing = runner.invoke(app, ["report", "--out", str(tmp_path / "report.html")])
    assert missing.exit_code != 0 and "cdp console refresh" in missing.output
    refreshed = runner.invoke(app, ["console", "refresh"])
    assert refreshed.exit_code == 0, refreshed.output
    assert "identities:" in refreshed.output and (tmp_path / "console.sqlite").exists()
    written = runner.invoke(app, ["report", "--out", str(tmp_path / "report.html")])
    assert written.exit_code == 0, written.output
    assert (tmp_path / "report.html").stat().st_size > 1_000_000  # plotly.js inside


def test_hash_password_makes_a_hash_the_console_accepts():
    answer = runner.invoke(app, ["console", "hash-password"], input="s3cret-pass\ns3cret-pass\n")
    assert answer.exit_code == 0, answer.output
    encoded = next(line for line in answer.output.splitlines() if line.startswith("pbkdf2_sha256$"))
    user = parse_users(f"ann:admin:{encoded}")["ann"]
    assert verify_password("s3cret-pass", user.password_hash) and not verify_password("s3cret", user.password_hash)
    assert "s3cret-pass" not in answer.output
