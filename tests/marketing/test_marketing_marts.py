"""Touchpoints, attribution and campaign performance on the demo warehouse (tests/conftest.py), checked
against the landing files and the generator's ground truth."""

import csv
import json
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

MODELS = ("first_touch", "last_touch", "linear", "position_based")


def rows(con, sql: str, params=None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


@pytest.fixture(scope="module")
def landing_clicks(demo_warehouse) -> dict[str, tuple[str, str]]:
    """click id -> (campaign, message id) of every paid landing page event in the web landing files."""
    clicks = {}
    for path in sorted((demo_warehouse.landing_dir / "web" / "events").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue  # the generator's malformed lines
            url = (event.get("context", {}).get("page") or {}).get("url") or ""
            query = parse_qs(urlparse(url).query)
            for name in ("gclid", "fbclid"):
                if event.get("type") == "page" and name in query:
                    clicks[query[name][0]] = (query["utm_campaign"][0], event["messageId"])
    return clicks


def test_touchpoints_hold_every_kind_of_touch(demo_db):
    kinds = {(r["touch_type"], r["channel"], r["ad_platform"]): r["n"] for r in rows(demo_db, """
        select touch_type, channel, ad_platform, count(*) as n from marts.customer_touchpoints group by all""")}
    assert kinds[("web_visit", "paid_search", "google_ads")] > 0
    assert kinds[("web_visit", "paid_social", "meta")] > 0
    assert kinds[("email_click", "email", None)] > 0
    assert kinds[("lead_form", "paid_social", "meta")] > 0


def test_every_paid_landing_of_the_files_is_a_touchpoint_with_its_click_id(demo_db, landing_clicks):
    touches = {r["click_id"]: r for r in rows(demo_db, """
        select click_id, click_id_type, utm_campaign, source_record_id
        from marts.customer_touchpoints where click_id is not null""")}
    assert set(touches) <= set(landing_clicks)
    # the landing files also hold duplicate deliveries; every distinct landing is one touch
    missing = set(landing_clicks) - set(touches)
    assert len(missing) <= 0.02 * len(landing_clicks), f"{len(missing)} of {len(landing_clicks)} landings lost"
    for click_id, touch in touches.items():
        assert (touch["utm_campaign"], touch["source_record_id"]) == landing_clicks[click_id]
        assert touch["click_id_type"] == ("gclid" if click_id.startswith("Cj0KCQ") else "fbclid")


def test_each_models_credit_adds_up_to_the_order_revenue(demo_db):
    sums = rows(demo_db, f"""
        select order_source, order_id, max(order_revenue_eur) as revenue,
            {", ".join(f"sum(credit_{m}) as credit_{m}, sum(revenue_eur_{m}) as revenue_{m}" for m in MODELS)}
        from marts.order_attribution group by order_source, order_id""")
    assert len(sums) > 100
    for order in sums:
        for model in MODELS:
            assert order[f"credit_{model}"] == pytest.approx(1.0), (order, model)
            assert abs(order[f"revenue_{model}"] - order["revenue"]) <= 0.01, (order, model)
    (expected,) = demo_db.execute("""
        select sum(net_amount_eur) from intermediate.int_orders_unioned
        where customer_id is not null and not is_return and net_amount_eur > 0""").fetchall()[0]
    assert sum(order["revenue"] for order in sums) == expected


def test_some_orders_are_credited_to_campaigns_and_models_disagree_by_channel(demo_db):
    by_channel = {r["channel"]: r for r in rows(demo_db, f"""
        select channel, {", ".join(f"sum(revenue_eur_{m}) as {m}" for m in MODELS)}
        from marts.order_attribution group by channel""")}
    assert {"paid_search", "paid_social", "email", "unattributed"} <= set(by_channel)
    assert all(by_channel["paid_social"][m] > 0 for m in MODELS)
    # over all attributed orders every model hands out the same revenue; per channel they differ
    assert any(r["first_touch"] != r["last_touch"] for r in by_channel.values())


def test_campaign_spend_is_the_platforms_spend_in_eur(demo_db):
    (mart,) = demo_db.execute("select sum(spend_eur) from marts.campaign_performance").fetchall()[0]
    (raw,) = demo_db.execute("""
        select
            (select sum(cast(spend as decimal(18, 2)) * r.eur_per_unit) from raw_ads.meta_insights as m
                join reference.currency_rates as r on m.account_currency = r.currency)
            + (select sum(cost_micros / 1000000.0 * r.eur_per_unit) from raw_ads.google_ads_campaigns as g
                join reference.currency_rates as r on g.currency_code = r.currency)""").fetchall()[0]
    assert raw > 0
    # rounded to cents per campaign and day
    assert abs(float(mart) - float(raw)) < 0.01 * demo_db.execute(
        "select count(*) from marts.campaign_performance").fetchall()[0][0]


def test_roas_is_revenue_over_spend(demo_db):
    for row in rows(demo_db, """
            select spend_eur, attributed_revenue_eur_linear, roas_linear from marts.campaign_performance
            where spend_eur > 0 and attributed_revenue_eur_linear > 0"""):
        assert row["roas_linear"] == pytest.approx(
            float(row["attributed_revenue_eur_linear"]) / float(row["spend_eur"]), rel=1e-6)


def _truth(landing: Path) -> dict[tuple[str, str, str], str]:
    with open(landing / "_ground_truth" / "records.csv", encoding="utf-8", newline="") as fh:
        return {(r["source"], r["source_table"], r["source_record_id"]): r["person_id"] for r in csv.DictReader(fh)}


def test_a_lead_who_buys_joins_the_customer_of_their_orders(demo_warehouse, demo_db):
    truth = _truth(demo_warehouse.landing_dir)
    resolved = {(r["source"], r["source_table"], r["source_record_id"]): r["customer_id"] for r in rows(
        demo_db, "select source, source_table, source_record_id, customer_id from marts.customer_source_records")}
    customers_of_person: dict[str, Counter] = defaultdict(Counter)
    for key, person in truth.items():
        if key[:2] == ("shop", "orders") and key in resolved:
            customers_of_person[person][resolved[key]] += 1
    leads = [(key, person) for key, person in truth.items() if key[:2] == ("social", "leads")]
    buyers = [(key, person) for key, person in leads if person in customers_of_person]
    assert leads and buyers
    joined = sum(resolved.get(key) == customers_of_person[person].most_common(1)[0][0] for key, person in buyers)
    assert joined >= 0.9 * len(buyers), f"{joined} of {len(buyers)} leads joined their buyer"


def test_profile_marketing_traits(demo_db):
    profiles = rows(demo_db, """
        select p.customer_id, p.acquisition_channel, p.lead_source, p.orders_count,
            (select count(*) from marts.customer_touchpoints as t
             where t.customer_id = p.customer_id and t.touch_type = 'lead_form') as leads
        from marts.customer_profiles as p""")
    assert all((p["lead_source"] is not None) == (p["leads"] > 0) for p in profiles)
    buyers_without_channel = [p for p in profiles if p["orders_count"] > 0 and p["acquisition_channel"] is None]
    assert not buyers_without_channel
    assert {p["acquisition_channel"] for p in profiles} >= {"paid_search", "paid_social", "unattributed"}


def test_paid_social_single_order_members_were_acquired_by_paid_social(demo_db):
    members = rows(demo_db, """
        select p.acquisition_channel, p.orders_count from segments.paid_social_single_order as s
        join marts.customer_profiles as p using (customer_id)""")
    assert members, "the demo should have customers acquired by paid social who did not come back"
    assert {m["acquisition_channel"] for m in members} == {"paid_social"}
    assert all(m["orders_count"] >= 1 for m in members)
