"""The Meta Custom Audiences-style destination against the local stand-in enforcing its contract."""

import hashlib

import pytest

from activation.destinations.meta_audiences import MetaAudienceDestination, hashed_row
from activation.engine import INCOMPLETE, SUCCESS, run_sync
from activation.testing.meta_audiences_api import MetaAudiencesStandIn

TOKEN = "EAAB-test-token"


@pytest.fixture
def api():
    stand_in = MetaAudiencesStandIn(TOKEN, audience_id="2384", hang_s=0.6)
    stand_in.base_url = stand_in.start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def audience_sync(make_sync):
    return make_sync(
        name="vips_to_meta",
        destination="meta_audiences",
        mode="add_remove",
        delete_behaviour="remove",
        fields={"email": "email", "phone": "first_name"},
    )


def destination_for(api, **kwargs) -> MetaAudienceDestination:
    return MetaAudienceDestination(api.base_url, TOKEN, "2384", timeout_s=0.3, **kwargs)


@pytest.mark.parametrize(
    ("fields", "expected_email", "expected_phone"),
    [
        ({"email": "  Ann.Lee@Example.COM ", "phone": "+31 6 1234-5678"}, "ann.lee@example.com", "31612345678"),
        ({"email": None, "phone": "+4917012345678"}, None, "4917012345678"),
    ],
    ids=["trimmed-lower-cased-email-and-digits-only-phone", "phone-only"],
)
def test_identifiers_are_normalised_before_hashing(fields, expected_email, expected_phone):
    def digest(value):
        return hashlib.sha256(value.encode()).hexdigest() if value else ""

    assert hashed_row(fields) == [digest(expected_email), digest(expected_phone)]


def test_adds_and_removes_by_hash_and_a_rerun_sends_nothing(warehouse, audience_sync, context, api):
    warehouse.set_model([(f"cus_{i}", f"c{i}@example.com", f"+3161234{i:04d}") for i in range(12)])
    destination = destination_for(api, max_batch_size=5)
    assert run_sync(warehouse.conn, audience_sync, destination, context).status == SUCCESS
    assert len(api.members) == 12 and api.max_rows_seen == 5
    assert all("@" not in value for row in api.members for value in row)
    rows = [(f"cus_{i}", f"c{i}@example.com", f"+3161234{i:04d}") for i in range(12)]
    warehouse.set_model(rows[:9], withdrawn=["cus_0"])  # three gone from the warehouse, one withdrew consent
    api.requests.clear()
    assert run_sync(warehouse.conn, audience_sync, destination, context, force=True).status == SUCCESS
    assert len(api.members) == 8 and len(api.requests) == 1
    api.requests.clear()
    run_sync(warehouse.conn, audience_sync, destination, context)
    assert api.requests == []


@pytest.mark.parametrize("fault", ["500", "429", "timeout_after_apply", "drop"])
def test_faults_are_retried_and_a_replayed_session_is_not_applied_twice(
    warehouse, audience_sync, context, api, rows, fault
):
    warehouse.set_model(rows(4))
    api.fail_next(fault)
    assert run_sync(warehouse.conn, audience_sync, destination_for(api), context).status == SUCCESS
    assert len(api.members) == 4 and len(api.sessions) == 1


def test_a_row_without_identifiers_fails_alone(warehouse, audience_sync, context, api, rows):
    warehouse.set_model([*rows(2), ("cus_none", None, None)])
    result = run_sync(warehouse.conn, audience_sync, destination_for(api), context)
    assert (result.status, result.rows_acked, result.rows_failed) == (INCOMPLETE, 2, 1)


def test_a_bad_token_is_permanent(warehouse, audience_sync, context, api, rows):
    warehouse.set_model(rows(2))
    destination = MetaAudienceDestination(api.base_url, "wrong", "2384", timeout_s=0.3)
    assert run_sync(warehouse.conn, audience_sync, destination, context).status == INCOMPLETE
    assert len(api.requests) == 1
