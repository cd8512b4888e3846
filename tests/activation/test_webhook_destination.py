"""Webhook batches signed per Standard Webhooks, against a receiver that verifies them."""

import base64
import random

import pytest

from activation.destinations.webhook import WebhookDestination, sign
from activation.engine import INCOMPLETE, SUCCESS, RunContext, run_sync
from activation.testing.webhook_receiver import WebhookReceiver

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


@pytest.fixture
def receiver():
    stand_in = WebhookReceiver(SECRET, hang_s=0.6)
    stand_in.base_url = stand_in.start()
    yield stand_in
    stand_in.stop()


def test_signature_matches_the_standard_webhooks_example():
    # the example of the Standard Webhooks specification (svix test vector)
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_batches_arrive_signed_and_a_rerun_sends_nothing(warehouse, make_sync, context, receiver, rows):
    warehouse.set_model(rows(12))
    sync = make_sync(destination="webhook")
    destination = WebhookDestination(receiver.base_url + "/hooks", SECRET, max_batch_size=5, timeout_s=0.3)
    assert run_sync(warehouse.conn, sync, destination, context).status == SUCCESS
    assert receiver.deliveries == 3 and len(receiver.rows) == 12
    run_sync(warehouse.conn, sync, destination, context)
    assert receiver.deliveries == 3


def test_a_wrong_secret_is_refused_and_nothing_is_acknowledged(warehouse, make_sync, context, receiver, rows):
    warehouse.set_model(rows(2))
    other = "whsec_" + base64.b64encode(b"another secret of 32 bytes......").decode()
    destination = WebhookDestination(receiver.base_url, other, timeout_s=0.3)
    result = run_sync(warehouse.conn, make_sync(destination="webhook"), destination, context)
    assert result.status == INCOMPLETE and receiver.rows == {}


@pytest.mark.parametrize("fault", ["timeout_after_apply", "drop", "500", "429"])
def test_retries_reuse_the_webhook_id_so_the_receiver_applies_once(warehouse, make_sync, receiver, rows, fault):
    warehouse.set_model(rows(3))
    receiver.fail_next(fault)
    destination = WebhookDestination(receiver.base_url, SECRET, timeout_s=0.3)
    context = RunContext(sleep=lambda s: None, rng=random.Random(0))
    assert run_sync(warehouse.conn, make_sync(destination="webhook"), destination, context).status == SUCCESS
    assert len(receiver.messages) == 1 and len(receiver.rows) == 3
