"""The Mailchimp-style audience destination against the local stand-in that enforces its contract."""

import random

import pytest

from activation.destinations.mailchimp import MailchimpDestination, subscriber_hash
from activation.engine import INCOMPLETE, SUCCESS, RunContext, run_sync
from activation.resilience import RateLimiter, RetryPolicy
from activation.testing.mailchimp_api import MailchimpStandIn

API_KEY = "test-key-us1"


@pytest.fixture
def api():
    stand_in = MailchimpStandIn(API_KEY, list_id="list1", hang_s=0.6)
    url = stand_in.start()
    stand_in.base_url = url
    yield stand_in
    stand_in.stop()


@pytest.fixture
def audience_sync(make_sync):
    return make_sync(
        name="vips_to_mailchimp",
        destination="mailchimp",
        mode="add_remove",
        delete_behaviour="remove",
        fields={"email_address": "email", "first_name": "first_name"},
    )


def destination_for(api, **kwargs) -> MailchimpDestination:
    return MailchimpDestination(api.base_url, API_KEY, "list1", timeout_s=kwargs.pop("timeout_s", 0.3), **kwargs)


def test_members_are_keyed_by_md5_of_the_lower_cased_email(warehouse, audience_sync, context, api):
    warehouse.set_model([("cus_1", "Ann.Lee@Example.COM", "Ann")])
    destination = destination_for(api)
    assert run_sync(warehouse.conn, audience_sync, destination, context).status == SUCCESS
    member = api.members[subscriber_hash("ann.lee@example.com")]
    assert member["email_address"] == "ann.lee@example.com"
    assert member["merge_fields"] == {"FIRST_NAME": "Ann"}


def test_batches_stay_within_500_and_a_rerun_sends_zero_requests(warehouse, audience_sync, context, api, rows):
    warehouse.set_model(rows(1100))
    destination = destination_for(api, max_batch_size=1000)
    assert run_sync(warehouse.conn, audience_sync, destination, context).status == SUCCESS
    assert api.max_batch_seen == 500 and len(api.requests) == 3
    assert len(api.subscribed_emails()) == 1100
    api.requests.clear()
    run_sync(warehouse.conn, audience_sync, destination, context)
    assert api.requests == []


def test_leaving_the_audience_unsubscribes_and_vanished_customers_are_archived_by_hash(
    warehouse, audience_sync, context, api, rows
):
    warehouse.set_model(rows(4))
    destination = destination_for(api)
    run_sync(warehouse.conn, audience_sync, destination, context)
    # cus_00001 withdraws consent (email still known); cus_00003 is gone from the warehouse entirely
    warehouse.set_model(rows(3), withdrawn=["cus_00001"])
    result = run_sync(warehouse.conn, audience_sync, destination, context, force=True)
    assert result.status == SUCCESS
    assert api.subscribed_emails() == {"c0@example.com", "c2@example.com"}
    assert api.members[subscriber_hash("c1@example.com")]["status"] == "unsubscribed"
    assert api.members[subscriber_hash("c3@example.com")]["status"] == "archived"


def test_rows_the_api_rejects_fail_alone_and_only_they_go_again(warehouse, audience_sync, context, api, rows):
    warehouse.set_model([*rows(3), ("cus_bad", "not-an-email", "Bad")])
    destination = destination_for(api)
    result = run_sync(warehouse.conn, audience_sync, destination, context)
    assert (result.status, result.rows_acked, result.rows_failed) == (INCOMPLETE, 3, 1)
    error = warehouse.conn.execute(
        "select error from activation.sync_changelog where customer_id = 'cus_bad'"
    ).fetchall()[0][0]
    assert "Invalid email" in error and "not-an-email" not in error
    api.requests.clear()
    run_sync(warehouse.conn, audience_sync, destination, context)
    assert len(api.requests) == 1  # just the bad row, again


@pytest.mark.parametrize("fault", ["500", "429", "timeout_after_apply", "drop"])
def test_transient_faults_are_retried_and_the_audience_ends_right(
    warehouse, audience_sync, sleeps, context, api, rows, fault
):
    warehouse.set_model(rows(5))
    api.fail_next(fault)
    result = run_sync(warehouse.conn, audience_sync, destination_for(api), context)
    assert result.status == SUCCESS
    assert len(api.subscribed_emails()) == 5
    if fault == "429":
        assert sleeps == [1.0]  # Retry-After, not an attempt


def test_an_outage_ends_incomplete_and_the_next_run_catches_up(warehouse, audience_sync, api, rows):
    warehouse.set_model(rows(1200))
    context = RunContext(sleep=lambda s: None, rng=random.Random(1), policy=RetryPolicy(max_attempts=2))
    destination = destination_for(api)
    original = api.handle

    def down_after_first_batch(method, path, headers, body):
        if api.members:
            return api.problem(503, "Service Unavailable", "down")
        return original(method, path, headers, body)

    api.handle = down_after_first_batch
    result = run_sync(warehouse.conn, audience_sync, destination, context)
    assert result.status == INCOMPLETE and result.rows_acked == 500
    assert len(api.requests) == 1 + 2 * 2  # two batches failed twice each: the breaker opened
    api.handle = original
    result = run_sync(warehouse.conn, audience_sync, destination, RunContext(sleep=lambda s: None))
    assert result.status == SUCCESS and len(api.subscribed_emails()) == 1200


def test_the_shared_rate_limiter_keeps_under_the_api_limit(warehouse, make_sync, context, api, rows):
    api.rate_per_s, api.burst = 20.0, 3
    api._tokens = 3.0
    destination = destination_for(api, max_batch_size=5)
    context.limiters[destination.rate_limit_key] = RateLimiter(18.0, burst=3)
    for name in ("first_sync", "second_sync"):  # two syncs to one account share the limiter
        sync = make_sync(
            name=name,
            destination="mailchimp",
            mode="add_only",
            delete_behaviour="none",
            fields={"email_address": "email"},
        )
        warehouse.set_model(rows(40))
        assert run_sync(warehouse.conn, sync, destination, context).status == SUCCESS
    assert len(api.requests) == 16
    assert api.rate_limited == 0


def test_a_wrong_api_key_is_a_permanent_failure_not_retried(warehouse, audience_sync, context, api, rows):
    warehouse.set_model(rows(2))
    destination = MailchimpDestination(api.base_url, "wrong", "list1", timeout_s=0.3)
    result = run_sync(warehouse.conn, audience_sync, destination, context)
    assert result.status == INCOMPLETE and len(api.requests) == 1
