"""Each trigger kind fires exactly when it should and not otherwise (virtual clock, real spool and store)."""

import json

from tests.flows.conftest import iso

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0


CART = """\
name: cart
version: 1
trigger: {type: absence, event: Product Added, missing: Order Completed, key: cart_id, within: 30m}
exit:
  goal: {event: Order Completed, same_key: true}
steps:
  - id: remind
    send: {channel: email, subject: "Your cart", body: "You left {{ event.name }} in cart {{ event.cart_id }}"}
"""


def test_absence_fires_at_its_deadline_and_not_before(world):
    world.flow(CART)
    world.customer("c1")
    world.send("c1", "Product Added", cart_id="k1", name="Boots")
    world.advance(30 * MINUTE - 1)
    assert world.outbox() == []
    world.advance(1)
    (sent,) = world.outbox()
    assert (sent["customer_id"], sent["step"], sent["status"]) == ("c1", "remind", "pending")
    assert json.loads(sent["message"])["body"] == "You left Boots in cart k1"
    world.advance(DAY)
    assert len(world.outbox()) == 1  # fired once


def test_no_abandonment_message_when_the_order_arrives_before_the_deadline(world):
    world.flow(CART)
    world.customer("c1")
    world.send("c1", "Product Added", cart_id="k1")
    world.advance(29 * MINUTE)
    world.send("c1", "Order Completed", cart_id="k1")
    world.advance(2 * HOUR)
    assert world.outbox() == []
    assert world.entries() == []


def test_the_timer_restarts_when_the_cart_changes_and_carts_are_separate(world):
    world.flow(CART)
    world.customer("c1")
    world.send("c1", "Product Added", cart_id="k1", name="Boots")
    world.advance(20 * MINUTE)
    world.send("c1", "Product Added", cart_id="k1", name="Socks")  # the cart changed: wait 30 minutes again
    world.send("c1", "Product Added", cart_id="k2", name="Hat")
    world.advance(10 * MINUTE)
    assert world.outbox() == []
    world.send("c1", "Order Completed", cart_id="k2")  # an order for the other cart does not stop k1
    world.advance(20 * MINUTE)
    (sent,) = world.outbox()
    assert json.loads(sent["message"])["body"] == "You left Socks in cart k1"
    assert world.entries()[0]["entry_key"] == "k1"


def test_once_per_key_a_cart_fires_once_even_if_added_to_again(world):
    world.flow(CART)
    world.customer("c1")
    world.send("c1", "Product Added", cart_id="k1")
    world.advance(31 * MINUTE)
    world.send("c1", "Product Added", cart_id="k1")
    world.advance(DAY)
    assert len(world.outbox()) == 1


EVENT_FLOW = """\
name: big_order
version: 1
trigger:
  type: event
  event: Order Completed
  where: {total: {gte: 100}, currency: EUR}
  profile: {any: [{in_segment: vip}, {traits: {loyalty_tier: gold}}]}
entry: again_after_exit
steps:
  - id: thanks
    send: {channel: email, subject: "Thanks", body: "Order of {{ event.total }}"}
"""


def test_event_trigger_needs_the_filter_and_the_profile_condition(world):
    world.flow(EVENT_FLOW)
    world.customer("vip", segments=["vip"])
    world.customer("gold", loyalty_tier="gold")
    world.customer("plain", loyalty_tier="silver")
    world.send("vip", "Order Completed", total=150, currency="EUR")
    world.send("vip", "Order Completed", total=99, currency="EUR")  # below the filter
    world.send("gold", "Order Completed", total=100, currency="USD")  # wrong currency
    world.send("gold", "Order Completed", total=100, currency="EUR")
    world.send("plain", "Order Completed", total=500, currency="EUR")  # profile condition fails
    world.send("gold", "Product Viewed", total=500, currency="EUR")  # another event
    assert [(r["customer_id"], json.loads(r["message"])["body"]) for r in world.outbox()] == [
        ("vip", "Order of 150"),
        ("gold", "Order of 100"),
    ]


