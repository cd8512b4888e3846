"""Channels against local servers that enforce the real contracts; the sender's retries and its
exactly-once outcome at deduping destinations."""

import base64
import json
import os

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from automation.channels.base import Delivery
from automation.channels.email import EmailChannel
from automation.channels.push import PushChannel
from automation.channels.sms import SmsChannel
from automation.channels.webhook import WebhookChannel
from automation.delivery import Sender
from automation.errors import ChannelError, SubscriptionGone
from automation.testing.mailbox import Mailbox
from automation.testing.push_service import PushService, b64url
from automation.testing.sms_api import SmsApi
from automation.testing.webhook_inbox import WebhookInbox

SID, TOKEN = "AC" + "0" * 31 + "1", "secret-token"
SECRET = "whsec_" + base64.b64encode(os.urandom(24)).decode()


def delivery(firing_id: str = "f" * 32, **message) -> Delivery:
    message = {"to": "ann@example.com", "subject": "Hi", "body": "Hello Ann", **message}
    return Delivery(firing_id, "cart", "remind", "c1", message)


@pytest.fixture
def mailbox(tmp_path):
    box = Mailbox(tmp_path / "mailbox")
    host, port = box.start()
    yield box, EmailChannel(host, port, "shop@shop.example")
    box.stop()


def test_email_over_smtp_with_list_unsubscribe_and_one_copy_per_firing_id(mailbox, tmp_path):
    box, channel = mailbox
    channel.send(delivery(unsubscribe_url="https://shop.example/u?t=1"))
    channel.send(delivery(unsubscribe_url="https://shop.example/u?t=1"))  # a resend after a crash
    channel.send(delivery("e" * 32))
    assert box.deliveries == 3 and len(box.messages) == 2
    message = box.messages[f"<{'f' * 32}@shop.example>"]
    assert message["To"] == "ann@example.com" and message["Subject"] == "Hi"
    assert message["List-Unsubscribe"].startswith("<https://shop.example/u?t=1>, <mailto:unsubscribe@shop.example")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content().strip() == "Hello Ann"
    assert sorted(p.name for p in (tmp_path / "mailbox").iterdir()) == ["00001.eml", "00002.eml", "index.html"]


def test_email_transient_and_permanent_smtp_errors(mailbox):
    box, channel = mailbox
    box.faults.append("451 4.3.0 try again later")
    with pytest.raises(ChannelError) as caught:
        channel.send(delivery())
    assert caught.value.retryable
    box.faults.append("550 5.1.1 no such user")
    with pytest.raises(ChannelError) as caught:
        channel.send(delivery())
    assert not caught.value.retryable
    assert box.messages == {}
    closed = EmailChannel("127.0.0.1", 9, "shop@shop.example", timeout_s=1)  # nothing listens on port 9
    with pytest.raises(ChannelError) as caught:
        closed.send(delivery())
    assert caught.value.retryable


def test_signed_webhooks_are_verified_and_deduped():
    inbox = WebhookInbox(SECRET)
    url = inbox.start()
    try:
        channel = WebhookChannel(url, SECRET)
        channel.send(delivery())
        channel.send(delivery())
        assert inbox.deliveries == 2 and list(inbox.messages) == ["f" * 32]
        body = inbox.messages["f" * 32]
        assert body["type"] == "cdp.flow.message" and body["message"]["body"] == "Hello Ann"
        assert "to" not in body["message"]  # no contact details to a generic webhook
        inbox.faults.append(429)
        with pytest.raises(ChannelError) as caught:
            channel.send(delivery("a" * 32))
        assert caught.value.retryable and caught.value.retry_after_s == 1.0
        wrong = WebhookChannel(url, "whsec_" + base64.b64encode(b"another secret").decode())
        with pytest.raises(ChannelError) as caught:
            wrong.send(delivery("b" * 32))
        assert not caught.value.retryable and inbox.rejected == 1
    finally:
        inbox.stop()


def test_sms_through_the_twilio_style_messages_api():
    api = SmsApi(SID, TOKEN)
    url = api.start()
    try:
        channel = SmsChannel(url, SID, TOKEN, "+3197010000000")
        channel.send(delivery(to="+31612345678", body="15% off"))
        channel.send(delivery(to="+31612345678", body="15% off"))  # same idempotency token
        assert [(m["to"], m["body"], m["status"]) for m in api.messages.values()] == [
            ("+31612345678", "15% off", "queued")
        ]
        for to, code in (("0612345678", "21211"), ("+31687654321", "21610")):
            api.unsubscribed.add("+31687654321")
            with pytest.raises(ChannelError, match=code) as caught:
                channel.send(delivery("c" * 32, to=to))
            assert not caught.value.retryable
        api.faults.append(429)
        with pytest.raises(ChannelError) as caught:
            channel.send(delivery("d" * 32, to="+31611111111"))
        assert caught.value.retryable and caught.value.retry_after_s == 1.0
        with pytest.raises(ChannelError, match="20003") as caught:
            SmsChannel(url, SID, "wrong", "+3197010000000").send(delivery("e" * 32, to="+31611111111"))
        assert not caught.value.retryable
        assert len(api.messages) == 1
    finally:
        api.stop()


