"""Micro-batches rewrite only the customers they touch, and give the same tables as a whole build.

On a copy of the demo warehouse, with `as_of` pinned (so no clock-driven trait moves between runs): the
loader's first run rebuilds everything whole; a first micro-batch brings events for a few known users
(one from a new browser, stitched to its user) and a lone new anonymous visitor; a second one identifies
that visitor as a known user, merging the visitor's customer id away. Each per-customer table must then
equal what a whole build of the same data gives."""

import json

import duckdb
import orjson
import pytest
from starlette.testclient import TestClient

from cdp.build import run_dbt
from cdp.config import Settings
from cdp.warehouse import copy_installation
from realtime.app import create_app
from realtime.loader import FIRST_BATCH_SELECTOR, Builder, load_batch
from tests.realtime.conftest import basic, make_config

AS_OF = "2026-11-02 00:00:00"
EVENT_AT = "2026-11-01T12:00:00Z"
LONE_ANONYMOUS_ID = "test-anon-lone-visitor"
# every table with one or more rows per customer that a micro-batch writes, and their schema
PER_CUSTOMER_TABLES = [
    "intermediate.int_customer_order_traits",
    "intermediate.int_customer_product_traits",
    "intermediate.int_customer_product_interactions",
    "intermediate.int_customer_web_traits",
    "intermediate.int_customer_email_traits",
    "intermediate.int_customer_support_traits",
    "intermediate.int_customer_marketing_traits",
    "intermediate.int_customer_rfm",
    "marts.customer_profiles",
    "marts.customer_timeline",
]
# rewritten for the touched customers only, from co-occurrences over everyone: exact for those customers,
# the others' lists wait for the next whole build
RECOMMENDATIONS = "marts.customer_product_recommendations"
WRITTEN_TABLES = [*PER_CUSTOMER_TABLES, RECOMMENDATIONS]


def _query(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.duckdb_path)) as con:
        return con.execute(sql, params or []).fetchall()


def _collect(spool_dir, events: list[dict]) -> None:
    with TestClient(create_app(make_config(spool_dir, rotate_bytes=4000))) as client:
        body = {"batch": events}
        assert client.post("/v1/batch", content=orjson.dumps(body), headers=basic()).status_code == 200


def _event(number: int, **fields) -> dict:
    return {"messageId": f"test-micro-batch-{number}", "timestamp": EVENT_AT, "context": {"locale": "nl-NL"}, **fields}


def _customer_of_user(settings: Settings, user_id: str) -> str:
    rows = _query(
        settings,
        "select customer_id from marts.customer_identities where identifier_type = 'user_id' and identifier_value = ?",
        [user_id],
    )
    assert len(rows) == 1, user_id
    return rows[0][0]


def _mergeable_buyer(settings: Settings, customer: str, excluded: set[str]) -> tuple[str, str]:
    """A customer with orders, an email and identifiers that `customer`'s fit beside within every type's
    limit (seed identifier_types), so a record linking the two merges them; and that email."""
    rows = _query(
        settings,
        """
        with counts as (
            select customer_id, identifier_type, count(*) as n
            from marts.customer_identities where is_linkable group by all
        ),
        over_limit as (
            select other.customer_id
            from counts as other
            inner join reference.identifier_types as types on other.identifier_type = types.identifier_type
            left join counts as mine on mine.customer_id = ? and mine.identifier_type = other.identifier_type
            where coalesce(mine.n, 0) + other.n > types.max_per_customer
        )
        select traits.customer_id, min(ids.identifier_value)
        from intermediate.int_customer_order_traits as traits
        inner join marts.customer_identities as ids
            on traits.customer_id = ids.customer_id and ids.identifier_type = 'email' and ids.is_linkable
        where traits.count_orders > 0
            and traits.customer_id not in (select customer_id from over_limit)
            and traits.customer_id not in (select unnest(?))
        group by traits.customer_id
        order by traits.customer_id
        limit 1
        """,
        [customer, sorted(excluded)],
    )
    assert rows, "no buyer to merge with"
    return rows[0]


def _touched(settings: Settings) -> set[str]:
    return {r[0] for r in _query(settings, "select customer_id from intermediate.int_customers_touched")}


def _ids(settings: Settings, table: str) -> set[str]:
    return {r[0] for r in _query(settings, f"select distinct customer_id from {table}")}


