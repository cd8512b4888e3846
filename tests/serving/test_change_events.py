"""Publish records what it changed as events others can react to: traits changed, segments entered and
exited, profiles created and deleted; the profile API pages through them by sequence number."""

import sqlite3

import duckdb
import pytest

from serving import publish
from serving.changes import profile_changes, segment_changes
from tests.serving.conftest import AUTH, Published


def _changes(store) -> list[tuple]:
    conn = sqlite3.connect(store)
    try:
        return conn.execute(
            "select customer_id, change_type, name, old_value, new_value from changes order by seq"
        ).fetchall()
    finally:
        conn.close()


def test_the_first_publish_is_a_baseline_without_change_events(published: Published) -> None:
    assert published.first.changes == 0
    assert _changes(published.store) == []


def test_trait_and_segment_changes_are_recorded_with_old_and_new_values(changed_warehouse) -> None:
    settings, store = changed_warehouse
    conn = duckdb.connect(str(settings.duckdb_path))
    customer_id, segment = conn.execute(
        "select customer_id, min(segment) from marts.segment_memberships group by 1 order by 1 limit 1"
    ).fetchone()
    tier = conn.execute(
        "select loyalty_tier from marts.customer_profiles where customer_id = ?", [customer_id]
    ).fetchone()[0]
    conn.execute(
        "update marts.customer_profiles set loyalty_tier = 'platinum', city = 'Zwolle', days_since_last_order = 9999"
        " where customer_id = ?",
        [customer_id],
    )
    conn.execute("delete from marts.segment_memberships where customer_id = ? and segment = ?", [customer_id, segment])
    conn.execute(
        "insert into marts.segment_memberships (segment, customer_id, entered_at, is_holdout)"
        " select 'vip_test_segment', ?, current_timestamp, false",
        [customer_id],
    )
    conn.close()

    result = publish(settings, store)

    recorded = _changes(store)
    assert result.changes == len(recorded) == 4
    assert (customer_id, "trait_changed", "loyalty_tier", f'"{tier}"' if tier else None, '"platinum"') in recorded
    # a contact detail or name changes without its values in the log; a clock-driven trait is not an event
    assert (customer_id, "trait_changed", "city", None, None) in recorded
    assert not [r for r in recorded if r[2] == "days_since_last_order"]
    assert (customer_id, "segment_exited", segment, None, None) in recorded
    assert (customer_id, "segment_entered", "vip_test_segment", None, None) in recorded

    assert publish(settings, store).changes == 0  # nothing changed since


def test_a_customer_who_goes_is_a_profile_deleted_event(changed_warehouse) -> None:
    settings, store = changed_warehouse
    conn = duckdb.connect(str(settings.duckdb_path))
    customer_id = conn.execute("select min(customer_id) from marts.customer_profiles").fetchone()[0]
    conn.execute("delete from marts.customer_profiles where customer_id = ?", [customer_id])
    conn.close()

    publish(settings, store)

    assert (customer_id, "profile_deleted", None, None, None) in _changes(store)


def test_differs_compare_documents() -> None:
    assert [c.change_type for c in profile_changes("c1", None, '{"a": 1}')] == ["profile_created"]
    assert [
        (c.name, c.old_value, c.new_value) for c in profile_changes("c1", '{"a": 1, "b": 2}', '{"a": 1, "b": 3}')
    ] == [("b", 2, 3)]
    entered_exited = segment_changes(
        "c1", '[{"segment": "x"}, {"segment": "y"}]', '[{"segment": "y"}, {"segment": "z"}]'
    )
    assert [(c.change_type, c.name) for c in entered_exited] == [("segment_entered", "z"), ("segment_exited", "x")]


@pytest.fixture
def store_with_changes(changed_warehouse):
    settings, store = changed_warehouse
    conn = duckdb.connect(str(settings.duckdb_path))
    conn.execute(
        "update marts.customer_profiles set loyalty_points = coalesce(loyalty_points, 0) + 1"
        " where customer_id in (select customer_id from marts.customer_profiles order by 1 limit 3)"
    )
    conn.close()
    assert publish(settings, store).changes == 3
    return store


def test_the_api_pages_through_changes_by_sequence_number(store_with_changes) -> None:
    from starlette.testclient import TestClient

    from serving.app import ApiSettings, create_app
    from tests.serving.conftest import TOKEN

    client = TestClient(create_app(ApiSettings(store=store_with_changes, tokens=(TOKEN,))))
    assert client.get("/v1/changes").status_code == 401
    assert client.get("/v1/changes?after=x", headers=AUTH).json()["error"] == "bad_after"
    assert client.get("/v1/changes?limit=0", headers=AUTH).status_code == 400

    first = client.get("/v1/changes?limit=2", headers=AUTH).json()
    assert [i["name"] for i in first["items"]] == ["loyalty_points", "loyalty_points"]
    rest = client.get(f"/v1/changes?after={first['next_after']}", headers=AUTH).json()
    assert len(rest["items"]) == 1 and rest["items"][0]["seq"] > first["next_after"]
    item = rest["items"][0]
    assert item["change_type"] == "trait_changed" and item["new_value"] == (item["old_value"] or 0) + 1
    done = client.get(f"/v1/changes?after={rest['next_after']}", headers=AUTH).json()
    assert done == {"items": [], "next_after": rest["next_after"]}
