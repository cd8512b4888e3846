"""Publish copies the marts into the serving store and, run again, writes only what changed."""

import sqlite3

import duckdb

from serving import publish
from tests.serving.conftest import Published


def test_first_publish_holds_one_document_per_customer_and_table(published: Published, warehouse) -> None:
    counts = published.first.tables
    expected = {
        "profiles": "select count(*) from marts.customer_profiles",
        "segments": "select count(distinct customer_id) from marts.segment_memberships",
        "recommendations": "select count(distinct customer_id) from marts.customer_product_recommendations",
        "events": "select count(distinct customer_id) from marts.customer_timeline",
        "consents": "select count(distinct customer_id) from marts.customer_consents",
        "identifiers": "select count(*) from marts.customer_identities where is_linkable",
    }
    for table, sql in expected.items():
        assert counts[table].upserted == warehouse.execute(sql).fetchone()[0] > 0, table
        assert counts[table].deleted == 0
    store = sqlite3.connect(published.store)
    assert store.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert store.execute("select count(*) from profiles").fetchone()[0] == counts["profiles"].upserted


def test_second_publish_without_changes_writes_nothing(published: Published) -> None:
    again = publish(published.settings, published.store)
    assert again.rows_written == 0
    assert again.tables["profiles"].unchanged == published.first.tables["profiles"].upserted


def test_a_changed_customer_is_the_only_one_published(changed_warehouse) -> None:
    settings, store = changed_warehouse
    conn = duckdb.connect(str(settings.duckdb_path))
    customer_id = conn.execute("select min(customer_id) from marts.customer_profiles").fetchone()[0]
    conn.execute("update marts.customer_profiles set city = 'Zwolle' where customer_id = ?", [customer_id])
    conn.close()

    result = publish(settings, store)

    assert result.tables["profiles"].upserted == 1
    assert result.rows_written == 1
    body = sqlite3.connect(store).execute("select body from profiles where customer_id = ?", [customer_id]).fetchone()
    assert '"city":"Zwolle"' in body[0]


def test_a_customer_gone_from_the_marts_is_deleted_with_their_identifiers(changed_warehouse) -> None:
    settings, store = changed_warehouse
    conn = duckdb.connect(str(settings.duckdb_path))
    customer_id = conn.execute(
        "select min(customer_id) from marts.customer_identities where identifier_type = 'email' and is_linkable"
    ).fetchone()[0]
    identifiers = conn.execute(
        "select count(*) from marts.customer_identities where customer_id = ? and is_linkable", [customer_id]
    ).fetchone()[0]
    conn.execute("delete from marts.customer_profiles where customer_id = ?", [customer_id])
    conn.execute("delete from marts.customer_identities where customer_id = ?", [customer_id])
    conn.close()

    result = publish(settings, store)

    assert result.tables["profiles"].deleted == 1
    assert result.tables["identifiers"].deleted == identifiers
    assert result.tables["profiles"].upserted == 0
    store_conn = sqlite3.connect(store)
    assert store_conn.execute("select count(*) from profiles where customer_id = ?", [customer_id]).fetchone()[0] == 0
    assert (
        store_conn.execute("select count(*) from identifiers where customer_id = ?", [customer_id]).fetchone()[0] == 0
    )


def test_leaving_the_last_segment_removes_the_segments_document(changed_warehouse) -> None:
    settings, store = changed_warehouse
    conn = duckdb.connect(str(settings.duckdb_path))
    customer_id = conn.execute(
        "select customer_id from marts.segment_memberships group by 1 having count(*) = 1 order by 1 limit 1"
    ).fetchone()[0]
    conn.execute("delete from marts.segment_memberships where customer_id = ?", [customer_id])
    conn.close()

    result = publish(settings, store)

    assert (result.tables["segments"].upserted, result.tables["segments"].deleted) == (0, 1)
    assert result.rows_written == 1
