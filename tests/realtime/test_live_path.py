"""The live path end to end on the demo warehouse: an event posted to the collector is in the profile
API's serving store after one loader batch (load, dbt build, publish)."""

import sqlite3

import duckdb
import orjson
from starlette.testclient import TestClient

from realtime.app import create_app
from realtime.loader import load_batch
from serving import store_path
from tests.privacy.conftest import copy_warehouse
from tests.realtime.conftest import basic, make_config


def test_a_collected_event_reaches_the_serving_store_in_one_batch(demo_warehouse, tmp_path):
    settings = copy_warehouse(demo_warehouse, tmp_path / "live")
    with duckdb.connect(str(settings.duckdb_path)) as con:
        customer_id, user_id = con.execute(
            "select customer_id, identifier_value from marts.customer_identities"
            " where identifier_type = 'user_id' order by customer_id limit 1"
        ).fetchone()
    event = {
        "type": "track",
        "event": "Product Viewed",
        "messageId": "live-path-1",
        "userId": user_id,
        "anonymousId": "live-path-browser",
        "properties": {"sku": "LIVE-SKU-1", "product_id": "LIVE-SKU-1"},
        "timestamp": "2026-11-20T12:00:00Z",
    }
    spool = tmp_path / "spool"
    with TestClient(create_app(make_config(spool))) as client:
        assert client.post("/v1/track", content=orjson.dumps(event), headers=basic()).status_code == 200
    result = load_batch(settings, spool, build=True, publish=True)
    assert result.files_moved == 1 and result.rows_published > 0

    with sqlite3.connect(store_path(settings)) as store:
        (body,) = store.execute("select body from events where customer_id = ?", [customer_id]).fetchone()
    newest = orjson.loads(body)[0]
    assert newest["occurred_at"].startswith("2026-11-20T12:00:00")
    assert newest["sku"] == "LIVE-SKU-1"


def test_a_known_customers_event_is_on_their_profile_before_any_dbt_run(demo_warehouse, tmp_path):
    """The fast path: the loader puts a loaded event on the customer's events document at once (found by
    user id or by an anonymous id the store knows); a visitor nobody knows waits for the build."""
    from serving import publish

    settings = copy_warehouse(demo_warehouse, tmp_path / "fast")
    publish(settings)
    with duckdb.connect(str(settings.duckdb_path)) as con:
        customer_id, anonymous_id = con.execute(
            "select customer_id, identifier_value from marts.customer_identities"
            " where identifier_type = 'anonymous_id' and is_linkable order by customer_id limit 1"
        ).fetchone()
    known = {
        "type": "track",
        "event": "Product Added",
        "messageId": "fast-path-1",
        "anonymousId": anonymous_id,
        "properties": {"sku": "FAST-SKU-1", "product_id": "FAST-SKU-1", "cart_id": "c-1"},
        "timestamp": "2026-11-21T08:00:00Z",
    }
    stranger = {**known, "messageId": "fast-path-2", "anonymousId": "nobody-knows-this-browser"}
    spool = tmp_path / "spool"
    with TestClient(create_app(make_config(spool))) as client:
        for event in (known, stranger):
            assert client.post("/v1/track", content=orjson.dumps(event), headers=basic()).status_code == 200

    result = load_batch(settings, spool, build=False, publish=True)

    assert (result.rows_loaded, result.events_fast_published, result.seconds_build) == (2, 1, 0.0)
    with sqlite3.connect(store_path(settings)) as store:
        (body,) = store.execute("select body from events where customer_id = ?", [customer_id]).fetchone()
    newest = orjson.loads(body)[0]
    assert (newest["event_type"], newest["sku"], newest["source"]) == ("product_added", "FAST-SKU-1", "web")
    assert newest["occurred_at"].startswith("2026-11-21T08:00:00")
