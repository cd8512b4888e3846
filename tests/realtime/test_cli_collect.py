"""`cdp serve collect`: refuses to start without write keys, and serves into the data folder's spool."""

from typer.testing import CliRunner

from cdp.cli import app

runner = CliRunner()


def test_serve_collect_refuses_to_start_without_write_keys(tmp_path, monkeypatch):
    monkeypatch.delenv("CDP_COLLECT_WRITE_KEYS", raising=False)
    result = runner.invoke(app, ["serve", "collect"], env={"CDP_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1
    assert "CDP_COLLECT_WRITE_KEYS" in result.output


def test_serve_collect_spools_under_the_data_folder_unless_told_otherwise(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr("realtime.server.run_collector", lambda config, **kw: calls.append((config, kw)))
    monkeypatch.delenv("CDP_SPOOL_DIR", raising=False)
    monkeypatch.delenv("CDP_DUCKDB_PATH", raising=False)  # the data folder decides, not another test's warehouse
    env = {"CDP_DATA_DIR": str(tmp_path), "CDP_COLLECT_WRITE_KEYS": "web:k1,k2"}
    assert runner.invoke(app, ["serve", "collect", "--port", "9999"], env=env).exit_code == 0
    assert runner.invoke(app, ["serve", "collect", "--spool-dir", str(tmp_path / "elsewhere")], env=env).exit_code == 0
    (first, first_kw), (second, _) = calls
    assert first.spool_dir == tmp_path / "spool" and first_kw["port"] == 9999
    assert second.spool_dir == tmp_path / "elsewhere"
    assert first.write_keys["k1"] == "web" and first.write_keys["k2"].startswith("key_")
    assert "k1" not in runner.invoke(app, ["serve", "collect"], env=env).output
