"""The HubSpot-style contacts destination against the local stand-in: batch upsert <= 100 and 207s."""

import pytest

from activation.destinations.hubspot import HubSpotDestination
from activation.engine import INCOMPLETE, SUCCESS, run_sync
from activation.testing.hubspot_api import HubSpotStandIn

TOKEN = "pat-na1-test"


@pytest.fixture
def api():
    stand_in = HubSpotStandIn(TOKEN, hang_s=0.6)
    stand_in.base_url = stand_in.start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def contacts_sync(make_sync):
    return make_sync(
        name="contacts_to_hubspot",
        destination="hubspot",
        mode="mirror",
        delete_behaviour="archive",
        fields={"email": "email", "firstname": "first_name"},
    )


def destination_for(api) -> HubSpotDestination:
    return HubSpotDestination(api.base_url, TOKEN, timeout_s=0.3)


def test_upserts_in_batches_of_100_and_archives_by_contact_id(warehouse, contacts_sync, context, api, rows):
    warehouse.set_model(rows(250))
    destination = destination_for(api)
    assert run_sync(warehouse.conn, contacts_sync, destination, context).status == SUCCESS
    assert len(api.requests) == 3 and len(api.live_emails()) == 250
    warehouse.set_model(rows(240))  # ten customers gone: their emails are unknown now, their ids are not
    api.requests.clear()
    assert run_sync(warehouse.conn, contacts_sync, destination, context).status == SUCCESS
    assert len(api.live_emails()) == 240 and api.requests == [("POST", "/crm/v3/objects/contacts/batch/archive")]


def test_a_207_fails_only_the_rejected_rows_and_only_they_go_again(warehouse, contacts_sync, context, api, rows):
    warehouse.set_model([*rows(5), ("cus_bad", "bad@", "Bad")])
    destination = destination_for(api)
    result = run_sync(warehouse.conn, contacts_sync, destination, context)
    assert (result.status, result.rows_acked, result.rows_failed) == (INCOMPLETE, 5, 1)
    error = warehouse.conn.execute(
        "select error from activation.sync_changelog where customer_id = 'cus_bad'"
    ).fetchall()[0][0]
    assert error.startswith("VALIDATION_ERROR") and "bad@" not in error
    api.requests.clear()
    warehouse.set_model([*rows(5), ("cus_bad", "fixed@example.com", "Bad")])
    assert run_sync(warehouse.conn, contacts_sync, destination, context).status == SUCCESS
    assert len(api.requests) == 1 and "fixed@example.com" in api.live_emails()


@pytest.mark.parametrize("fault", ["500", "429", "timeout_after_apply", "drop"])
def test_faults_are_retried_and_upserts_stay_single(warehouse, contacts_sync, context, api, rows, fault):
    warehouse.set_model(rows(3))
    api.fail_next(fault)
    assert run_sync(warehouse.conn, contacts_sync, destination_for(api), context).status == SUCCESS
    assert len(api.contacts) == 3
