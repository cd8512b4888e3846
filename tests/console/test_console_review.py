"""The review queue page of the probabilistic layer (issue 11): admin only; accept/reject record a
must-link / cannot-link through cdp.matching.review.decide under the writer lock."""

import shutil
from dataclasses import replace

import duckdb
import pytest
from starlette.testclient import TestClient

from cdp.lock import warehouse_lock
from cdp.matching.run import features_relation
from console.app import create_app
from tests.console.conftest import login


@pytest.fixture
def review_console(console_data, tmp_path):
    warehouse = replace(console_data.settings, duckdb_path=tmp_path / "warehouse.duckdb")
    shutil.copy(console_data.settings.duckdb_path, warehouse.duckdb_path)
    console_store = tmp_path / "console.sqlite"
    shutil.copy(console_data.console_store, console_store)
    settings = replace(console_data.console_settings(), console_store=console_store, warehouse=warehouse)
    return TestClient(create_app(settings)), warehouse


def _two_records(warehouse) -> tuple[str, str]:
    conn = duckdb.connect(str(warehouse.duckdb_path), read_only=True)
    try:
        features = features_relation(conn)
        if features is None:
            pytest.fail("the demo warehouse has no int_match_features")
        rows = conn.execute(f"select source_record_key from {features} order by 1 limit 2").fetchall()
    finally:
        conn.close()
    return rows[0][0], rows[1][0]


def test_review_is_for_admins(review_console):
    client, _ = review_console
    csrf = login(client, "mo")
    assert client.get("/review").status_code == 403
    assert client.post("/review/decide", data={"csrf": csrf, "decision": "accept"}).status_code == 403


def test_accept_records_a_must_link_and_the_pair_leaves_the_page(review_console):
    client, warehouse = review_console
    csrf = login(client, "ann")
    assert client.get("/review").status_code == 200
    left, right = _two_records(warehouse)
    form = {"csrf": csrf, "left": right, "right": left, "decision": "accept"}
    with warehouse_lock(warehouse.duckdb_path, "cdp run"):
        busy = client.post("/review/decide", data=form)
    assert busy.status_code == 409 and "cdp run" in busy.text
    answer = client.post("/review/decide", data=form, follow_redirects=False)
    assert answer.status_code == 303
    conn = duckdb.connect(str(warehouse.duckdb_path), read_only=True)
    rows = conn.execute(
        "select record_key_l, record_key_r, decision, decided_by from matching.identity_review_decisions"
    ).fetchall()
    conn.close()
    assert rows == [(left, right, "must_link", "console:ann")]
    assert "1 decided here" in client.get("/review").text


def test_a_bad_decision_is_refused_with_the_reason(review_console):
    client, warehouse = review_console
    csrf = login(client, "ann")
    left, _ = _two_records(warehouse)
    unknown = client.post(
        "/review/decide", data={"csrf": csrf, "left": left, "right": "crm/contacts/nope", "decision": "reject"}
    )
    assert unknown.status_code == 400 and "crm/contacts/nope" in unknown.text
    odd = client.post("/review/decide", data={"csrf": csrf, "left": left, "right": left, "decision": "maybe"})
    assert odd.status_code == 400 and "accept or reject" in odd.text