WAITING = """\
name: welcome
version: 1
trigger: {type: event, event: Newsletter Subscribed}
exit:
  goal: {event: Order Completed}
steps:
  - id: hello
    send: {channel: email, subject: "Welcome", body: "Hi"}
  - id: pause
    wait: 2d
  - id: nudge
    send: {channel: email, subject: "Still there?", body: "10% off"}
"""


def test_an_exit_on_conversion_stops_a_waiting_flow(world):
    world.flow(WAITING)
    world.customer("buyer")
    world.customer("browser")
    world.send("buyer", "Newsletter Subscribed")
    world.send("browser", "Newsletter Subscribed")
    world.advance(DAY)
    world.send("buyer", "Order Completed", order_id="o1")
    world.advance(DAY)
    sent = [(r["customer_id"], r["step"]) for r in world.outbox()]
    assert sent == [("buyer", "hello"), ("browser", "hello"), ("browser", "nudge")]
    statuses = {e["customer_id"]: e["status"] for e in world.entries()}
    assert statuses == {"buyer": "converted", "browser": "completed"}
    assert world.store.execute("select count(*) from timers").fetchall() == [(0,)]


def test_the_wait_step_fires_when_due_not_before(world):
    world.flow(WAITING)
    world.customer("c1")
    world.send("c1", "Newsletter Subscribed")
    world.advance(2 * DAY - 1)
    assert [r["step"] for r in world.outbox()] == ["hello"]
    world.advance(1)
    assert [r["step"] for r in world.outbox()] == ["hello", "nudge"]


def test_wait_until_a_time_of_day_in_the_customers_time_zone(world):
    world.flow(
        """\
name: morning
version: 1
trigger: {type: event, event: Signed Up}
steps:
  - id: sleep
    wait: {until: "09:00"}
  - id: hello
    send: {channel: email, subject: "Morning", body: "Hi"}
"""
    )
    world.customer("tokyo", timezone="Asia/Tokyo")  # T0 is 21:00 in Tokyo: 09:00 is 12 hours later
    world.customer("amsterdam", timezone="Europe/Amsterdam")  # T0 is 13:00 there: 09:00 is 20 hours later
    world.send("tokyo", "Signed Up")
    world.send("amsterdam", "Signed Up")
    world.advance(12 * HOUR - 1)
    assert world.outbox() == []
    world.advance(1)
    assert [r["customer_id"] for r in world.outbox()] == ["tokyo"]
    world.advance(8 * HOUR)
    assert [r["customer_id"] for r in world.outbox()] == ["tokyo", "amsterdam"]


INACTIVE = """\
name: lapsed
version: 1
trigger: {type: inactivity, events: [Order Completed, Page Viewed], for: 60d}
entry: again_after_exit
exit:
  goal: {event: Order Completed}
steps:
  - id: miss_you
    send: {channel: email, subject: "We miss you", body: "Come back"}
"""


def test_inactivity_fires_60_days_after_the_last_activity(world):
    world.flow(INACTIVE)
    world.customer("c1")
    world.send("c1", "Order Completed")
    world.advance(40 * DAY)
    world.send("c1", "Page Viewed")  # activity: the 60 days start again
    world.send("c1", "Product Added")  # not an activity this flow counts
    world.advance(60 * DAY - 1)
    assert world.outbox() == []
    world.advance(1)
    assert [r["step"] for r in world.outbox()] == ["miss_you"]


def test_customers_lapsed_before_the_engine_ran_are_seeded_from_their_profile_once(world):
    """A customer the engine never saw act gets an inactivity timer from the profile's last visit or order;
    one it saw keeps its own timer; a second seeding of the same flow version adds nothing."""
    world.flow(INACTIVE)
    world.customer("lapsed", last_web_seen_at=iso(world.now - 70 * DAY), last_order_date=None)
    world.customer("recent", last_order_date=iso(world.now - 10 * DAY)[:10])
    world.customer("watched", last_web_seen_at=iso(world.now - 90 * DAY))
    world.customer("never")  # neither a visit nor an order: nothing to count from
    world.send("watched", "Page Viewed")  # the engine saw this one act just now

    assert world.engine.seed_inactivity() == 2  # lapsed and recent; watched is known, never has no date
    assert world.engine.seed_inactivity() == 0
    world.run()
    assert [r["customer_id"] for r in world.outbox()] == ["lapsed"]  # 70 days ago: due at once
    world.advance(50 * DAY)
    assert [r["customer_id"] for r in world.outbox()] == ["lapsed", "recent"]
    world.advance(10 * DAY)
    assert [r["customer_id"] for r in world.outbox()] == ["lapsed", "recent", "watched"]


