"""The web source over hand-made Segment files: what lands in `raw_web.events`, run after run."""

import json

import pytest


def jsonl(*lines: dict | str) -> str:
    """A dict is one JSON line; a str is written as is, to make broken lines."""
    return "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)


def event(message_id: str, type_: str = "track", received_at: str = "2026-03-01T10:00:02Z", **fields) -> dict:
    base = {
        "type": type_,
        "messageId": message_id,
        "anonymousId": "anon-1",
        "userId": None,
        "timestamp": "2026-03-01T10:00:00Z",
        "sentAt": "2026-03-01T10:00:01Z",
        "receivedAt": received_at,
        "originalTimestamp": "2026-03-01T11:00:00+01:00",
        "context": {
            "ip": "203.0.113.7",
            "userAgent": "Mozilla/5.0",
            "locale": "nl-NL",
            "page": {
                "url": "https://shop.example/p/sku-1",
                "path": "/p/sku-1",
                "referrer": None,
                "title": "Sku 1",
            },
            "campaign": {"source": "newsletter", "medium": "email", "name": "spring"},
        },
    }
    return {**base, **fields}


ORDER_COMPLETED = event(
    "m-order",
    userId="1001",
    event="Order Completed",
    properties={"order_id": "5001", "revenue": 84.5, "currency": "EUR", "coupon": "SPRING10"},
)
IDENTIFY = event(
    "m-identify",
    "identify",
    userId="1001",
    traits={
        "email": " Ann.Smith@Example.COM",
        "phone": "06 12345678",
        "first_name": "Ann",
        "last_name": "Smith",
    },
)
APP_VIEW = event(
    "m-app",
    event="Product Viewed",
    context={"ip": "198.51.100.1", "device": {"id": "dev-9", "type": "ios"}},
    properties={"product_id": "P-1", "sku": "SKU-1", "category": "shoes", "price": 59.95, "quantity": 2},
)
PAGE = event("m-page", "page", name="Product", properties={"path": "/p/sku-1"})
ALIAS = event("m-alias", "alias", userId="1001", previousId="anon-1")

DAY_1 = jsonl(
    ORDER_COMPLETED,
    IDENTIFY,
    APP_VIEW,
    PAGE,
    ALIAS,
    ORDER_COMPLETED,  # an exact re-delivery inside the run
    '{"type":"track","messageId":"m-cut","anonymousId":"an',  # truncated
    {"type": "track", "anonymousId": "anon-2", "timestamp": "2026-03-01T10:00:00Z"},  # no messageId
    event("m-bad-ts", timestamp="yesterday at noon"),
    "",  # a blank line is not a record
    "[1, 2, 3]",
)
DAY_2 = jsonl(event("m-day2", received_at="2026-03-02T08:00:00Z"), PAGE)  # PAGE again, in a later file
DAY_3 = jsonl(
    APP_VIEW,  # re-delivered in a later run: merges
    event("m-late", timestamp="2026-03-01T23:59:00Z", received_at="2026-03-03T00:00:05Z"),  # arrives late
)


@pytest.fixture(scope="module")
def steps(load_in_steps):
    return load_in_steps(
        "web",
        [
            {"events/2026-03-01.jsonl": DAY_1, "events/2026-03-02.jsonl": DAY_2},
            {},  # no new files
            {"events/2026-03-03.jsonl": DAY_3},
        ],
    )


@pytest.fixture(scope="module")
def first(steps):
    return steps[0]


def test_events_load_one_row_per_message_id(first):
    ids = sorted(row["message_id"] for row in first.rows("events"))
    assert ids == ["m-alias", "m-app", "m-day2", "m-identify", "m-order", "m-page"]


def test_loaded_columns_have_the_contract_types(first):
    types = first.types["events"]
    for column in ("timestamp", "sent_at", "received_at", "original_timestamp"):
        assert types[column] == "TIMESTAMP WITH TIME ZONE", column
    assert types["properties_price"] == "DOUBLE"
    assert types["properties_quantity"] == "BIGINT"
    for column in ("message_id", "user_id", "properties_order_id", "properties", "traits", "_file_name"):
        assert types[column] == "VARCHAR", column
    assert {"_dlt_load_id", "_dlt_id"} <= set(types)


