"""The ESP source over hand-made files: what lands in `raw_esp.subscribers` and `raw_esp.events`."""

import json

import pytest


def jsonl(*lines: dict | str) -> str:
    """A dict is one JSON line; a str is written as is, to make broken lines."""
    return "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)


def subscriber(subscriber_id: str | None, status: str = "subscribed", **fields) -> dict:
    base = {
        "subscriber_id": subscriber_id,
        "email": f"{subscriber_id}@Example.com",
        "status": status,
        "list_id": "L-main",
        "language": "nl",
        "country": "NL",
        "opted_in_at": "2026-01-05T08:00:00Z",
        "unsubscribed_at": None,
        "updated_at": "2026-01-05T08:00:00Z",
    }
    return {**base, **fields}


def email_event(event_id: str, type_: str, **fields) -> dict:
    base = {
        "event_id": event_id,
        "subscriber_id": "S-1",
        "email": "S-1@Example.com",
        "campaign_id": "C-7",
        "campaign_name": "Spring sale",
        "type": type_,
        "occurred_at": "2026-03-01T09:00:00Z",
        "url": None,
        "bounce_type": None,
    }
    return {**base, **fields}


SUBSCRIBERS_V1 = jsonl(
    subscriber("S-1"),
    subscriber("S-2", "pending", opted_in_at=None),
    subscriber(None),  # no key
    '{"subscriber_id": "S-9", "email": "s9@exa',  # truncated
)
# The export is rewritten in place: S-2 unsubscribed since.
SUBSCRIBERS_V2 = jsonl(
    subscriber("S-1"),
    subscriber("S-2", "unsubscribed", unsubscribed_at="2026-03-02T12:00:00Z", updated_at="2026-03-02T12:00:00Z"),
)
EVENTS_0301 = jsonl(
    email_event("E-1", "send"),
    email_event("E-2", "click", url="https://shop.example/spring"),
    email_event("E-3", "bounce", subscriber_id="S-2", email="S-2@Example.com", bounce_type="hard"),
    email_event("E-4", "open", occurred_at="01/03/2026 9am"),
)
EVENTS_0302 = jsonl(email_event("E-2", "click", url="https://shop.example/spring"), email_event("E-5", "open"))


@pytest.fixture(scope="module")
def steps(load_in_steps):
    return load_in_steps(
        "esp",
        [
            {"subscribers.jsonl": SUBSCRIBERS_V1, "events/2026-03-01.jsonl": EVENTS_0301},
            {},
            {"subscribers.jsonl": SUBSCRIBERS_V2, "events/2026-03-02.jsonl": EVENTS_0302},
        ],
    )


@pytest.fixture(scope="module")
def first(steps):
    return steps[0]


def test_subscribers_load_one_row_per_subscriber_id_as_in_the_file(first):
    subscribers = first.by_key("subscribers", "subscriber_id")
    assert sorted(subscribers) == ["S-1", "S-2"]
    assert (subscribers["S-1"]["email"], subscribers["S-2"]["status"]) == ("S-1@Example.com", "pending")
    assert subscribers["S-2"]["opted_in_at"] is None


def test_event_type_is_renamed_event_type(first):
    events = first.by_key("events", "event_id")
    assert sorted(events) == ["E-1", "E-2", "E-3"]
    assert "type" not in first.types["events"]
    assert (events["E-3"]["event_type"], events["E-3"]["bounce_type"]) == ("bounce", "hard")
    assert events["E-2"]["url"] == "https://shop.example/spring"


def test_loaded_columns_have_the_contract_types(first):
    subscribers, events = first.types["subscribers"], first.types["events"]
    for column in ("opted_in_at", "unsubscribed_at", "updated_at"):
        assert subscribers[column] == "TIMESTAMP WITH TIME ZONE", column
    assert events["occurred_at"] == "TIMESTAMP WITH TIME ZONE"
    assert subscribers["subscriber_id"] == events["event_id"] == events["subscriber_id"] == "VARCHAR"
    assert events["_file_name"] == subscribers["_file_name"] == "VARCHAR"


def test_malformed_records_are_quarantined_per_table_with_reason(first):
    assert sorted(row["reason"] for row in first.quarantine("subscribers")) == [
        "invalid JSON",
        "missing key `subscriber_id`",
    ]
    (bad_event,) = first.quarantine("events")
    assert bad_event["reason"] == "unparsable timestamp `occurred_at`: `01/03/2026 9am`"
    assert json.loads(bad_event["raw_payload"])["event_id"] == "E-4"
    assert bad_event["file_name"] == "events/2026-03-01.jsonl"


def test_load_stats_balance_per_table(first):
    for table, expected in {"subscribers": (4, 2, 2, 0), "events": (4, 3, 1, 0)}.items():
        stats = first.stats(table)
        assert (
            stats["rows_read"],
            stats["rows_loaded"],
            stats["rows_quarantined"],
            stats["rows_duplicate"],
        ) == (expected), table


def test_second_run_without_new_files_loads_nothing(steps):
    second = steps[1]
    assert second.run.rows_loaded == 0
    assert second.stats("subscribers")["rows_read"] == second.stats("events")["rows_read"] == 0


def test_rewritten_subscriber_export_is_read_again_and_merged(steps):
    third = steps[2]
    assert third.run.rows_by_table["subscribers"] == 2
    subscribers = third.by_key("subscribers", "subscriber_id")
    assert len(subscribers) == 2
    assert subscribers["S-2"]["status"] == "unsubscribed"


def test_event_redelivered_in_a_later_file_is_merged_not_duplicated(steps):
    third = steps[2]
    assert third.run.rows_by_table["events"] == 2
    ids = [row["event_id"] for row in third.rows("events")]
    assert sorted(ids) == ["E-1", "E-2", "E-3", "E-5"]