def test_returned_after_a_long_gap(world):
    world.flow(
        """\
name: welcome_back
version: 1
trigger: {type: returned, events: [Page Viewed, Order Completed], after: 60d}
entry: again_after_exit
steps:
  - id: hello_again
    send: {channel: email, subject: "Welcome back", body: "Hi"}
"""
    )
    world.customer("c1")
    world.send("c1", "Page Viewed")  # first sight: not a return
    world.advance(59 * DAY)
    world.send("c1", "Page Viewed")  # 59 days: not long enough
    assert world.outbox() == []
    world.advance(60 * DAY)
    world.send("c1", "Order Completed")
    assert [r["step"] for r in world.outbox()] == ["hello_again"]


def test_segment_entered_triggers_and_leaving_the_exit_segment_stops(world):
    world.flow(
        """\
name: vip_welcome
version: 1
trigger: {type: segment_entered, segment: vip}
exit: {segment_exited: vip}
steps:
  - id: wait
    wait: 1d
  - id: hello
    send: {channel: email, subject: "VIP", body: "Hi"}
"""
    )
    world.flow(
        """\
name: vip_lost
version: 1
trigger: {type: segment_exited, segment: vip}
steps:
  - id: sorry
    send: {channel: email, subject: "Sorry", body: "Bye"}
"""
    )
    world.customer("stays")
    world.customer("leaves")
    world.change("stays", "segment_entered", "vip")
    world.change("leaves", "segment_entered", "vip")
    world.change("stays", "segment_entered", "other")
    world.advance(HOUR)
    world.change("leaves", "segment_exited", "vip")
    world.advance(DAY)
    assert sorted((r["flow"], r["customer_id"]) for r in world.outbox()) == [
        ("vip_lost", "leaves"),
        ("vip_welcome", "stays"),
    ]
    assert {e["customer_id"]: e["status"] for e in world.entries(flow="vip_welcome")} == {
        "stays": "completed",
        "leaves": "exited",
    }


def _trait_flow(name: str, rule: str) -> str:
    return f"""\
name: {name}
version: 1
trigger: {{type: trait_changed, trait: score, {rule}}}
entry: again_after_exit
steps:
  - id: note
    send: {{channel: email, subject: "x", body: "{{{{ event.old }}}} -> {{{{ event.new }}}}"}}
"""


def test_trait_changed_crossing_a_threshold_to_values_and_up_an_order(world):
    world.flow(_trait_flow("above", "crosses: {above: 0.7}"))
    world.flow(_trait_flow("tier_up", "up_in: [bronze, silver, gold]"))
    world.flow(_trait_flow("to_gold", "to: [gold]"))
    world.customer("c1")
    for old, new in [(0.2, 0.5), (0.5, 0.8), (0.8, 0.9), (0.9, 0.6), (None, 0.75)]:
        world.change("c1", "trait_changed", "score", old, new)
    for old, new in [("silver", "bronze"), ("bronze", "gold"), ("gold", "gold"), ("x", "silver")]:
        world.change("c1", "trait_changed", "score", old, new)
    world.change("c1", "trait_changed", "other", 0.1, 0.9)
    world.run()
    fired = [(r["flow"], json.loads(r["message"])["body"]) for r in world.outbox()]
    assert fired == [
        ("above", "0.5 -> 0.8"),
        ("above", "None -> 0.75"),
        ("tier_up", "bronze -> gold"),
        ("to_gold", "bronze -> gold"),
    ]


