"""The golden record and the timeline on the demo warehouse (300 customers)."""

import pytest

SURVIVED = ["first_name", "last_name", "city", "language_code", "email_consent", "loyalty_tier", "loyalty_points"]


@pytest.mark.parametrize("attribute", SURVIVED, ids=SURVIVED)
def test_every_survived_attribute_names_the_source_that_won(demo_db, attribute):
    missing = demo_db.execute(
        f"select count(*) from marts.customer_profiles where {attribute} is not null and {attribute}_source is null"
    ).fetchone()[0]
    filled = demo_db.execute(f"select count({attribute}) from marts.customer_profiles").fetchone()[0]
    assert missing == 0
    assert filled > 0


def test_priority_rule_prefers_crm_names_where_crm_gives_one(demo_db):
    sources = dict(
        demo_db.execute(
            """
            select first_name_source, count(*) from marts.customer_profiles
            where customer_id in (
                select customer_id from intermediate.int_customer_attributes_unioned
                where source = 'crm' and first_name is not null
            )
            group by all
            """
        ).fetchall()
    )
    assert set(sources) == {"crm"}


def test_order_traits_split_channels_and_add_up(demo_db):
    bad = demo_db.execute(
        """
        select count(*) from marts.customer_profiles
        where orders_count <> count_orders_online + count_orders_store
           or (orders_count > 0) <> (last_order_date is not null)
           or (orders_count > 0 and abs(average_order_value_eur * orders_count - lifetime_revenue_eur) > orders_count)
        """
    ).fetchone()[0]
    assert bad == 0


def test_rfm_segments_only_for_buyers(demo_db):
    rows = dict(
        demo_db.execute(
            "select orders_count > 0, count(distinct rfm_segment = 'no purchases') from marts.customer_profiles "
            "group by all"
        ).fetchall()
    )
    assert demo_db.execute(
        "select count(*) from marts.customer_profiles where (orders_count = 0) <> (rfm_segment = 'no purchases')"
    ).fetchone()[0] == 0
    assert rows


def test_timeline_holds_every_source_and_one_query_gives_a_360_view(demo_db):
    sources = {row[0] for row in demo_db.execute("select distinct source from marts.customer_timeline").fetchall()}
    assert sources == {"shop", "pos", "web", "esp", "support", "loyalty", "crm"}
    customer_id = demo_db.execute(
        "select customer_id from marts.customer_profiles order by orders_count desc, customer_id limit 1"
    ).fetchone()[0]
    kinds = {
        row[0]
        for row in demo_db.execute(
            "select event_type from marts.customer_timeline where customer_id = ? order by occurred_at",
            [customer_id],
        ).fetchall()
    }
    assert kinds & {"order_placed", "store_purchase"}


def test_timeline_orders_match_profile_order_counts(demo_db):
    mismatches = demo_db.execute(
        """
        with timeline_orders as (
            select customer_id, count(*) as n from marts.customer_timeline
            where event_type in ('order_placed', 'store_purchase') group by customer_id
        )
        select count(*) from marts.customer_profiles as profiles
        left join timeline_orders on profiles.customer_id = timeline_orders.customer_id
        where profiles.orders_count <> coalesce(timeline_orders.n, 0)
        """
    ).fetchone()[0]
    assert mismatches == 0
