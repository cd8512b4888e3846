"""The Segment tracking API: who may send, what is refused and why, and what a stored event looks like."""

import gzip
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from tests.realtime.conftest import KEY_NAME, WRITE_KEY, basic, spool_bytes, spooled

TRACK = {"userId": "u-1", "event": "Product Viewed", "properties": {"sku": "SKU-1"}, "messageId": "m-1"}


def post(client, path: str, body, headers=None):
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return client.post(path, content=content, headers=headers if headers is not None else basic())


# -- auth -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_write_key"),
        (basic("wrong-key"), "invalid_write_key"),
        ({"Authorization": "Bearer " + WRITE_KEY}, "invalid_auth"),
        ({"Authorization": "Basic not-base64!"}, "invalid_auth"),
    ],
    ids=["no-key", "unknown-key", "not-basic", "garbled-basic"],
)
def test_a_request_without_a_known_write_key_is_refused_with_401(client, spool_dir, headers, code):
    response = post(client, "/v1/track", TRACK, headers)
    assert response.status_code == 401
    assert response.json() == {"success": False, "code": code, "message": response.json()["message"]}
    assert "wrong-key" not in response.text  # the key is never echoed
    assert spooled(spool_dir) == []


def test_the_write_key_may_come_in_the_body_as_analytics_js_sends_it_but_is_never_stored(client, spool_dir):
    response = post(client, "/v1/track", {**TRACK, "writeKey": WRITE_KEY}, headers={})
    assert response.status_code == 200
    (event,) = spooled(spool_dir)
    assert event["keyId"] == KEY_NAME and "writeKey" not in event
    assert WRITE_KEY.encode() not in spool_bytes(spool_dir)


def test_an_accepted_event_is_answered_like_segment(client):
    response = post(client, "/v1/track", TRACK)
    assert (response.status_code, response.json()) == (200, {"success": True})


# -- validation -----------------------------------------------------------------------------------------

INVALID = [
    ("/v1/track", b'{"userId": "u-1", "event": ', "invalid_json"),
    ("/v1/track", b'{"userId": "u-1", "event": "A", "x": NaN}', "invalid_json"),
    ("/v1/track", b'{"userId": "u-1", "event": "\\ud800"}', "invalid_json"),
    ("/v1/track", b"\xff\xfe not utf-8", "invalid_json"),
    ("/v1/track", b'["not", "an", "object"]', "invalid_event"),
    ("/v1/track", {"userId": "u-1"}, "missing_field"),
    ("/v1/track", {"userId": "u-1", "event": ""}, "invalid_field"),
    ("/v1/track", {"userId": "u-1", "event": 42}, "invalid_field"),
    ("/v1/track", {"event": "Signed Up"}, "missing_field"),
    ("/v1/identify", {"traits": {"email": "a@b.c"}}, "missing_field"),
    ("/v1/identify", {"userId": True}, "invalid_field"),
    ("/v1/identify", {"userId": "u-1", "traits": ["a@b.c"]}, "invalid_field"),
    ("/v1/track", {"userId": "u-1", "event": "A", "properties": "sku"}, "invalid_field"),
    ("/v1/track", {"userId": "u-1", "event": "A", "messageId": 7}, "invalid_field"),
    ("/v1/track", {"userId": "u-1", "event": "A", "timestamp": "yesterday"}, "invalid_timestamp"),
    ("/v1/track", {"userId": "u-1", "event": "A", "sentAt": 1700000000}, "invalid_timestamp"),
    ("/v1/alias", {"userId": "u-1"}, "missing_field"),
    ("/v1/alias", {"previousId": "anon-1"}, "missing_field"),
    ("/v1/group", {"userId": "u-1", "traits": {}}, "missing_field"),
    ("/v1/page", {"anonymousId": "a-1", "name": ["Home"]}, "invalid_field"),
    ("/v1/batch", {"batch": {"type": "track"}}, "invalid_batch"),
    ("/v1/batch", {"batch": []}, "empty_batch"),
    ("/v1/batch", [{"type": "track"}], "invalid_body"),
    ("/v1/batch", {"batch": [{**TRACK, "type": "track"}, {**TRACK, "type": "purchase"}]}, "invalid_type"),
    ("/v1/batch", {"batch": [{**TRACK, "type": "track"}, {"type": "track", "userId": "u-2"}]}, "missing_field"),
    ("/v1/batch", {"batch": [{**TRACK, "type": "track"}], "sentAt": "soon"}, "invalid_timestamp"),
]