@pytest.fixture(scope="module")
def runs(demo_warehouse, tmp_path_factory):
    """Runs the scenario once; yields what the tests check."""
    root = tmp_path_factory.mktemp("micro_batch")
    settings = copy_installation(demo_warehouse, root / "warehouse")
    spool = root / "spool"
    builder = Builder(settings, full_build_every_s=float("inf"), extra_vars={"as_of": AS_OF})
    builder.build()  # the process's first run: every table whole

    users = [
        r[0]
        for r in _query(
            settings,
            "select identifier_value from marts.customer_identities where identifier_type = 'user_id' "
            "order by identifier_value limit 4",
        )
    ]
    customers = {user: _customer_of_user(settings, user) for user in users}
    sku = _query(settings, "select sku from staging.stg_catalog__products order by sku limit 1")[0][0]
    events, number = [], 0
    for i, user in enumerate(users):
        # the first user logs in from a new browser: its anonymous id must be stitched to them
        ids = {"userId": user, "anonymousId": f"test-anon-new-browser-{i}"} if i == 0 else {"userId": user}
        for name, properties in [
            ("Product Viewed", {"sku": sku, "category": "knitwear"}),
            ("Product Added", {"sku": sku, "cart_id": f"test-cart-{i}", "quantity": 1}),
        ]:
            number += 1
            events.append(_event(number, type="track", event=name, properties=properties, **ids))
    for page in range(3):
        number += 1
        events.append(_event(number, type="page", name=f"Page {page}", anonymousId=LONE_ANONYMOUS_ID))

    # a customer each table has and the batch does not touch: delete its rows, so that a rewrite would show
    untouched = {}
    with duckdb.connect(str(settings.duckdb_path)) as con:
        for table in WRITTEN_TABLES:
            if table in ("intermediate.int_customer_rfm", "intermediate.int_customer_order_traits"):
                continue  # RFM is rebuilt whole from the order traits: a hole there would move every score
            extra = {
                # a profile whose RFM scores moved is rewritten too: pick a customer without RFM scores
                "marts.customer_profiles": "and rfm_segment = 'no purchases'",
                # recommendations count every customer's pairs of products and purchases: pick a customer
                # with one product viewed, who adds neither
                "intermediate.int_customer_product_interactions": "and customer_id in (select customer_id "
                f"from {table} group by customer_id having count(*) = 1 and not bool_or(is_bought))",
            }.get(table, "")
            row = con.execute(
                f"select min(customer_id) from {table} where customer_id not in (select unnest(?)) {extra}",
                [list(customers.values())],
            ).fetchall()[0][0]
            assert row is not None, f"no untouched customer to mark in {table}"
            con.execute(f"delete from {table} where customer_id = ?", [row])
            untouched[table] = row
        # and a touched customer's rows: a rewrite must bring them back
        for table in WRITTEN_TABLES:
            con.execute(f"delete from {table} where customer_id = ?", [customers[users[1]]])

    _collect(spool, events)
    first = load_batch(settings, spool, build=True, builder=builder)
    lone = _query(
        settings,
        "select customer_id from marts.customer_identities where identifier_type = 'anonymous_id' "
        "and identifier_value = ?",
        [LONE_ANONYMOUS_ID],
    )[0][0]
    after_first = {
        "touched": _touched(settings),
        "ids": {table: _ids(settings, table) for table in WRITTEN_TABLES},
        "new_browser": _query(
            settings,
            "select customer_id from marts.customer_identities where identifier_type = 'anonymous_id' "
            "and identifier_value = 'test-anon-new-browser-0'",
        ),
    }

    # the lone visitor logs in: their customer id merges into the user's; and another user gives the email
    # of a buyer the graph kept apart, so two buyers merge: every buyer's RFM quintile may move
    merge_user, buyer_user = users[2], users[3]
    buyer, buyer_email = _mergeable_buyer(settings, customers[buyer_user], {*customers.values(), *untouched.values()})
    _collect(
        spool,
        [
            _event(100, type="identify", userId=merge_user, anonymousId=LONE_ANONYMOUS_ID),
            _event(101, type="identify", userId=buyer_user, traits={"email": buyer_email}),
        ],
    )
    scores = (
        "select customer_id, rfm_recency_score, rfm_frequency_score, rfm_monetary_score"
        " from intermediate.int_customer_rfm"
    )
    rfm_before = set(_query(settings, scores))
    second = load_batch(settings, spool, build=True, builder=builder)
    rfm_moved = {row[0] for row in set(_query(settings, scores)) - rfm_before}
    history = _query(
        settings,
        "select old_customer_id, customer_id, change_type from marts.customer_id_history "
        "where old_customer_id in (?, ?, ?) order by 1",
        [lone, buyer, customers[buyer_user]],
    )
    after_second = {"touched": _touched(settings), "ids": {t: _ids(settings, t) for t in WRITTEN_TABLES}}

    # keep what the micro-batches left, then rebuild everything whole from the same data
    with duckdb.connect(str(settings.duckdb_path)) as con:
        con.execute("create schema micro_batch_result")
        for table in WRITTEN_TABLES:
            con.execute(f"create table micro_batch_result.{table.split('.')[1]} as select * from {table}")
    run_dbt(settings, "run", ["--selector", FIRST_BATCH_SELECTOR, "--vars", json.dumps({"as_of": AS_OF})], quiet=True)
    yield {
        "settings": settings,
        "customers": customers,
        "users": users,
        "untouched": untouched,
        "lone": lone,
        "merge_user": merge_user,
        "buyers": (customers[buyer_user], buyer),
        "rfm_moved": rfm_moved,
        "results": (first, second),
        "after_first": after_first,
        "after_second": after_second,
        "history": history,
    }


