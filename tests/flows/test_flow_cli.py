"""`cdp flows validate|preview|status|export` against a small world (serving store, flows store)."""

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from cdp.cli import app, console

FLOWS = Path(__file__).resolve().parents[2] / "flows"
runner = CliRunner()

CART = """\
name: cart
version: 1
trigger: {type: absence, event: Product Added, missing: Order Completed, key: cart_id, within: 30m}
steps:
  - id: remind
    send: {channel: email, purpose: marketing, subject: "{{ profile.first_name }}, your cart", body: "{{ event.name }}"}
  - id: nudge
    send: {channel: sms, purpose: marketing, body: "Cart {{ event.cart_id }}"}
"""


@pytest.fixture
def env(world, monkeypatch):
    monkeypatch.setenv("CDP_DUCKDB_PATH", str(world.root / "warehouse.duckdb"))
    monkeypatch.setenv("CDP_LANDING_DIR", str(world.landing))
    monkeypatch.setenv("CDP_PIPELINES_DIR", str(world.root / "pipelines"))
    return world


def test_validate_the_shipped_flows_and_a_broken_one(tmp_path):
    result = runner.invoke(app, ["flows", "validate", "--flows-dir", str(FLOWS)])
    assert result.exit_code == 0, result.output
    assert "cart_abandonment v1: absence" in result.output
    (tmp_path / "bad.yml").write_text("name: bad\nversion: 1\ntrigger: {type: event}\nsteps: []\n")
    result = runner.invoke(app, ["flows", "validate", "--flows-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "bad.yml:3" in result.output.replace("\n", "")


def test_preview_renders_without_sending(env):
    world = env
    world.flow(CART)
    world.customer("c1", first_name="Ann", consents={"marketing": {"email": True}})
    args = ["flows", "preview", "cart", "--customer", "c1", "--event", '{"name": "Boots", "cart_id": "k9"}']
    result = runner.invoke(app, [*args, "--flows-dir", str(world.flows_dir)])
    assert result.exit_code == 0, result.output
    assert "- remind: email, would be sent" in result.output
    assert "subject: Ann, your cart" in result.output and "body: Boots" in result.output
    assert "- nudge: sms, would be suppressed (consent)" in result.output
    assert world.outbox() == []
    result = runner.invoke(
        app, ["flows", "preview", "cart", "--customer", "nobody", "--flows-dir", str(world.flows_dir)]
    )
    assert result.exit_code == 1 and "No customer `nobody`" in result.output


def test_status_and_export_to_the_warehouse(env, monkeypatch):
    world = env
    world.flow(CART)
    world.customer("c1", primary_phone="+31612345678")
    world.customer("c2", consents={})
    world.send("c1", "Product Added", cart_id="k1", name="Boots")
    world.send("c2", "Product Added", cart_id="k2", name="Hat")
    world.advance(31 * 60)
    monkeypatch.setattr(console, "width", 200)  # one line per flow
    result = runner.invoke(app, ["flows", "status"])
    assert result.exit_code == 0, result.output
    (row,) = [line for line in result.output.splitlines() if " cart " in line]
    cells = [cell.strip() for cell in row.split("│")[1:-1]]
    # flow, entered, active, exited, converted, sent, pending, failed, suppressed
    assert cells == ["cart", "2", "0", "0", "0", "0", "2", "0", "2 (consent 2)"]
    result = runner.invoke(app, ["flows", "export"])
    assert result.exit_code == 0, result.output
    conn = duckdb.connect(str(world.root / "warehouse.duckdb"), read_only=True)
    try:
        sends = conn.execute(
            "select customer_id, step, channel, status, reason from raw_flows.flow_sends order by 1, 2"
        ).fetchall()
        columns = {
            c
            for (c,) in conn.execute(
                "select column_name from information_schema.columns where table_schema = 'raw_flows'"
            ).fetchall()
        }
        entries = conn.execute("select customer_id, status from raw_flows.flow_entries order by 1").fetchall()
    finally:
        conn.close()
    assert sends == [
        ("c1", "nudge", "sms", "pending", None),
        ("c1", "remind", "email", "pending", None),
        ("c2", "nudge", "sms", "suppressed", "consent"),
        ("c2", "remind", "email", "suppressed", "consent"),
    ]
    assert entries == [("c1", "completed"), ("c2", "completed")]
    assert not columns & {"message", "context", "to", "body"}
    runner.invoke(app, ["flows", "export"])  # again: merged on the key, no duplicates
    conn = duckdb.connect(str(world.root / "warehouse.duckdb"), read_only=True)
    try:
        assert conn.execute("select count(*) from raw_flows.flow_sends").fetchall() == [(4,)]
    finally:
        conn.close()
