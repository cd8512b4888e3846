"""A visitor lands on the demo shop from a paid search ad (utm_* and a gclid), browses, adds to cart,
logs in and orders, in Chromium: every event reaches the spool through analytics.js without a request to
another host, then the warehouse, where the anonymous session is stitched to the customer."""

import time
from urllib.parse import urlsplit

import duckdb
import orjson
import pytest

from cdp.pipeline import ingest
from realtime.loader import load_batch
from tests.browser.conftest import ARTIFACTS, RequestLog, stop
from tests.privacy.conftest import copy_warehouse
from tests.realtime.conftest import KEY_NAME, spooled

pytestmark = pytest.mark.browser

UTM = {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "browser-journey", "utm_term": "trail shoes"}
GCLID = "Cj0KCQ-browser-journey-42"
# (type, event name or page search, signed in): a request cut short by a page change is re-sent by
# analytics.js from its retry queue on the next page, so the spool's order may differ from the clicks'.
JOURNEY = [
    (
        "page",
        "?utm_source=google&utm_medium=cpc&utm_campaign=browser-journey&utm_term=trail+shoes&gclid=" + GCLID,
        False,
    ),
    ("page", "?product=SKU-1002", False),
    ("track", "Product Viewed", False),
    ("track", "Product Added", False),
    ("page", "?view=login", False),
    ("identify", None, True),
    ("track", "Signed In", True),
    ("page", "?view=cart", True),
    ("track", "Order Completed", True),
]


def _customer(settings) -> tuple[str, str, str]:
    """(customer_id, user_id, email) of a demo customer holding one linkable user id (the webshop's
    customer id, which the site sends as userId) and email."""
    with duckdb.connect(str(settings.duckdb_path)) as con:
        rows = con.execute(
            """
            select u.customer_id, u.identifier_value, e.identifier_value
            from marts.customer_identities as u
            inner join marts.customer_identities as e
                on u.customer_id = e.customer_id and e.identifier_type = 'email' and e.is_linkable
            where u.identifier_type = 'user_id' and u.is_linkable
            order by u.customer_id, e.identifier_value
            limit 1
            """
        ).fetchall()
    assert rows, "the demo warehouse has no customer with a user id and an email"
    return rows[0]


def _shop_order(settings, order_event: dict, shop_customer_id: str, email: str) -> str:
    """The webshop's own record of the order placed in the browser, as its API serves it (landing file
    of the local shop API); returns its id."""
    placed_at = order_event["timestamp"].replace("Z", "+00:00")
    product = order_event["properties"]["products"][0]
    order_id = 5609990000001
    order = {
        "id": order_id,
        "order_number": 990001,
        "email": email,
        "phone": None,
        "customer": {"id": int(shop_customer_id)},
        "created_at": placed_at,
        "updated_at": placed_at,
        "processed_at": placed_at,
        "cancelled_at": None,
        "currency": "EUR",
        "total_price": "59.00",
        "subtotal_price": "59.00",
        "total_tax": "9.42",
        "total_discounts": "0.00",
        "financial_status": "paid",
        "source_name": "web",
        "billing_address": None,
        "line_items": [
            {
                "id": 14299990000001,
                "sku": product["sku"],
                "product_id": 8109990000001,
                "title": product["name"],
                "quantity": 1,
                "price": "59.00",
            }
        ],
        "refunds": [],
    }
    with (settings.landing_dir / "shop" / "orders.jsonl").open("ab") as orders:
        orders.write(orjson.dumps(order) + b"\n")
    return str(order_id)


def _wait_for(spool_dir, count: int, page=None, timeout: float = 15.0) -> list[dict]:
    """The spooled events once there are `count`. While a page is open, wait through Playwright: its route
    handler (which lets each request through) only runs while the test is inside a Playwright call."""
    deadline = time.monotonic() + timeout
    while True:
        events = spooled(spool_dir)
        if len(events) >= count or time.monotonic() > deadline:
            return events
        if page is not None:
            page.wait_for_timeout(100)
        else:
            time.sleep(0.1)


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"journey-{name}.png"), full_page=True)


