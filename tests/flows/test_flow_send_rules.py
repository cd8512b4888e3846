"""Caps, quiet hours, consent and privacy suppress sends at send time, and each suppression is counted."""

from automation.definitions import Policy
from automation.status import flow_status

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0

PING = """\
name: ping
version: 1
trigger: {{type: event, event: Ping}}
entry: again_after_exit
steps:
  - id: note
    send: {{channel: {channel}, purpose: marketing, subject: "x", body: "hello {{{{ profile.first_name }}}}"}}
"""


def test_no_consent_no_send_and_withdrawn_consent_stops_the_next_send(world):
    world.flow(PING.format(channel="email"))
    world.customer("granted")
    world.customer("never", consents={})
    world.customer("sms_only", consents={"marketing": {"sms": True, "email": False}})
    for name in ("granted", "never", "sms_only"):
        world.send(name, "Ping")
    world.customer("granted", consents={"marketing": {"email": False}})  # withdrawn
    world.send("granted", "Ping")
    assert [(r["customer_id"], r["status"], r["reason"]) for r in world.outbox()] == [
        ("granted", "pending", None),
        ("never", "suppressed", "consent"),
        ("sms_only", "suppressed", "consent"),
        ("granted", "suppressed", "consent"),
    ]
    assert all(r["message"] is None for r in world.outbox(status="suppressed"))
    (status,) = flow_status(world.store)
    assert (status["pending"], status["suppressed"], status["suppressed_consent"]) == (1, 3, 3)


def test_frequency_caps_per_channel_and_across_flows(world):
    world.policy = Policy(caps={"email": (2, DAY), "all": (3, DAY)})
    world.flow(PING.format(channel="email"))
    world.flow(PING.format(channel="webhook").replace("name: ping", "name: hook").replace("Ping", "Hook"))
    world.customer("c1")
    for _ in range(3):
        world.send("c1", "Ping")
        world.advance(MINUTE)
    world.send("c1", "Hook")  # the third of the day across channels: allowed
    world.send("c1", "Hook")  # the fourth: over the cap for all channels
    world.advance(DAY)  # a day later the window has passed
    world.send("c1", "Ping")
    assert [(r["flow"], r["status"], r["reason"]) for r in world.outbox()] == [
        ("ping", "pending", None),
        ("ping", "pending", None),
        ("ping", "suppressed", "cap"),
        ("hook", "pending", None),
        ("hook", "suppressed", "cap"),
        ("ping", "pending", None),
    ]
    counts = {s["flow"]: s["suppressed_cap"] for s in flow_status(world.store)}
    assert counts == {"hook": 1, "ping": 1}


def test_quiet_hours_in_the_customers_time_zone(world):
    world.policy = Policy(quiet_start="21:00", quiet_end="08:00", quiet_channels=("sms",))
    world.flow(PING.format(channel="sms"))
    world.flow(PING.format(channel="email").replace("name: ping", "name: mail"))
    world.customer("tokyo", timezone="Asia/Tokyo", primary_phone="+81312345678")  # 21:00 there at T0
    world.customer("london", timezone="Europe/London", primary_phone="+442071234567")  # 12:00 there
    world.send("tokyo", "Ping")
    world.send("london", "Ping")
    world.advance(11 * HOUR)  # 08:00 in Tokyo
    world.send("tokyo", "Ping")
    assert [(r["flow"], r["customer_id"], r["status"], r["reason"]) for r in world.outbox()] == [
        ("mail", "tokyo", "pending", None),  # email is not a quiet-hours channel
        ("ping", "tokyo", "suppressed", "quiet_hours"),
        ("mail", "london", "pending", None),
        ("ping", "london", "pending", None),
        ("mail", "tokyo", "pending", None),
        ("ping", "tokyo", "pending", None),
    ]


def test_no_address_privacy_and_unknown_customers_are_suppressed(world):
    world.flow(PING.format(channel="sms"))
    world.customer("no_phone")
    world.customer("national", primary_phone="06 1234 5678")  # not E.164: cannot be sent to
    world.customer("erased", primary_phone="+31612345678")
    world.engine.is_suppressed = lambda customer_id, profile: customer_id == "erased"
    world.send("no_phone", "Ping")
    world.send("national", "Ping")
    world.send("erased", "Ping")
    world.emit(world.track("stranger", "Ping"))
    world.run()
    assert [(r["customer_id"], r["reason"]) for r in world.outbox()] == [
        ("no_phone", "no_address"),
        ("national", "no_address"),
        ("erased", "privacy"),
        ("user_id:u-stranger", "unknown_customer"),
    ]


def test_firing_ids_are_deterministic_on_replay(world, tmp_path):
    world.flow(PING.format(channel="email"))
    world.customer("c1")
    world.send("c1", "Ping")
    world.send("c1", "Ping")
    first = [r["firing_id"] for r in world.outbox()]
    # a second engine with an empty store replays the same spool: the same decisions, the same ids
    world.store.executescript("delete from outbox; delete from entries; delete from cursors; delete from timers;")
    world.run()
    assert [r["firing_id"] for r in world.outbox()] == first
    assert len(set(first)) == 2