@pytest.mark.parametrize(
    ("path", "body", "code"),
    INVALID,
    ids=[
        "truncated-json",
        "nan",
        "lone-surrogate",
        "not-utf8",
        "not-an-object",
        "track-without-event",
        "track-with-empty-event",
        "track-with-numeric-event",
        "track-without-user",
        "identify-without-user",
        "boolean-user-id",
        "traits-not-an-object",
        "properties-not-an-object",
        "numeric-message-id",
        "unparsable-timestamp",
        "numeric-sent-at",
        "alias-without-previous-id",
        "alias-without-user-id",
        "group-without-group-id",
        "page-name-not-a-string",
        "batch-not-a-list",
        "batch-empty",
        "batch-body-not-an-object",
        "batch-unknown-type",
        "batch-one-bad-event-refuses-all",
        "batch-bad-sent-at",
    ],
)
def test_bad_input_is_refused_with_400_and_a_reason_and_never_reaches_the_spool(client, spool_dir, path, body, code):
    response = post(client, path, body)
    assert response.status_code == 400, response.text
    assert response.json()["success"] is False
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert spool_bytes(spool_dir) == b""


def test_a_batch_error_names_the_event_it_is_about(client):
    response = post(client, "/v1/batch", {"batch": [{**TRACK, "type": "track"}, {"type": "alias", "userId": "u"}]})
    assert response.json()["message"].startswith("batch[1]: ")


def test_get_is_not_an_ingestion_method(client):
    assert client.get("/v1/track").status_code == 405


# -- size limits -------------------------------------------------------------------------------------------


def _track_of_size(size: int) -> bytes:
    body = orjson.dumps({**TRACK, "properties": {"blob": ""}})
    return orjson.dumps({**TRACK, "properties": {"blob": "x" * (size - len(body))}})


def test_an_event_of_exactly_32_kb_is_accepted(client, spool_dir):
    body = _track_of_size(32 * 1024)
    assert len(body) == 32 * 1024
    assert post(client, "/v1/track", body).status_code == 200


def test_an_event_over_32_kb_is_refused_with_413(client, spool_dir):
    response = post(client, "/v1/track", _track_of_size(32 * 1024 + 1))
    assert (response.status_code, response.json()["code"]) == (413, "request_too_large")
    assert spool_bytes(spool_dir) == b""


def test_a_batch_over_500_kb_is_refused_with_413(client, spool_dir):
    events = [{**TRACK, "type": "track", "messageId": f"m-{i}", "properties": {"blob": "y" * 1000}} for i in range(520)]
    response = post(client, "/v1/batch", {"batch": events})
    assert (response.status_code, response.json()["code"]) == (413, "request_too_large")
    assert spool_bytes(spool_dir) == b""


def test_a_batch_under_500_kb_holding_one_event_over_32_kb_is_refused_with_400(client, spool_dir):
    big = {**TRACK, "type": "track", "messageId": "m-big", "properties": {"blob": "z" * 33_000}}
    response = post(client, "/v1/batch", {"batch": [{**TRACK, "type": "track"}, big]})
    assert (response.status_code, response.json()["code"]) == (400, "event_too_large")
    assert "batch[1]" in response.json()["message"]
    assert spool_bytes(spool_dir) == b""


def test_a_gzip_body_is_read_and_a_gzip_bomb_is_refused(client, spool_dir):
    headers = {**basic(), "Content-Encoding": "gzip"}
    assert client.post("/v1/track", content=gzip.compress(orjson.dumps(TRACK)), headers=headers).status_code == 200
    bomb = gzip.compress(orjson.dumps({**TRACK, "messageId": "m-bomb", "properties": {"x": "0" * 10**6}}))
    assert len(bomb) < 32 * 1024
    assert client.post("/v1/track", content=bomb, headers=headers).status_code == 413
    assert [event["messageId"] for event in spooled(spool_dir)] == ["m-1"]


# -- what is stored --------------------------------------------------------------------------------------