@pytest.mark.e2e
def test_a_paid_search_visit_reaches_the_warehouse_stitched_to_the_customer(
    chromium, collector, demo_warehouse, tmp_path
):
    base, spool_dir, process = collector
    settings = copy_warehouse(demo_warehouse, tmp_path / "warehouse")
    customer_id, user_id, email = _customer(settings)

    context = chromium.new_context()
    requests = RequestLog({urlsplit(base).netloc})
    requests.attach(context)
    page = context.new_page()
    landing = f"{base}/demo/?" + "&".join(f"{k}={v.replace(' ', '+')}" for k, v in UTM.items()) + f"&gclid={GCLID}"
    page.goto(landing)
    assert _wait_for(spool_dir, 1, page), "the landing page view never reached the collector"
    _shot(page, "1-landing")

    page.click("a[data-sku=SKU-1002]")
    page.wait_for_selector("#add-to-cart")
    page.click("#add-to-cart")
    page.wait_for_selector("text=Added")
    _shot(page, "2-product")

    page.click("#nav-login")
    page.fill("#email", email)
    page.fill("#user-id", user_id)
    page.fill("#password", "correct horse battery staple")
    _shot(page, "3-login")
    page.click("#login")
    page.wait_for_url("**/demo/?view=cart")
    page.wait_for_selector("#checkout")
    _shot(page, "4-cart")
    page.click("#checkout")
    page.wait_for_selector("#order-done")
    _shot(page, "5-ordered")
    anonymous_id = page.evaluate("async () => (await window.analytics.user()).anonymousId()")
    events = _wait_for(spool_dir, len(JOURNEY), page)
    context.close()

    # -- the spool: the journey, one anonymous id, signed in from the login on, the campaign on landing ---
    def step(event: dict) -> tuple:
        what = event["properties"]["search"] if event["type"] == "page" else event.get("event")
        return (event["type"], what, event.get("userId") == user_id)

    assert sorted(map(step, events), key=repr) == sorted(JOURNEY, key=repr)
    assert {e["anonymousId"] for e in events} == {anonymous_id}
    assert {e["keyId"] for e in events} == {KEY_NAME} and not any("writeKey" in e for e in events)
    first = next(e for e in events if e["type"] == "page" and GCLID in e["properties"]["search"])
    assert first["context"]["campaign"] == {
        "source": "google",
        "medium": "cpc",
        "name": "browser-journey",
        "term": "trail shoes",
    }
    assert first["properties"]["gclid"] == GCLID
    assert GCLID in first["context"]["page"]["url"]
    assert first["context"]["library"]["name"] == "analytics.js"
    (identify,) = (e for e in events if e["type"] == "identify")
    assert identify["traits"]["email"] == email
    (order_event,) = (e for e in events if e.get("event") == "Order Completed")
    order = order_event["properties"]
    assert order["revenue"] == 59 and order["currency"] == "EUR" and order["products"][0]["sku"] == "SKU-1002"

    # -- no request left for another host ------------------------------------------------------------
    assert requests.foreign == []
    assert {urlsplit(url).netloc for url in requests.urls} == {urlsplit(base).netloc}
    assert any(urlsplit(url).path == "/v1/projects/wk_test_secret_1234/settings" for url in requests.urls)

    # -- the warehouse: loaded, and the browser is now part of the customer ----------------------------
    stop(process, spool_dir)  # closes the open spool file
    # the shop backend records the order too: it reaches the warehouse through the shop source
    shop_order_id = _shop_order(settings, order_event, user_id, email)
    ingest(settings, sources=["shop"])
    result = load_batch(settings, spool_dir, build=True)
    assert result.files_moved == 1 and result.rows_loaded == len(JOURNEY)
    message_ids = [e["messageId"] for e in events]
    with duckdb.connect(str(settings.duckdb_path)) as con:
        loaded = con.execute(
            "select message_id, context_campaign_source, context_campaign_name from raw_web.events"
            " where anonymous_id = ? order by timestamp",
            [anonymous_id],
        ).fetchall()
        assert sorted(row[0] for row in loaded) == sorted(message_ids)
        assert ("google", "browser-journey") in {(row[1], row[2]) for row in loaded}
        owners = con.execute(
            "select distinct customer_id from marts.customer_identities"
            " where identifier_type = 'anonymous_id' and identifier_value = ?",
            [anonymous_id],
        ).fetchall()
        assert owners == [(customer_id,)], "the anonymous session is not stitched to the customer who logged in"
        records = con.execute(
            "select source_record_id, customer_id from marts.customer_source_records"
            " where source = 'web' and source_record_id in (select unnest(?::varchar[]))",
            [message_ids],
        ).fetchall()
        assert sorted(records) == sorted((message_id, customer_id) for message_id in message_ids)
        touch_id = _assert_touchpoint(con, customer_id, landing_id=first["messageId"])
        _assert_attribution(con, customer_id, shop_order_id, touch_id)


def _assert_touchpoint(con, customer_id: str, landing_id: str) -> None:
    """The landing is the customer's paid search touch (marts.customer_touchpoints); attribution credits
    it to no order placed before it (the demo's shop orders all precede the visit)."""
    touches = con.execute(
        "select touch_id, touch_type, channel, is_paid, ad_platform, utm_source, utm_medium, utm_campaign,"
        " click_id_type, click_id, touched_at from marts.customer_touchpoints"
        " where customer_id = ? and source = 'web' and source_record_id = ?",
        [customer_id, landing_id],
    ).fetchall()
    assert len(touches) == 1, "the landing with utm_* and a gclid is not a touchpoint of the customer"
    touch_id, touch_type, channel, is_paid, ad_platform, source, medium, campaign, id_type, click_id, at = touches[0]
    assert (touch_type, channel, is_paid, ad_platform) == ("web_visit", "paid_search", True, "google_ads")
    assert (source, medium, campaign) == ("google", "cpc", "browser-journey")
    assert (id_type, click_id) == ("gclid", GCLID)
    # the other browser events are not touches (no campaign on them)
    (count,) = con.execute(
        "select count(*) from marts.customer_touchpoints where customer_id = ? and source = 'web' and touched_at >= ?",
        [customer_id, at],
    ).fetchall()[0]
    assert count == 1
    (earlier,) = con.execute(
        "select count(*) from marts.order_attribution where touch_id = ? and ordered_at < ?", [touch_id, at]
    ).fetchall()[0]
    assert earlier == 0
    return touch_id


def _assert_attribution(con, customer_id: str, order_id: str, touch_id: str) -> None:
    """The shop order placed after the visit credits the paid search landing: all of it by last touch,
    and it is one of the order's touches for the other models."""
    rows = con.execute(
        "select touch_id, channel, utm_campaign, order_revenue_eur, credit_last_touch, revenue_eur_last_touch"
        " from marts.order_attribution where order_source = 'shop' and order_id = ? and customer_id = ?",
        [order_id, customer_id],
    ).fetchall()
    credited = {row[0]: row for row in rows}
    assert touch_id in credited, f"the order is not attributed to the browser landing ({sorted(credited)})"
    _, channel, campaign, revenue, last_credit, last_revenue = credited[touch_id]
    assert (channel, campaign) == ("paid_search", "browser-journey")
    assert last_credit == 1.0 and last_revenue == revenue
    assert sum(row[4] for row in rows) == 1.0
