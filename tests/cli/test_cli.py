"""The `cdp` command: arguments reach the library, errors are readable and exit non-zero."""

from typer.testing import CliRunner

from cdp.cli import app

runner = CliRunner()


def _env(tmp_path) -> dict[str, str]:
    return {"CDP_DATA_DIR": str(tmp_path)}


def test_status_without_a_warehouse_says_what_to_do(tmp_path):
    result = runner.invoke(app, ["status"], env=_env(tmp_path))
    assert result.exit_code == 1
    assert "cdp ingest" in result.output


def test_ingest_of_an_unknown_source_names_the_valid_ones(tmp_path):
    result = runner.invoke(app, ["ingest", "--source", "nope"], env=_env(tmp_path))
    assert result.exit_code == 1
    assert "`nope`" in result.output
    assert "shop" in result.output and "loyalty" in result.output


def test_serve_shop_api_refuses_to_start_without_a_token(tmp_path, monkeypatch):
    monkeypatch.delenv("CDP_SHOP_ACCESS_TOKEN", raising=False)
    result = runner.invoke(app, ["serve", "shop-api"], env=_env(tmp_path))
    assert result.exit_code == 1
    assert "CDP_SHOP_ACCESS_TOKEN" in result.output


def test_generate_then_status_shows_every_source(tmp_path):
    result = runner.invoke(
        app, ["generate", "--customers", "20", "--seed", "3", "--end-date", "2026-11-01"], env=_env(tmp_path)
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "landing" / "web" / "events").is_dir()
    result = runner.invoke(app, ["ingest", "--source", "catalog"], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["status"], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert "catalog" in result.output and "never" in result.output  # loaded catalog; the rest not yet


def test_privacy_request_of_an_unknown_type_names_the_valid_ones(tmp_path):
    result = runner.invoke(app, ["privacy", "request", "forget", "--identifier", "email:a@b.c"], env=_env(tmp_path))
    assert result.exit_code == 1
    assert "suppress_with_delete" in result.output and "unsuppress" in result.output


def test_privacy_request_with_a_malformed_identifier_says_how_to_write_it(tmp_path):
    result = runner.invoke(app, ["privacy", "request", "suppress", "--identifier", "a@b.c"], env=_env(tmp_path))
    assert result.exit_code == 1
    assert "KIND:VALUE" in result.output


def test_privacy_suppress_and_unsuppress_an_unknown_person_on_an_empty_warehouse(tmp_path):
    env = {**_env(tmp_path), "CDP_PRIVACY_KEY": "cli-test"}
    result = runner.invoke(
        app, ["privacy", "request", "suppress", "--identifier", "email:Nobody@Example.com", "--no-build"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "suppress: done, 1 affected" in result.output  # the identifier given is suppressed, hashed
    result = runner.invoke(
        app, ["privacy", "request", "unsuppress", "--identifier", "email:nobody@example.com", "--no-build"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "unsuppress: done, 1 affected" in result.output