def test_nested_fields_are_flattened_into_contract_columns(first):
    events = first.by_key("events", "message_id")
    order = events["m-order"]
    assert (order["type"], order["event"], order["user_id"]) == ("track", "Order Completed", "1001")
    assert (order["context_ip"], order["context_page_path"], order["context_campaign_medium"]) == (
        "203.0.113.7",
        "/p/sku-1",
        "email",
    )
    assert (order["properties_order_id"], order["properties_revenue"]) == ("5001", 84.5)
    app = events["m-app"]
    assert (app["context_device_id"], app["context_device_type"], app["context_page_url"]) == (
        "dev-9",
        "ios",
        None,
    )
    assert (app["properties_price"], app["properties_quantity"]) == (59.95, 2)
    assert events["m-alias"]["previous_id"] == "anon-1"
    assert events["m-page"]["name"] == "Product"


def test_properties_and_traits_are_kept_whole_as_json_text(first):
    events = first.by_key("events", "message_id")
    assert json.loads(events["m-order"]["properties"])["coupon"] == "SPRING10"
    assert json.loads(events["m-identify"]["traits"])["last_name"] == "Smith"
    assert events["m-order"]["traits"] is None


def test_identifiers_are_kept_as_the_source_sent_them(first):
    identify = first.by_key("events", "message_id")["m-identify"]
    assert (identify["traits_email"], identify["traits_phone"]) == (" Ann.Smith@Example.COM", "06 12345678")


def test_timestamps_with_an_offset_are_loaded_as_the_same_instant_in_utc(first):
    order = first.by_key("events", "message_id")["m-order"]
    assert order["original_timestamp"] == order["timestamp"]  # 11:00+01:00 is 10:00Z


def test_rows_carry_the_file_they_came_from(first):
    events = first.by_key("events", "message_id")
    assert events["m-day2"]["_file_name"] == "events/2026-03-02.jsonl"
    # PAGE came in both files of the run: the later delivery is the one kept
    assert events["m-page"]["_file_name"] == "events/2026-03-02.jsonl"


def test_truncated_json_line_is_quarantined_with_reason(first):
    quarantined = {row["raw_payload"]: row for row in first.quarantine("events")}
    cut = quarantined['{"type":"track","messageId":"m-cut","anonymousId":"an']
    assert cut["reason"] == "invalid JSON"
    assert (cut["source"], cut["file_name"]) == ("web", "events/2026-03-01.jsonl")
    assert cut["loaded_at"] is not None


def test_event_without_message_id_or_with_bad_timestamp_or_not_an_object_is_quarantined(first):
    reasons = sorted(row["reason"] for row in first.quarantine("events"))
    assert reasons == [
        "invalid JSON",
        "missing key `messageId`",
        "not a JSON object",
        "unparsable timestamp `timestamp`: `yesterday at noon`",
    ]


def test_load_stats_balance_and_count_duplicates_inside_the_run(first):
    stats = first.stats("events")
    assert (stats["source"], stats["rows_loaded"], stats["rows_quarantined"], stats["rows_duplicate"]) == (
        "web",
        6,
        4,
        2,
    )
    assert stats["rows_read"] == 12  # 10 records in day 1 (not the blank line) + 2 in day 2
    assert stats["rows_read"] == stats["rows_loaded"] + stats["rows_quarantined"] + stats["rows_duplicate"]


def test_run_reports_rows_per_table(first):
    assert first.run.rows_by_table["events"] == 6
    assert first.run.rows_quarantined == 4


def test_second_run_without_new_files_loads_nothing(steps):
    second = steps[1]
    assert second.run.rows_loaded == 0
    assert second.stats("events")["rows_read"] == 0
    assert len(second.rows("events")) == len(steps[0].rows("events"))


def test_new_file_adds_only_its_rows_and_late_events_load_then(steps):
    third = steps[2]
    assert third.run.rows_by_table["events"] == 2
    assert third.stats("events")["rows_read"] == 2
    assert "m-late" in third.by_key("events", "message_id")


def test_event_redelivered_in_a_later_run_is_merged_not_duplicated(steps):
    ids = [row["message_id"] for row in steps[2].rows("events")]
    assert len(ids) == len(set(ids)) == 7
    assert steps[2].by_key("events", "message_id")["m-app"]["_file_name"] == "events/2026-03-03.jsonl"
