"""Traits computed as of a past date read nothing after it (a copy of the demo warehouse rebuilt with
`--vars '{as_of: 2026-06-30}'`)."""

import duckdb
import pytest

from cdp.build import run_dbt

AS_OF = "2026-06-30 00:00:00"
REBUILT = [
    "int_customer_attributes_survived",
    "int_customer_events_unioned",
    "path:models/intermediate/traits",
    "customer_profiles",
    "customer_timeline",
]


@pytest.fixture(scope="module")
def past(warehouse_copy):
    run_dbt(warehouse_copy, "run", ["--select", *REBUILT, "--vars", f"{{as_of: '{AS_OF}'}}"], quiet=True)
    conn = duckdb.connect(str(warehouse_copy.duckdb_path))
    yield conn
    conn.close()


def test_profile_records_the_as_of_it_was_computed_at(past):
    rows = past.execute("select distinct traits_as_of from marts.customer_profiles").fetchall()
    assert {str(row[0]) for row in rows} == {AS_OF}


def test_nothing_after_as_of_reaches_profiles_or_timeline(past):
    latest = past.execute(
        """
        select
            (select max(last_seen_at) from marts.customer_profiles),
            (select max(last_order_date) from marts.customer_profiles),
            (select max(last_web_seen_at) from marts.customer_profiles),
            (select max(occurred_at) from marts.customer_timeline)
        """
    ).fetchone()
    assert all(str(value) <= AS_OF for value in latest), latest


def test_orders_as_of_equal_the_orders_placed_by_then(past):
    profile_orders, expected = past.execute(
        f"""
        select
            (select sum(orders_count) from marts.customer_profiles),
            (select count(*) from intermediate.int_orders_unioned
             where customer_id is not null and not is_return and ordered_at <= timestamp '{AS_OF}')
        """
    ).fetchone()
    later = past.execute(
        f"select count(*) from intermediate.int_orders_unioned where ordered_at > timestamp '{AS_OF}'"
    ).fetchone()[0]
    assert profile_orders == expected
    assert later > 0, "the demo data must reach past as_of for this test to mean anything"


def test_days_since_last_order_count_to_as_of(past):
    bad = past.execute(
        f"""
        select count(*) from marts.customer_profiles
        where days_since_last_order <> date_diff('day', last_order_date, date '{AS_OF[:10]}')
        """
    ).fetchone()[0]
    assert bad == 0