def test_restock_reaches_recent_viewers_of_that_product_once(world):
    world.flow(
        """\
name: restock
version: 1
trigger: {type: restock, viewed_within: 30d}
steps:
  - id: announce
    send: {channel: email, subject: "Back", body: "{{ product.name }} is back"}
"""
    )
    for name in ("recent", "old", "other"):
        world.customer(name)
    world.send("old", "Product Viewed", sku="S1")
    world.advance(20 * DAY)
    world.send("recent", "Product Viewed", sku="S1")
    world.send("other", "Product Viewed", sku="S2")
    world.advance(15 * DAY)
    engine = world.engine
    world.store.execute("begin")
    engine.handle_stock({"S1": (0, "Boots"), "S2": (4, "Hat")}, world.now)  # the first sight is the baseline
    engine.handle_stock({"S1": (3, "Boots"), "S2": (5, "Hat")}, world.now)
    engine.handle_stock({"S1": (0, "Boots")}, world.now)
    engine.handle_stock({"S1": (2, "Boots")}, world.now)  # again: the same customer and product, not twice
    world.store.execute("commit")
    assert [(r["customer_id"], json.loads(r["message"])["body"]) for r in world.outbox()] == [
        ("recent", "Boots is back")
    ]


def test_branch_on_a_profile_condition(world):
    world.flow(
        """\
name: tiers
version: 1
trigger: {type: event, event: Signed Up}
steps:
  - id: check
    branch: {if: {traits: {loyalty_tier: {in: [gold]}}}, goto: gold}
  - id: plain
    send: {channel: email, subject: "x", body: "plain"}
  - id: stop
    exit: true
  - id: gold
    send: {channel: email, subject: "x", body: "gold"}
"""
    )
    world.customer("g", loyalty_tier="gold")
    world.customer("p")
    world.send("g", "Signed Up")
    world.send("p", "Signed Up")
    assert [(r["customer_id"], r["step"]) for r in world.outbox()] == [("g", "gold"), ("p", "plain")]


def test_entry_rules_once_and_again_after_exit(world):
    world.flow(WAITING)  # once (the default)
    world.flow(INACTIVE.replace("name: lapsed", "name: again"))
    world.customer("c1")
    world.send("c1", "Order Completed")  # the last activity the inactivity flow counts from
    world.send("c1", "Newsletter Subscribed")
    world.send("c1", "Newsletter Subscribed")
    world.advance(3 * DAY)
    world.send("c1", "Newsletter Subscribed")
    assert len(world.entries(flow="welcome")) == 1
    world.advance(61 * DAY)  # lapsed: the first entry, completed at once (one send)
    world.send("c1", "Order Completed")
    world.advance(59 * DAY)
    assert len(world.entries(flow="again")) == 1
    world.advance(2 * DAY)  # lapsed again after its exit: entered again
    assert [e["occurrence"] for e in world.entries(flow="again")] == [1, 2]


def test_unreadable_lines_and_anonymous_events_are_counted_not_lost(world):
    world.flow(CART)
    world.customer("c1")
    (world.spool_dir / "closed").mkdir(parents=True)
    world.emit({"type": "track", "event": "Product Added", "properties": {"cart_id": "x"}})  # nobody
    world.send("c1", "Product Added", cart_id="k1")
    assert world.engine.stats.skipped_lines == 1
    assert world.engine.stats.events == 1


def test_an_order_received_before_the_deadline_but_read_late_still_cancels_with_settle(world):
    world.flow(CART)
    world.customer("c1")
    world.engine.settle_s = 1.0
    world.send("c1", "Product Added", cart_id="k1")
    world.now += 30 * MINUTE - 0.5
    late = world.track("c1", "Order Completed", cart_id="k1")  # received 0.5 s before the deadline ...
    world.now += 0.8
    world.engine.fire_due_timers()  # ... but still in the open spool file at the deadline
    assert world.outbox() == []
    world.emit(late)
    world.advance(5)
    assert world.outbox() == [] and world.entries() == []
    world.send("c1", "Product Added", cart_id="k2")
    world.advance(30 * MINUTE + 1)
    assert [r["step"] for r in world.outbox()] == ["remind"]  # fired within the settle time


def test_a_page_call_counts_as_a_visit_for_inactivity(world):
    world.flow(INACTIVE)
    world.customer("c1")
    world.send("c1", "Order Completed")
    world.advance(50 * DAY)
    page = world.track("c1", "ignored")
    page.update(type="page", name="Home")
    del page["event"]
    world.emit(page)
    world.advance(60 * DAY - 1)
    assert world.outbox() == []
    world.advance(1)
    assert len(world.outbox()) == 1