def test_micro_batch_recomputes_exactly_the_customers_of_its_events(runs):
    first, second = runs["results"]
    assert not first.full_build and not second.full_build
    assert first.rows_loaded == 2 * len(runs["users"]) + 3
    expected = set(runs["customers"].values()) | {runs["lone"]}
    assert runs["after_first"]["touched"] == expected
    # the new browser's anonymous id is stitched to its user's customer
    assert runs["after_first"]["new_browser"] == [(runs["customers"][runs["users"][0]],)]


def test_untouched_customers_rows_are_not_rewritten_and_touched_ones_are(runs):
    touched_customer = runs["customers"][runs["users"][1]]
    for table, customer in runs["untouched"].items():
        ids = runs["after_first"]["ids"][table]
        assert customer not in ids, f"{table}: untouched {customer} was rewritten"
    for table in [
        "intermediate.int_customer_web_traits",
        "intermediate.int_customer_product_interactions",
        "marts.customer_profiles",
        "marts.customer_timeline",
    ]:
        assert touched_customer in runs["after_first"]["ids"][table], table


def test_a_merge_through_the_new_link_removes_the_merged_away_id(runs):
    lone, survivor = runs["lone"], runs["customers"][runs["merge_user"]]
    buyers = set(runs["buyers"])
    history = {old: (new, change) for old, new, change in runs["history"]}
    assert history[lone] == (survivor, "merge")
    # the two buyers merged: one id survives, the other is gone
    (gone_buyer,) = buyers & set(history)
    (kept_buyer,) = buyers - {gone_buyer}
    assert history[gone_buyer] == (kept_buyer, "merge")
    assert runs["after_second"]["touched"] == {lone, survivor, *buyers}
    assert lone in runs["after_first"]["ids"]["marts.customer_profiles"]
    for table, ids in runs["after_second"]["ids"].items():
        assert lone not in ids, table
        assert gone_buyer not in ids, table
    assert {survivor, kept_buyer} <= runs["after_second"]["ids"]["marts.customer_profiles"]
    assert kept_buyer in runs["after_second"]["ids"]["intermediate.int_customer_order_traits"]


@pytest.mark.parametrize("table", PER_CUSTOMER_TABLES, ids=[t.split(".")[1] for t in PER_CUSTOMER_TABLES])
def test_micro_batch_tables_equal_a_whole_build(runs, table):
    settings = runs["settings"]
    name = table.split(".")[1]
    # the rows deleted on purpose above (untouched customers) are the only expected difference, there and
    # downstream: a profile whose RFM scores the buyers' merge moved is rewritten from those tables
    skip = runs["untouched"].get(table, "")
    tampered = sorted(runs["untouched"].values())
    for left, right in [(f"micro_batch_result.{name}", table), (table, f"micro_batch_result.{name}")]:
        extra = _query(
            settings,
            f"select * from (select * from {left} except all select * from {right}) "
            "where customer_id not in (select unnest(?)) limit 5",
            [tampered],
        )
        assert extra == [], f"{left} has rows {right} has not: {extra}"
    if skip:  # the whole build has that customer again
        assert _query(settings, f"select count(*) from {table} where customer_id = ?", [skip])[0][0] > 0


def test_recommendations_of_touched_customers_equal_a_whole_build(runs):
    # the last batch's customers were scored against the co-occurrences a whole build of the same data sees
    # (the first batch's were not: the buyers' merge in the second moved interactions)
    settings = runs["settings"]
    touched = sorted(runs["after_second"]["touched"])
    kept = "micro_batch_result.customer_product_recommendations"
    for left, right in [(kept, RECOMMENDATIONS), (RECOMMENDATIONS, kept)]:
        extra = _query(
            settings,
            f"select * from (select * from {left} except all select * from {right}) "
            "where customer_id in (select unnest(?)) limit 5",
            [touched],
        )
        assert extra == [], f"{left} has rows {right} has not: {extra}"
    listed = _query(
        settings, f"select count(distinct customer_id) from {kept} where customer_id in (select unnest(?))", [touched]
    )
    assert listed[0][0] == len(touched) - 2  # all but the ids merged away


def test_the_buyers_merge_moved_other_customers_rfm_scores(runs):
    # what makes customer_profiles rewrite customers the batch did not touch (compared above)
    assert len(runs["rfm_moved"] - runs["after_second"]["touched"]) > 0
