"""The console over the demo warehouse, through Starlette's TestClient: login and roles, CSRF, headers,
search, the 360 page and its masking, the graph path against `cdp explain`, segments, syncs, report."""

import json
import logging
import re
import sqlite3
import time

import duckdb
import pytest
from starlette.testclient import TestClient

from cdp.identity.explain import explain
from console import graph
from console.app import create_app
from console.auth import SESSION_SECONDS, new_session, sign_session
from console.report import write_report
from console.store import ConsoleStoreError, refresh
from tests.console.conftest import PASSWORDS, SECRET, USERS, login, sample


def _phone_customer(console_data) -> tuple[str, str]:
    """A (phone digits, customer id) the store resolves, of a customer with a linked email too."""
    rows = sample(
        console_data,
        "select p.lookup_value, p.customer_id from identifiers p join identifiers e"
        " on e.customer_id = p.customer_id and e.identifier_type = 'email'"
        " where p.identifier_type = 'phone' and length(p.lookup_value) >= 10 order by p.customer_id limit 1",
    )
    assert rows, "the demo has no customer with a phone and an email"
    return rows[0]


def test_every_page_needs_a_login(app_client):
    for path in ("/", "/search", "/segments", "/syncs", "/customers/cus_x"):
        answer = app_client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login", path
    assert app_client.post("/search", data={"value": "x"}, follow_redirects=False).status_code == 303


def test_wrong_password_is_refused_and_not_logged(app_client, caplog):
    page = app_client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    with caplog.at_level(logging.INFO):
        answer = app_client.post("/login", data={"csrf": token, "username": "ann", "password": "guess-1"})
    assert answer.status_code == 401 and "Wrong name or password" in answer.text
    assert "guess-1" not in caplog.text
    assert app_client.get("/", follow_redirects=False).status_code == 303


def test_login_form_without_its_csrf_token_is_refused(app_client):
    app_client.get("/login")
    answer = app_client.post("/login", data={"username": "ann", "password": PASSWORDS["ann"]})
    assert answer.status_code == 403


def test_actions_need_the_sessions_csrf_token(app_client, console_data):
    csrf = login(app_client, "ann")
    phone, _ = _phone_customer(console_data)
    assert app_client.post("/search", data={"value": "+" + phone}, follow_redirects=False).status_code == 403
    bad = app_client.post("/search", data={"value": "+" + phone, "csrf": "forged"}, follow_redirects=False)
    assert bad.status_code == 403
    good = app_client.post("/search", data={"value": "+" + phone, "csrf": csrf}, follow_redirects=False)
    assert good.status_code == 303
    assert app_client.post("/customers/cus_x/path", json={}, follow_redirects=False).status_code == 403


def test_security_headers_and_cookie_flags(console_data):
    from dataclasses import replace

    client = TestClient(
        create_app(replace(console_data.console_settings(), secure_cookies=True)), base_url="https://testserver"
    )
    answer = client.get("/login")
    csp = answer.headers["content-security-policy"]
    script_src = next(part for part in csp.split(";") if "script-src" in part)
    assert script_src.strip() == "script-src 'self'"
    assert answer.headers["x-frame-options"] == "DENY" and answer.headers["x-content-type-options"] == "nosniff"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=strict" in cookie
    assert "<script>" not in answer.text  # no inline scripts anywhere


def test_a_tampered_or_expired_session_is_a_logout(app_client):
    admin = sign_session(SECRET, new_session(USERS["ann"]))
    body, _, mac = admin.rpartition(".")
    app_client.cookies.set("cdp_console", body + "." + ("0" if mac[0] != "0" else "1") + mac[1:])
    assert app_client.get("/", follow_redirects=False).status_code == 303
    expired = {**new_session(USERS["ann"]), "exp": int(time.time()) - 1}
    app_client.cookies.set("cdp_console", sign_session(SECRET, expired))
    assert app_client.get("/", follow_redirects=False).status_code == 303
    app_client.cookies.set("cdp_console", admin)
    assert app_client.get("/", follow_redirects=False).status_code == 200
    assert SESSION_SECONDS <= 12 * 3600


