"""The syncs declared in models/activation/_syncs.yml, run on a copy of the demo warehouse against the
local stand-ins, a real PostgreSQL and a folder."""

import base64
import shutil
from dataclasses import replace

import duckdb
import psycopg
import pytest

from activation.runner import declared_syncs, run_syncs, select_syncs
from activation.testing.mailchimp_api import MailchimpStandIn
from activation.testing.webhook_receiver import WebhookReceiver
from cdp.errors import CdpError

SECRET = "whsec_" + base64.b64encode(b"demo-signing-secret-of-32-bytes!").decode()


@pytest.fixture
def demo_copy(demo_warehouse, tmp_path):
    settings = replace(demo_warehouse, duckdb_path=tmp_path / "warehouse.duckdb")
    shutil.copy(demo_warehouse.duckdb_path, settings.duckdb_path)
    wal = demo_warehouse.duckdb_path.with_name(demo_warehouse.duckdb_path.name + ".wal")
    if wal.exists():
        shutil.copy(wal, settings.duckdb_path.with_name(settings.duckdb_path.name + ".wal"))
    conn = duckdb.connect(str(settings.duckdb_path))
    yield settings, conn
    conn.close()


@pytest.fixture
def env(tmp_path, postgres_dsn):
    mailchimp = MailchimpStandIn("demo-key", list_id="cdpnewsletter")
    webhook = WebhookReceiver(SECRET)
    values = {
        "CDP_MAILCHIMP_BASE_URL": mailchimp.start(),
        "CDP_MAILCHIMP_API_KEY": "demo-key",
        "CDP_WEBHOOK_URL": webhook.start() + "/cdp",
        "CDP_WEBHOOK_SECRET": SECRET,
        "CDP_POSTGRES_DSN": postgres_dsn,
        "CDP_ACTIVATION_FILES_DIR": str(tmp_path / "files"),
    }
    yield values, mailchimp, webhook
    mailchimp.stop()
    webhook.stop()


def test_every_declared_sync_sends_consenting_members_then_nothing(demo_copy, env):
    settings, conn = demo_copy
    values, mailchimp, webhook = env
    syncs = declared_syncs(settings)
    assert {s.destination for s in syncs} == {"mailchimp", "webhook", "postgres", "files"}

    dry = run_syncs(conn, syncs, dry_run=True, env=values)
    assert all(r.status == "dry_run" for r in dry) and mailchimp.requests == [] and webhook.deliveries == 0

    first = run_syncs(conn, syncs, env=values)
    assert [r.status for r in first] == ["success"] * len(syncs), [r.message for r in first]
    expected = {
        row[0]
        for row in conn.execute(
            """select p.primary_email from marts.customer_profiles as p
               inner join marts.segment_memberships as m
                   on p.customer_id = m.customer_id and m.segment = 'high_value_customers' and not m.is_holdout
               inner join marts.customer_consents as c
                   on p.customer_id = c.customer_id and c.purpose = 'marketing' and c.channel = 'email'
                   and c.is_granted
               where p.primary_email is not null"""
        ).fetchall()
    }
    assert mailchimp.subscribed_emails() == expected
    with psycopg.connect(values["CDP_POSTGRES_DSN"]) as pg:
        synced = pg.execute("select count(*) from cdp.customer_profiles").fetchone()[0]
    assert synced == next(r.rows_acked for r in first if r.sync_name == "profiles_to_postgres") > 0

    mailchimp.requests.clear()
    deliveries = webhook.deliveries
    second = run_syncs(conn, syncs, env=values)
    assert all(r.batches_sent == 0 and r.status == "success" for r in second)
    assert mailchimp.requests == [] and webhook.deliveries == deliveries
    runs = conn.execute("select count(*) from activation.sync_runs").fetchall()[0][0]
    assert runs == 3 * len(syncs)


def test_an_unknown_sync_name_is_refused_with_the_declared_ones(demo_copy):
    settings, _ = demo_copy
    with pytest.raises(CdpError, match="Unknown sync `nope`"):
        select_syncs(declared_syncs(settings), ["nope"])


def test_cdp_activate_dry_run_prints_the_plan_and_a_real_run_writes_files(demo_copy, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cdp.cli import app

    settings, conn = demo_copy
    conn.close()  # the command opens the warehouse itself
    monkeypatch.setenv("CDP_DUCKDB_PATH", str(settings.duckdb_path))
    monkeypatch.setenv("CDP_ACTIVATION_FILES_DIR", str(tmp_path / "out"))
    runner = CliRunner()
    dry = runner.invoke(app, ["activate", "--sync", "segments_to_files", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "nothing sent" in dry.output and not (tmp_path / "out").exists()
    real = runner.invoke(app, ["activate", "--sync", "segments_to_files"])
    assert real.exit_code == 0, real.output
    assert (tmp_path / "out" / "segments_to_files" / "snapshot.jsonl").exists()
