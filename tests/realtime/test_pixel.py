"""The tracking pixel: `GET /v1/pixel/<type>?data=<base64 JSON>` answers a 1x1 GIF; the event goes through
the same checks, stamping and durable spool as a POST; a bad payload or key is refused with its status."""

import base64
import os

import orjson
import pytest
from starlette.testclient import TestClient

from realtime.app import create_app
from realtime.tracker.beacons import PIXEL_GIF
from tests.realtime.conftest import KEY_NAME, WRITE_KEY, make_config, spooled


def encode(value, urlsafe: bool = False, pad: bool = True) -> str:
    raw = value if isinstance(value, bytes) else orjson.dumps(value)
    text = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(raw).decode()
    return text if pad else text.rstrip("=")


def opened(**extra) -> dict:
    return {
        "writeKey": WRITE_KEY,
        "userId": "user-7",
        "event": "Email Opened",
        "properties": {"campaign": "nov"},
        **extra,
    }


@pytest.mark.parametrize(("urlsafe", "pad"), [(False, True), (True, False), (True, True), (False, False)])
def test_the_pixel_spools_the_event_and_answers_a_gif(client, spool_dir, urlsafe, pad):
    response = client.get(
        "/v1/pixel/track", params={"data": encode(opened(), urlsafe, pad)}, headers={"User-Agent": "Mail/1"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/gif"
    assert response.content == PIXEL_GIF and response.content.startswith(b"GIF89a")
    assert "no-store" in response.headers["cache-control"]
    (event,) = spooled(spool_dir)  # durable before the answer
    assert event["type"] == "track" and event["event"] == "Email Opened" and event["userId"] == "user-7"
    assert event["keyId"] == KEY_NAME and "writeKey" not in event
    assert event["context"]["userAgent"] == "Mail/1"
    assert event["receivedAt"] and event["messageId"].startswith("api-")


def test_a_plus_sent_unencoded_in_the_query_is_read_back(client, spool_dir):
    # `?~~~` encodes to `Pz9+fn4`: an unescaped `+` in a query string arrives as a space.
    data = encode(opened(properties={"q": "?~~~"}))
    assert "+" in data
    response = client.get("/v1/pixel/track?data=" + data)
    assert response.status_code == 200
    assert spooled(spool_dir)[0]["properties"] == {"q": "?~~~"}


def test_page_and_identify_pixels(client, spool_dir):
    page = {"writeKey": WRITE_KEY, "anonymousId": "a-1", "name": "Newsletter", "properties": {"url": "https://x.org/"}}
    identify = {"writeKey": WRITE_KEY, "userId": "u-1", "traits": {"email": "u1@shop.org"}}
    assert client.get("/v1/pixel/page", params={"data": encode(page)}).status_code == 200
    assert client.get("/v1/pixel/identify", params={"data": encode(identify)}).status_code == 200
    assert [e["type"] for e in spooled(spool_dir)] == ["page", "identify"]


def test_a_retried_pixel_with_the_same_message_id_is_spooled_once(client, spool_dir):
    data = encode(opened(messageId="open-1"))
    assert client.get("/v1/pixel/track", params={"data": data}).status_code == 200
    assert client.get("/v1/pixel/track", params={"data": data}).status_code == 200
    assert len(spooled(spool_dir)) == 1


@pytest.mark.parametrize(
    ("path", "data", "status", "code"),
    [
        ("/v1/pixel/track", None, 400, "missing_data"),
        ("/v1/pixel/track", "", 400, "missing_data"),
        ("/v1/pixel/track", "not*base64!", 400, "invalid_base64"),
        ("/v1/pixel/track", "abcde", 400, "invalid_base64"),  # a length no base64 can have
        ("/v1/pixel/track", encode(b"{not json"), 400, "invalid_json"),
        ("/v1/pixel/track", encode([opened()]), 400, "invalid_event"),
        ("/v1/pixel/track", encode(opened(event=None)), 400, "missing_field"),
        ("/v1/pixel/track", encode(opened(userId=None)), 400, "missing_field"),
        ("/v1/pixel/track", encode(opened(properties="x")), 400, "invalid_field"),
        ("/v1/pixel/track", encode(opened(timestamp="yesterday")), 400, "invalid_timestamp"),
        ("/v1/pixel/track", encode(opened(writeKey=None)), 401, "missing_write_key"),
        ("/v1/pixel/track", encode(opened(writeKey="wk_guess")), 401, "invalid_write_key"),
        ("/v1/pixel/track", encode(opened(writeKey=123)), 401, "missing_write_key"),
        ("/v1/pixel/purchase", encode(opened()), 400, "invalid_type"),
        ("/v1/pixel/track", encode(opened(properties={"blob": "x" * 40_000})), 413, "request_too_large"),
    ],
)
def test_a_bad_pixel_is_refused_with_a_gif_and_nothing_is_spooled(client, spool_dir, path, data, status, code):
    response = client.get(path, params={} if data is None else {"data": data})
    assert response.status_code == status
    assert response.headers["x-collect-error"] == code
    assert response.headers["content-type"] == "image/gif" and response.content == PIXEL_GIF
    assert spooled(spool_dir) == []


def test_the_pixel_never_echoes_the_write_key(client):
    response = client.get("/v1/pixel/track", params={"data": encode(opened(writeKey="wk_guess_secret"))})
    assert response.status_code == 401
    assert b"wk_guess_secret" not in response.content + str(response.headers).encode()


def test_the_pixel_answers_503_when_the_disk_fails_and_a_retry_is_then_taken(spool_dir, monkeypatch):
    data = encode(opened(messageId="open-disk"))
    with TestClient(create_app(make_config(spool_dir))) as client:
        real_fdatasync = os.fdatasync

        def failing(fd):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "fdatasync", failing)
        response = client.get("/v1/pixel/track", params={"data": data})
        assert (response.status_code, response.headers["x-collect-error"]) == (503, "spool_unavailable")
        monkeypatch.setattr(os, "fdatasync", real_fdatasync)
        assert client.get("/v1/pixel/track", params={"data": data}).status_code == 200
    assert [event["messageId"] for event in spooled(spool_dir)] == ["open-disk"]