def test_search_by_a_differently_formatted_phone_opens_the_360_page(app_client, console_data):
    csrf = login(app_client, "ann")
    phone, customer_id = _phone_customer(console_data)
    typed = f"00{phone[:2]} ({phone[2:4]}) {phone[4:7]}-{phone[7:]}"
    answer = app_client.post("/search", data={"value": typed, "csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/customers/{customer_id}"  # no PII in the address
    page = app_client.get(answer.headers["location"])
    assert page.status_code == 200 and 'id="identity-graph"' in page.text and 'id="timeline"' in page.text
    missing = app_client.post("/search", data={"value": "nobody@nowhere.example", "csrf": csrf})
    assert missing.status_code == 404 and "No customer" in missing.text


def test_marketer_sees_pii_masked_admin_sees_it_whole(console_data):
    phone, customer_id = _phone_customer(console_data)
    (email,) = sample(
        console_data,
        "select lookup_value from identifiers where customer_id = ? and identifier_type = 'email' limit 1",
        [customer_id],
    )[0]
    local, _, domain = email.partition("@")
    pages = {}
    for name in ("ann", "mo"):
        client = TestClient(create_app(console_data.console_settings()))
        login(client, name)
        pages[name] = client.get(f"/customers/{customer_id}").text
    assert email in pages["ann"] and phone in pages["ann"]
    assert email not in pages["mo"] and phone not in pages["mo"]
    assert f"{local[0]}***@{domain}" in pages["mo"]
    assert "•••" + phone[-3:] in pages["mo"]
    assert "PII masked" in pages["mo"]


def test_graph_path_is_the_explain_answer(app_client, console_data):
    csrf = login(app_client, "ann")
    conn = duckdb.connect(str(console_data.settings.duckdb_path), read_only=True)
    try:
        customer_id = conn.execute(
            "select customer_id from marts.customer_identity_links group by 1 having count(*) between 3 and 20"
            " order by customer_id limit 1"
        ).fetchall()[0][0]
        expected = explain(conn, customer_id)
    finally:
        conn.close()
    page = app_client.get(f"/customers/{customer_id}").text
    nodes = dict(re.findall(r'data-node="(i\d+)"[^>]*>.*?<title>([^<]+)</title>', page))
    key_to_node = {label: node for node, label in nodes.items()}
    start, end = expected.links[0].from_identifier, expected.links[-1].to_identifier
    answer = app_client.post(
        f"/customers/{customer_id}/path",
        headers={"x-csrf-token": csrf},
        json={"from": key_to_node[start], "to": key_to_node[end]},
    )
    assert answer.status_code == 200
    steps = expected.path(start, end)
    assert [(s["from"], s["to"]) for s in answer.json()["steps"]] == [
        (s.from_identifier, s.to_identifier) for s in steps
    ]
    assert all(s["record"] for s in answer.json()["steps"])
    bad = app_client.post(
        f"/customers/{customer_id}/path", headers={"x-csrf-token": csrf}, json={"from": "r0", "to": "i0"}
    )
    assert bad.status_code == 400


def test_a_large_identity_graph_is_grouped_by_type(console_data, monkeypatch):
    conn = sqlite3.connect(console_data.console_store)
    try:
        customer_id, count = conn.execute(
            "select customer_id, count(*) from links group by 1 order by 2 desc limit 1"
        ).fetchall()[0]
        full = graph.explanation(conn, customer_id)
        records = {(link.source, link.source_table, link.source_record_id) for link in full.links}
        monkeypatch.setattr(graph, "COLLAPSE_LIMIT", 4)
        picture, expl = graph.build(conn, customer_id, masked=True)
    finally:
        conn.close()
    assert picture.collapsed and count > 4 and expl is None
    per_type: dict[str, int] = {}
    for key, _ in full.identifiers:
        per_type[key.partition(":")[0]] = per_type.get(key.partition(":")[0], 0) + 1
    labels = {n.id: n.label for n in picture.nodes if n.id.startswith("t:")}
    assert labels == {f"t:{t}": f"{t} ×{n:,}" for t, n in per_type.items()}
    record_nodes = [n.label for n in picture.nodes if n.id.startswith("s:")]
    assert sum(int(label.split("×")[1].split()[0].replace(",", "")) for label in record_nodes) == len(records)
    assert len(picture.nodes) < len(full.identifiers) + len(records)


def test_a_customer_gone_from_the_serving_store_is_gone_from_the_console(console_data, tmp_path):
    """Publish deletes erased and merged-away customers from the store; the console must not show them."""
    from dataclasses import replace

    store = tmp_path / "serving.sqlite"
    source = sqlite3.connect(console_data.serving_store)
    source.backup(target := sqlite3.connect(store))
    source.close()
    phone, customer_id = _phone_customer(console_data)
    for table in ("profiles", "events", "segments", "consents", "recommendations"):
        target.execute(f"delete from {table} where customer_id = ?", [customer_id])
    target.execute("delete from identifiers where customer_id = ?", [customer_id])
    target.commit()
    target.close()
    client = TestClient(create_app(replace(console_data.console_settings(), serving_store=store)))
    csrf = login(client, "ann")
    assert client.get(f"/customers/{customer_id}").status_code == 404
    assert client.post("/search", data={"value": "+" + phone, "csrf": csrf}).status_code == 404
    assert (
        client.post(
            f"/customers/{customer_id}/path", headers={"x-csrf-token": csrf}, json={"from": "i0", "to": "i1"}
        ).status_code
        == 404
    )


def test_segment_page_charts_the_size_history(app_client, console_data):
    login(app_client, "mo")
    conn = sqlite3.connect(console_data.console_store)
    segment, members = conn.execute(
        "select segment, members from segment_sizes order by size_date desc, members desc limit 1"
    ).fetchall()[0]
    conn.close()
    listing = app_client.get("/segments").text
    assert f'href="/segments/{segment}"' in listing
    page = app_client.get(f"/segments/{segment}").text
    figure = json.loads(
        re.search(r'<script type="application/json" class="figure">(.*?)</script>', page, re.S).group(1)
    )
    assert figure["data"][0]["y"][-1] == members
    assert "@" not in re.sub(r"\w\*\*\*@", "", page)  # member emails only masked for the marketer
    assert app_client.get("/segments/no_such_segment").status_code == 404


def test_syncs_page_shows_the_failed_run_and_its_error(app_client, console_data):
    login(app_client, "mo")
    page = app_client.get("/syncs").text
    assert console_data.failed_sync in page
    assert "incomplete" in page and "destination unavailable" in page


def test_overview_counts_match_the_warehouse(app_client, console_data):
    login(app_client, "mo")
    page = app_client.get("/").text
    conn = duckdb.connect(str(console_data.settings.duckdb_path), read_only=True)
    customers = conn.execute("select count(*) from marts.customer_profiles").fetchall()[0][0]
    conn.close()
    assert f'id="count-customers">{customers:,}<' in page
    assert page.count('class="figure"') == 3


def test_refresh_keeps_the_last_store_while_a_writer_holds_the_warehouse(console_data, tmp_path):
    import shutil
    from dataclasses import replace

    copy = replace(console_data.settings, duckdb_path=tmp_path / "warehouse.duckdb")
    shutil.copy(console_data.settings.duckdb_path, copy.duckdb_path)
    out = tmp_path / "console.sqlite"
    refresh(copy, out)
    before = out.stat().st_mtime_ns
    writer = duckdb.connect(str(copy.duckdb_path))  # same process, read-write: a read-only open is refused
    try:
        with pytest.raises(ConsoleStoreError, match="writer"):
            refresh(copy, out)
    finally:
        writer.close()
    assert out.stat().st_mtime_ns == before


def test_report_is_one_self_contained_file_without_pii(console_data, tmp_path):
    out = write_report(console_data.console_store, tmp_path / "report.html")
    text = out.read_text()
    assert "Plotly" in text and text.count("plotly-graph-div") >= 3
    assert not re.search(r"<script[^>]+src=", text)  # nothing loaded from elsewhere
    emails = sample(console_data, "select lookup_value from identifiers where identifier_type = 'email'")
    customers = sample(console_data, "select customer_id from profiles")
    assert emails and customers
    assert not [e for (e,) in emails if e in text] and not [c for (c,) in customers if c in text]