def test_unicode_and_sql_looking_strings_are_accepted_and_stored_verbatim(client, spool_dir):
    strings = {
        "sql": "Robert'); DROP TABLE raw_web.events;--",
        "quote": 'say "hi" \\ back',
        "unicode": "Zoë 🛒 日本語 \u200b العربية",
        "control": "tab\tnewline\nnull\u0000",
    }
    event = {"anonymousId": "a-1", "event": "Search’ OR 1=1 --", "properties": strings, "messageId": "m-u"}
    assert post(client, "/v1/track", event).status_code == 200
    (stored,) = spooled(spool_dir)
    assert stored["properties"] == strings
    assert stored["event"] == "Search’ OR 1=1 --"
    assert "Zoë 🛒 日本語".encode() in spool_bytes(spool_dir)  # UTF-8 as is, not \u-escaped
    assert spool_bytes(spool_dir).count(b"\n") == 1  # a newline inside a value cannot split the line


def test_client_clock_skew_is_corrected_from_sent_at_as_segment_does(client, spool_dir):
    # The device clock is 1 hour behind: it says it sent the request at 09:00:10 for an event at 09:00:00.
    event = {**TRACK, "timestamp": "2026-03-01T09:00:00.000Z", "sentAt": "2026-03-01T09:00:10.000Z"}
    before = datetime.now(UTC)
    assert post(client, "/v1/track", event).status_code == 200
    after = datetime.now(UTC)
    (stored,) = spooled(spool_dir)
    received_at = datetime.fromisoformat(stored["receivedAt"])
    assert before - timedelta(milliseconds=1) <= received_at <= after
    assert datetime.fromisoformat(stored["timestamp"]) == received_at - timedelta(seconds=10)
    assert stored["originalTimestamp"] == "2026-03-01T09:00:00.000Z"
    assert stored["sentAt"] == "2026-03-01T09:00:10.000Z"


def test_batch_sent_at_applies_to_every_event_and_offsets_are_honoured(client, spool_dir):
    events = [
        {**TRACK, "type": "track", "messageId": "m-a", "timestamp": "2026-03-01T10:00:00+01:00"},
        {**TRACK, "type": "track", "messageId": "m-b", "timestamp": "2026-03-01T09:00:05Z"},
    ]
    assert post(client, "/v1/batch", {"batch": events, "sentAt": "2026-03-01T09:00:10Z"}).status_code == 200
    stored = {event["messageId"]: event for event in spooled(spool_dir)}
    received_at = datetime.fromisoformat(stored["m-a"]["receivedAt"])
    assert datetime.fromisoformat(stored["m-a"]["timestamp"]) == received_at - timedelta(seconds=10)
    assert datetime.fromisoformat(stored["m-b"]["timestamp"]) == received_at - timedelta(seconds=5)


def test_without_sent_at_the_timestamp_is_kept_and_without_timestamp_it_is_received_at(client, spool_dir):
    post(client, "/v1/track", {**TRACK, "messageId": "m-kept", "timestamp": "2026-03-01T09:00:00Z"})
    post(client, "/v1/track", {**TRACK, "messageId": "m-none"})
    stored = {event["messageId"]: event for event in spooled(spool_dir)}
    assert stored["m-kept"]["timestamp"] == "2026-03-01T09:00:00Z"
    assert stored["m-none"]["timestamp"] == stored["m-none"]["receivedAt"]
    assert "originalTimestamp" not in stored["m-none"]


def test_the_server_assigns_a_message_id_and_the_type_when_missing(client, spool_dir):
    body = {k: v for k, v in TRACK.items() if k != "messageId"}
    assert post(client, "/v1/track", body).status_code == 200
    assert post(client, "/v1/track", body).status_code == 200
    first, second = spooled(spool_dir)
    assert first["messageId"].startswith("api-") and first["messageId"] != second["messageId"]
    assert first["type"] == "track"


@pytest.mark.parametrize(
    ("path", "event_type"),
    [
        ("/v1/t", "track"),
        ("/v1/i", "identify"),
        ("/v1/p", "page"),
        ("/v1/s", "screen"),
        ("/v1/g", "group"),
        ("/v1/a", "alias"),
    ],
    ids=["t", "i", "p", "s", "g", "a"],
)
def test_analytics_js_short_paths_are_the_same_endpoints(client, spool_dir, path, event_type):
    body = {"userId": "u-1", "previousId": "a-1", "groupId": "g-1", "event": "E", "messageId": f"m-{event_type}"}
    assert post(client, path, body).status_code == 200
    assert spooled(spool_dir)[0]["type"] == event_type
