"""The privacy page: admin only; a request waits in the console's queue while the writer lock is held and
runs (the real `run_request`) once it is free; the access export downloads, or says clearly it cannot now."""

import json
import shutil
import threading
import time
from dataclasses import replace

import duckdb
import pytest
from starlette.testclient import TestClient

from cdp.lock import warehouse_lock
from cdp.privacy.requests import run_request
from console import privacy
from console.app import create_app
from tests.console.conftest import login, sample


@pytest.fixture
def privacy_console(console_data, tmp_path):
    """A console over a writable copy of the warehouse, with its own queue (beside its console store)."""
    warehouse = replace(console_data.settings, duckdb_path=tmp_path / "warehouse.duckdb")
    shutil.copy(console_data.settings.duckdb_path, warehouse.duckdb_path)
    key = console_data.settings.duckdb_path.with_name("privacy.key")
    if key.exists():
        shutil.copy(key, tmp_path / "privacy.key")
    console_store = tmp_path / "console.sqlite"
    shutil.copy(console_data.console_store, console_store)
    settings = replace(console_data.console_settings(), console_store=console_store, warehouse=warehouse)
    return TestClient(create_app(settings)), warehouse, privacy.queue_path(console_store)


def _email(console_data) -> str:
    return sample(console_data, "select lookup_value from identifiers where identifier_type = 'email' limit 1")[0][0]


def test_privacy_is_for_admins_only(privacy_console):
    client, _, _ = privacy_console
    csrf = login(client, "mo")
    assert client.get("/privacy").status_code == 403
    answer = client.post("/privacy/export", data={"csrf": csrf, "identifier": "email:a@b.example"})
    assert answer.status_code == 403
    assert 'href="/privacy"' not in client.get("/").text


def test_a_request_waits_for_the_writer_then_runs(privacy_console, console_data):
    client, warehouse, queue = privacy_console
    csrf = login(client, "ann")
    email = _email(console_data)
    with warehouse_lock(warehouse.duckdb_path, "cdp run"):
        answer = client.post(
            "/privacy/requests", data={"csrf": csrf, "request_type": "suppress", "identifier": f"email:{email}"}
        )
        assert answer.status_code == 200  # redirected to the page
        deadline = time.monotonic() + 10
        while not (rows := privacy.listing(queue)) or not rows[0]["message"]:
            assert time.monotonic() < deadline, "the queue was not tried"
            time.sleep(0.05)
        assert rows[0]["status"] == "queued" and "cdp run" in rows[0]["message"]
        page = client.get("/privacy").text
        assert "queued" in page and email not in page  # the identifier is not shown back
        # the page view tried the queue again in the background: let those tries end while the lock is held
        for thread in threading.enumerate():
            if thread.name == "console-privacy":
                thread.join(timeout=30)
    ran = privacy.process(
        queue, warehouse, runner=lambda s, t, i: run_request(s, t, i, rebuild=False, erase_destinations=lambda *a: [])
    )
    assert ran == 1
    (row,) = privacy.listing(queue)
    assert row["status"] == "done" and row["privacy_request_id"]
    conn = duckdb.connect(str(warehouse.duckdb_path), read_only=True)
    status = conn.execute(
        "select status from privacy.requests where request_id = ?", [row["privacy_request_id"]]
    ).fetchall()
    conn.close()
    assert status == [("done",)]
    stored = privacy._connect(queue).execute("select identifier from requests").fetchall()
    assert stored == [(None,)]  # the identifier is dropped once the request ran


def test_a_malformed_request_is_refused_with_the_reason(privacy_console):
    client, _, queue = privacy_console
    csrf = login(client, "ann")
    answer = client.post("/privacy/requests", data={"csrf": csrf, "request_type": "suppress", "identifier": "ann"})
    assert answer.status_code == 400 and "KIND:VALUE" in answer.text
    answer = client.post(
        "/privacy/requests", data={"csrf": csrf, "request_type": "forget", "identifier": "email:a@b.c"}
    )
    assert answer.status_code == 400 and "forget" in answer.text
    assert privacy.listing(queue) == []


def test_the_access_export_downloads_or_says_why_not(privacy_console, console_data):
    client, warehouse, _ = privacy_console
    csrf = login(client, "ann")
    email = _email(console_data)
    (customer_id,) = sample(
        console_data,
        "select customer_id from identifiers where identifier_type = 'email' and lookup_value = ?",
        [email],
    )[0]
    answer = client.post("/privacy/export", data={"csrf": csrf, "identifier": f"email:{email}"})
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    assert customer_id in json.dumps(answer.json())
    with warehouse_lock(warehouse.duckdb_path, "cdp build"):
        busy = client.post("/privacy/export", data={"csrf": csrf, "identifier": f"email:{email}"})
    assert busy.status_code == 409 and "cdp build" in busy.text