def test_sms_rate_limit_is_answered_429_with_retry_after():
    api = SmsApi(SID, TOKEN, rate_per_s=0.001, burst=2)
    url = api.start()
    try:
        channel = SmsChannel(url, SID, TOKEN, "+3197010000000")
        channel.send(delivery("1" * 32, to="+31611111111"))
        channel.send(delivery("2" * 32, to="+31611111111"))
        with pytest.raises(ChannelError, match="429") as caught:
            channel.send(delivery("3" * 32, to="+31611111111"))
        assert caught.value.retry_after_s == 1.0
    finally:
        api.stop()


def vapid_key() -> str:
    return b64url(ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value.to_bytes(32, "big"))


def test_web_push_with_vapid_and_expired_subscriptions_removed(world):
    service = PushService()
    service.start()
    try:
        live, stale = service.subscribe(), service.subscribe()
        for sub in (live, stale):
            world.store.execute(
                "insert into push_subscriptions values (?, 'c1', ?, ?, 0)",
                [sub["endpoint"], sub["keys"]["p256dh"], sub["keys"]["auth"]],
            )
        service.expire(stale["endpoint"])
        channel = PushChannel(world.store, vapid_key(), "mailto:ops@shop.example")
        channel.send(delivery(body="Boots are back", url="/products/S1"))
        channel.send(delivery(body="Boots are back", url="/products/S1"))  # same Topic: replaces, one copy
        received = service.subscriptions[live["endpoint"].rsplit("/", 1)[1]].messages
        assert received == {"f" * 32: {"subject": "Hi", "body": "Boots are back", "url": "/products/S1"}}
        assert world.store.execute("select endpoint from push_subscriptions").fetchall() == [(live["endpoint"],)]
        service.expire(live["endpoint"])
        with pytest.raises(SubscriptionGone):
            channel.send(delivery("a" * 32))
        assert world.store.execute("select count(*) from push_subscriptions").fetchall() == [(0,)]
        other = PushChannel(world.store, vapid_key(), "mailto:ops@shop.example")
        fresh = service.subscribe()
        world.store.execute(
            "insert into push_subscriptions values (?, 'c1', ?, ?, 0)",
            [fresh["endpoint"], fresh["keys"]["p256dh"], "AAAAAAAAAAAAAAAAAAAAAA"],  # a wrong auth secret
        )
        with pytest.raises(ChannelError):
            other.send(delivery("b" * 32))
        assert service.rejected[-1] == "payload does not decrypt with the subscription's keys"
    finally:
        service.stop()


FLOW = """\
name: hello
version: 1
trigger: {type: event, event: Signed Up}
entry: again_after_exit
steps:
  - id: mail
    send: {channel: email, purpose: marketing, subject: "Welcome {{ profile.first_name }}", body: "Hi"}
"""


def test_sender_delivers_retries_and_marks_sent_without_keeping_the_body(world, mailbox):
    box, channel = mailbox
    world.flow(FLOW)
    world.customer("c1", first_name="Ann")
    world.customer("c2", first_name="Bob")
    world.send("c1", "Signed Up")
    world.send("c2", "Signed Up")
    sender = Sender(world.store, {"email": channel}, world.clock)
    box.faults.append("421 4.7.0 busy")
    assert sender.run_once() == 2
    (retry,) = world.outbox(status="pending")
    assert retry["attempts"] == 1 and retry["due_at"] == world.now + 1 and "421" in retry["error"]
    assert sender.run_once() == 0  # not due yet
    world.now += 1
    assert sender.run_once() == 1
    assert [(r["customer_id"], r["status"], r["message"]) for r in world.outbox()] == [
        ("c1", "sent", None),
        ("c2", "sent", None),
    ]
    assert sorted(str(m["Subject"]) for m in box.messages.values()) == ["Welcome Ann", "Welcome Bob"]


def test_a_resend_after_a_crash_before_the_ack_reaches_the_destination_once(world, mailbox):
    box, channel = mailbox
    world.flow(FLOW)
    world.customer("c1")
    world.send("c1", "Signed Up")
    (row,) = world.outbox()
    # the sender delivered, then died before marking the row: the row is still pending
    channel.send(Delivery(row["firing_id"], "hello", "mail", "c1", json.loads(row["message"])))
    Sender(world.store, {"email": channel}, world.clock).run_once()
    assert box.deliveries == 2 and len(box.messages) == 1
    assert world.outbox()[0]["status"] == "sent"


def test_sender_gives_up_after_max_attempts_and_rechecks_consent(world, mailbox):
    box, channel = mailbox
    world.flow(FLOW)
    world.customer("c1")
    world.customer("c2")
    world.send("c1", "Signed Up")
    world.send("c2", "Signed Up")
    world.customer("c2", consents={"marketing": {"email": False}})  # withdrawn before delivery
    sender = Sender(
        world.store,
        {"email": channel},
        world.clock,
        customers=world.engine.customers,
        purposes={("hello", "mail"): "marketing"},
        max_attempts=2,
    )
    box.faults.extend(["451 4.3.0 later", "451 4.3.0 later"])
    sender.run_once()
    world.now += 10
    sender.run_once()
    assert [(r["customer_id"], r["status"], r["reason"]) for r in world.outbox()] == [
        ("c1", "failed", None),
        ("c2", "suppressed", "consent"),
    ]
    assert box.messages == {}
