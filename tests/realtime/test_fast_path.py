"""The fast path types spooled events exactly as the timeline does, and places each once."""

import sqlite3

import orjson

from realtime.fast_path import place, timeline_entry
from serving.store import connect_writer


def test_spooled_events_are_typed_as_the_timeline_types_them(demo_warehouse, demo_db):
    """timeline_entry (Python, on the JSON the collector spools) against the view int_web_events_described
    (SQL, on the loaded rows), for every generated web event."""
    expected = {}
    rows = demo_db.execute(
        "select event_id, strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%fZ'), event_type, event_description, sku"
        " from intermediate.int_web_events_described"
    ).fetchall()
    for event_id, occurred_at, event_type, description, sku in rows:
        expected[event_id] = (occurred_at, event_type, description, sku)
    compared = 0
    for path in sorted((demo_warehouse.landing_dir / "web" / "events").glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            try:
                event = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if not isinstance(event, dict) or event.get("messageId") not in expected:
                continue  # quarantined by the web source
            entry = timeline_entry(event)
            want = expected[event["messageId"]]
            if want[0] is None:
                assert entry is None
                continue
            got = (entry["occurred_at"], entry["event_type"], entry["event_description"], entry["sku"])
            assert got == want, event["messageId"]
            compared += 1
    assert compared > 0.9 * len(expected)


def test_an_entry_is_placed_once_and_newest_first(tmp_path):
    store = connect_writer(tmp_path / "serving.sqlite")
    old = {"occurred_at": "2026-01-01T00:00:00.000000Z", "source": "web", "event_type": "page"}
    store.execute("insert into events values ('c1', ?, 'h')", [orjson.dumps([old]).decode()])
    new = {**old, "occurred_at": "2026-02-01T00:00:00.000000Z", "event_type": "product_added"}
    assert place(store, [("c1", new), ("c1", old)]) == 1
    assert place(store, [("c1", new)]) == 0  # already there: a re-placement after a publish adds nothing
    body = orjson.loads(store.execute("select body from events where customer_id = 'c1'").fetchone()[0])
    assert [e["event_type"] for e in body] == ["product_added", "page"]
    store.close()
    assert sqlite3.connect(tmp_path / "serving.sqlite").execute("select count(*) from events").fetchone()[0] == 1
