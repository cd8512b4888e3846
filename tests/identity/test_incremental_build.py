"""`dbt build` after a small load redoes only the part of the identity graph the load touched, and gives
what a full refresh gives: the same customers, with the same customer ids."""

import json

import duckdb

from cdp.build import run_dbt
from ingestion.runner import run_source
from tests.privacy.conftest import copy_warehouse


def _identity(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, str], set[frozenset[str]], tuple]:
    customers = dict(
        con.execute(
            "select node_key, customer_id from intermediate.int_customer_id_registry where is_current"
        ).fetchall()
    )
    groups: dict[int, set[str]] = {}
    for key, component in con.execute("select node_key, component_id from intermediate.int_identity_graph").fetchall():
        groups.setdefault(component, set()).add(key)
    stats = con.execute(
        "select mode, nodes_total, nodes_resolved from intermediate.int_identity_graph__incremental"
    ).fetchone()
    return customers, {frozenset(g) for g in groups.values()}, stats


def test_a_new_cookie_of_a_known_user_redoes_one_customer_and_matches_a_full_refresh(demo_warehouse, tmp_path):
    settings = copy_warehouse(demo_warehouse, tmp_path / "inc")
    events = settings.landing_dir / "web" / "events"
    identified = next(
        json.loads(line)
        for path in sorted(events.glob("*.jsonl"))
        for line in path.read_text().splitlines()
        if '"type":"identify"' in line and '"userId":null' not in line
    )
    # the same user on a new browser: a new anonymous id, identified at once
    new_cookie = "0000aaaa-1111-4222-8333-444455556666"
    new_events = []
    for n, kind in enumerate(("page", "identify")):
        event = {**identified, "type": kind, "messageId": f"incremental-test-{n}", "anonymousId": new_cookie}
        new_events.append(json.dumps(event))
    (events / "2026-11-02.jsonl").write_text("\n".join(new_events) + "\n")
    run_source("web", settings)
    run_dbt(settings, "build", quiet=True)
    with duckdb.connect(str(settings.duckdb_path)) as con:
        customers, groups, (mode, total, resolved) = _identity(con)
    assert mode == "incremental"
    assert 0 < resolved <= total * 0.05
    (group,) = [g for g in groups if f"anonymous_id:{new_cookie}" in g]
    assert f"user_id:{identified['userId']}" in group

    run_dbt(settings, "build", ["--full-refresh"], quiet=True)
    with duckdb.connect(str(settings.duckdb_path)) as con:
        full_customers, full_groups, (mode, _, _) = _identity(con)
    assert mode == "full"
    assert full_groups == groups
    assert full_customers == customers
