"""The support source over hand-made monthly ticket exports: what lands in `raw_support.tickets`."""

import json
from datetime import UTC, datetime

import pytest


def ticket(ticket_id: int | str | None, status: str = "open", rating: dict | None = None, **fields) -> dict:
    base = {
        "id": ticket_id,
        "requester": {"email": "Ann.Smith@Example.com", "phone": None, "name": "Ann Smith"},
        "channel": "email",
        "subject": "Where is my order #5001?",
        "status": status,
        "priority": "normal",
        "created_at": "2026-03-01T09:00:00Z",
        "updated_at": "2026-03-01T10:00:00Z",
        "satisfaction_rating": rating,
    }
    return {**base, **fields}


RATED = ticket(
    2,
    "solved",
    {"score": 4, "submitted_at": "2026-03-03T08:00:00+01:00"},
    channel="phone",
    requester={"email": None, "phone": "+31 6 1234 5678", "name": "Bob"},
)
MARCH = json.dumps(
    [
        ticket(1),
        RATED,
        {k: v for k, v in ticket(None).items() if k != "id"},  # no id at all
        ticket("T-3"),  # not the helpdesk's integer id
    ],
    indent=2,
)
# Cut off in the middle of the second ticket, as a crashed export would leave it.
APRIL = json.dumps([ticket(10), ticket(11)])[:-60]
MARCH_REEXPORTED = json.dumps([ticket(1, "solved", updated_at="2026-03-04T10:00:00Z"), RATED, ticket(4)])


@pytest.fixture(scope="module")
def steps(load_in_steps):
    return load_in_steps(
        "support",
        [
            {"tickets_202603.json": MARCH, "tickets_202604.json": APRIL},
            {},
            {"tickets_202603.json": MARCH_REEXPORTED},
        ],
    )


@pytest.fixture(scope="module")
def first(steps):
    return steps[0]


def test_tickets_load_one_row_per_integer_id(first):
    assert sorted(first.by_key("tickets", "id")) == [1, 2, 10]


def test_nested_objects_are_flattened_with_double_underscores(first):
    rated = first.by_key("tickets", "id")[2]
    assert (rated["requester__phone"], rated["requester__email"], rated["requester__name"]) == (
        "+31 6 1234 5678",
        None,
        "Bob",
    )
    assert rated["satisfaction_rating__score"] == 4
    assert rated["satisfaction_rating__submitted_at"] == datetime(2026, 3, 3, 7, tzinfo=UTC)
    unrated = first.by_key("tickets", "id")[1]
    assert unrated["satisfaction_rating__score"] is None
    assert unrated["requester__email"] == "Ann.Smith@Example.com"


def test_loaded_columns_have_the_contract_types(first):
    types = first.types["tickets"]
    assert types["id"] == types["satisfaction_rating__score"] == "BIGINT"
    for column in ("created_at", "updated_at", "satisfaction_rating__submitted_at"):
        assert types[column] == "TIMESTAMP WITH TIME ZONE", column
    assert types["requester__email"] == types["_file_name"] == "VARCHAR"


def test_ticket_missing_id_is_quarantined(first):
    reasons = {row["reason"]: row for row in first.quarantine("tickets")}
    missing = reasons["missing key `id`"]
    assert "id" not in json.loads(missing["raw_payload"])
    assert missing["file_name"] == "tickets_202603.json"
    assert "unparsable integer `id`: `T-3`" in reasons


def test_truncated_export_keeps_the_tickets_before_the_cut_and_quarantines_the_rest(first):
    (cut,) = [row for row in first.quarantine("tickets") if row["file_name"] == "tickets_202604.json"]
    assert cut["reason"].startswith("invalid JSON at character")
    assert cut["raw_payload"].startswith('{"id": 11')
    assert first.by_key("tickets", "id")[10]["_file_name"] == "tickets_202604.json"


def test_load_stats_balance(first):
    stats = first.stats("tickets")
    assert (stats["rows_read"], stats["rows_loaded"], stats["rows_quarantined"], stats["rows_duplicate"]) == (
        6,
        3,
        3,
        0,
    )


def test_second_run_without_new_exports_loads_nothing(steps):
    assert steps[1].run.rows_loaded == 0
    assert steps[1].stats("tickets")["rows_read"] == 0


def test_reexported_month_is_read_again_and_merged(steps):
    third = steps[2]
    assert third.run.rows_by_table["tickets"] == 3
    tickets = third.by_key("tickets", "id")
    assert sorted(tickets) == [1, 2, 4, 10]
    assert tickets[1]["status"] == "solved"
