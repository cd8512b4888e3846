"""The loader's path, proven with what exists today: closed spool files placed as web landing files are
loaded by the existing web dlt source unchanged, into `raw_web.events`."""

import shutil

import duckdb
import orjson
from starlette.testclient import TestClient

from cdp.config import Settings
from ingestion.runner import run_source
from realtime.app import create_app
from tests.realtime.conftest import basic, make_config

CONTEXT = {
    "ip": "203.0.113.7",
    "userAgent": "Mozilla/5.0",
    "locale": "nl-NL",
    "page": {"url": "https://shop.example/p/sku-1", "path": "/p/sku-1", "referrer": None, "title": "Sku 1"},
}
EVENTS = [
    {
        "type": "identify",
        "messageId": "m-identify",
        "userId": "1001",
        "anonymousId": "anon-1",
        "traits": {"email": "ann@example.com", "first_name": "Zoë"},
        "timestamp": "2026-03-01T10:00:00Z",
        "context": CONTEXT,
    },
    {
        "type": "track",
        "messageId": "m-order",
        "userId": "1001",
        "event": "Order Completed",
        "properties": {"order_id": "5001", "revenue": 84.5, "currency": "EUR", "note": "'); DROP TABLE x;--"},
        "timestamp": "2026-03-01T10:00:05Z",
        "context": CONTEXT,
    },
    {"type": "page", "messageId": "m-page", "anonymousId": "anon-1", "name": "Home", "context": CONTEXT},
    {"type": "alias", "messageId": "m-alias", "previousId": "anon-1", "userId": "1001"},
]


def test_closed_spool_files_load_into_raw_web_events_with_the_existing_web_source(tmp_path):
    spool_dir = tmp_path / "spool"
    with TestClient(create_app(make_config(spool_dir, rotate_bytes=600))) as client:
        body = {"batch": EVENTS[:2], "sentAt": "2026-03-01T10:00:10Z"}
        assert client.post("/v1/batch", content=orjson.dumps(body), headers=basic()).status_code == 200
        for event in EVENTS[2:]:
            path = "/v1/" + event["type"]
            assert client.post(path, content=orjson.dumps(event), headers=basic()).status_code == 200
        retry = client.post("/v1/track", content=orjson.dumps(EVENTS[1]), headers=basic())
        assert retry.status_code == 200
    closed = sorted((spool_dir / "closed").glob("*.jsonl"))
    assert len(closed) >= 2

    landing = tmp_path / "landing"
    (landing / "web" / "events").mkdir(parents=True)
    for path in closed:
        shutil.copy(path, landing / "web" / "events" / path.name)
    # A torn last line as a crash could leave it in a file copied without recovery: the reader tolerates it.
    torn = landing / "web" / "events" / "2026-03-01T235959.000000Z.jsonl"
    torn.write_bytes(b'{"type":"track","messageId":"m-torn","userId":"10')
    settings = Settings(duckdb_path=tmp_path / "warehouse.duckdb", landing_dir=landing, pipelines_dir=tmp_path / "p")

    run = run_source("web", settings)

    assert run.rows_by_table["events"] == 4
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        rows = con.execute(
            "select message_id, type, event, user_id, traits_email, properties_revenue, properties,"
            " received_at is not null, timestamp is not null from raw_web.events order by message_id"
        ).fetchall()
        quarantined = con.execute("select raw_payload from raw_web._quarantine").fetchall()
    by_id = {row[0]: row for row in rows}
    assert sorted(by_id) == ["m-alias", "m-identify", "m-order", "m-page"]
    assert by_id["m-order"][1:4] == ("track", "Order Completed", "1001")
    assert by_id["m-order"][5] == 84.5
    assert orjson.loads(by_id["m-order"][6])["note"] == "'); DROP TABLE x;--"
    assert by_id["m-identify"][4] == "ann@example.com"
    assert all(row[7] and row[8] for row in rows)
    assert quarantined == [('{"type":"track","messageId":"m-torn","userId":"10',)]
