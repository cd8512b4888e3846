"""Tracked links: `GET /v1/r?u=<url>&data=<base64 JSON>` records a click and answers 302 to `u`, only
when `u` is an absolute http(s) URL on an allowed host; every open-redirect spelling is refused."""

import base64
import os
from collections.abc import Iterator

import orjson
import pytest
from starlette.testclient import TestClient

from realtime.app import create_app
from realtime.errors import BadRequest
from realtime.tracker.safe_url import checked_target
from tests.realtime.conftest import KEY_NAME, WRITE_KEY, make_config, spooled

ALLOWED = ("shop.example.org", ".brand.net")


def encode(value) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


CLICK = encode({"writeKey": WRITE_KEY, "userId": "user-7", "properties": {"campaign": "nov", "link": "hero"}})


@pytest.fixture
def links(spool_dir) -> Iterator[TestClient]:
    with TestClient(create_app(make_config(spool_dir, redirect_hosts=ALLOWED)), follow_redirects=False) as client:
        yield client


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://shop.example.org/p/1?x=1#top", "https://shop.example.org/p/1?x=1#top"),
        ("HTTPS://SHOP.Example.ORG/Sale", "https://shop.example.org/Sale"),
        ("http://shop.example.org:8443", "http://shop.example.org:8443/"),
        ("https://brand.net/", "https://brand.net/"),
        ("https://www.brand.net/a", "https://www.brand.net/a"),
        ("https://deep.www.brand.net/", "https://deep.www.brand.net/"),
    ],
)
def test_allowed_targets_are_kept_normalised(url, expected):
    assert checked_target(url, ALLOWED) == expected


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://evil.com/", "redirect_not_allowed"),
        ("https://shop.example.org.evil.com/", "redirect_not_allowed"),
        ("https://evilshop.example.org/", "redirect_not_allowed"),
        ("https://example.org/", "redirect_not_allowed"),
        ("https://notbrand.net/", "redirect_not_allowed"),
        ("https://brand.net.evil.com/", "redirect_not_allowed"),
        ("https://127.0.0.1/", "redirect_not_allowed"),
        ("//evil.com/", "invalid_url"),  # scheme-relative
        ("///evil.com/", "invalid_url"),
        ("/\\evil.com/", "invalid_url"),  # browsers read the backslash as a slash
        ("https:\\\\evil.com", "invalid_url"),
        ("https://shop.example.org\\@evil.com/", "invalid_url"),
        ("https://shop.example.org@evil.com/", "invalid_url"),  # userinfo: the host is evil.com
        ("https://evil.com@shop.example.org/", "invalid_url"),  # userinfo, even towards an allowed host
        ("https://user:pw@shop.example.org/", "invalid_url"),
        ("https:shop.example.org/", "invalid_url"),  # no authority
        ("https:/shop.example.org/", "invalid_url"),
        ("javascript:alert(document.cookie)", "invalid_url"),
        ("JavaScript://shop.example.org/%0aalert(1)", "invalid_url"),
        ("java\tscript:alert(1)", "invalid_url"),  # browsers drop tabs inside URLs
        ("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "invalid_url"),
        ("ftp://shop.example.org/file", "invalid_url"),
        ("shop.example.org/p/1", "invalid_url"),  # relative
        ("/p/1", "invalid_url"),
        (" https://shop.example.org/", "invalid_url"),
        ("https://shop.example.org/\r\nSet-Cookie: a=b", "invalid_url"),  # header splitting
        ("https://shop.example.org%2eevil.com/", "invalid_url"),
        ("https://shop%2Eexample.org/", "invalid_url"),
        ("https://shop。example.org/", "invalid_url"),  # a full-width dot: IDNA would make it a dot
        ("https://shop.example.org./", "invalid_url"),
        ("https://shop.example.org:99999/", "invalid_url"),
        ("https://shop.example.org:80x/", "invalid_url"),
        ("https://[::1]/", "redirect_not_allowed"),
        ("https://" + "a" * 2100 + ".shop.example.org/", "invalid_url"),
        ("", "missing_url"),
        (None, "missing_url"),
    ],
)
def test_open_redirects_are_refused(url, code):
    with pytest.raises(BadRequest) as raised:
        checked_target(url, ALLOWED)
    assert raised.value.code == code


def test_no_host_is_allowed_until_configured():
    with pytest.raises(BadRequest, match="allowed hosts"):
        checked_target("https://shop.example.org/", ())


def test_a_click_is_spooled_then_redirected(links, spool_dir):
    response = links.get("/v1/r", params={"u": "https://shop.example.org/sale?utm_source=email", "data": CLICK})
    assert response.status_code == 302
    assert response.headers["location"] == "https://shop.example.org/sale?utm_source=email"
    assert "no-store" in response.headers["cache-control"]
    (event,) = spooled(spool_dir)  # durable before the redirect
    assert event["type"] == "track" and event["event"] == "Link Clicked" and event["userId"] == "user-7"
    assert event["properties"] == {
        "campaign": "nov",
        "link": "hero",
        "url": "https://shop.example.org/sale?utm_source=email",
    }
    assert event["keyId"] == KEY_NAME and "writeKey" not in event


def test_the_event_name_may_be_given_and_properties_url_is_the_checked_target(links, spool_dir):
    data = encode(
        {"writeKey": WRITE_KEY, "anonymousId": "a-9", "event": "Ad Clicked", "properties": {"url": "https://evil.com/"}}
    )
    response = links.get("/v1/r", params={"u": "https://www.brand.net/", "data": data})
    assert response.status_code == 302 and response.headers["location"] == "https://www.brand.net/"
    (event,) = spooled(spool_dir)
    assert event["event"] == "Ad Clicked" and event["properties"]["url"] == "https://www.brand.net/"


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"u": "https://evil.com/", "data": CLICK}, 400, "redirect_not_allowed"),
        ({"u": "//evil.com", "data": CLICK}, 400, "invalid_url"),
        ({"u": "https://evil.com/", "data": "%%%"}, 400, "redirect_not_allowed"),  # the target is checked first
        ({"data": CLICK}, 400, "missing_url"),
        ({"u": "https://shop.example.org/"}, 400, "missing_data"),
        ({"u": "https://shop.example.org/", "data": "%%%"}, 400, "invalid_base64"),
        ({"u": "https://shop.example.org/", "data": encode("a string")}, 400, "invalid_event"),
        ({"u": "https://shop.example.org/", "data": encode({"userId": "u"})}, 401, "missing_write_key"),
        (
            {"u": "https://shop.example.org/", "data": encode({"writeKey": "nope", "userId": "u"})},
            401,
            "invalid_write_key",
        ),
        ({"u": "https://shop.example.org/", "data": encode({"writeKey": WRITE_KEY})}, 400, "missing_field"),
        (
            {
                "u": "https://shop.example.org/",
                "data": encode({"writeKey": WRITE_KEY, "userId": "u", "type": "identify"}),
            },
            400,
            "invalid_type",
        ),
        (
            {
                "u": "https://shop.example.org/",
                "data": encode({"writeKey": WRITE_KEY, "userId": "u", "properties": []}),
            },
            400,
            "invalid_field",
        ),
    ],
)
def test_a_refused_link_neither_redirects_nor_spools(links, spool_dir, params, status, code):
    response = links.get("/v1/r", params=params)
    assert response.status_code == status
    assert "location" not in response.headers
    assert response.json()["code"] == code and response.json()["success"] is False
    assert "evil.com" not in response.text  # the target is never reflected
    assert spooled(spool_dir) == []


def test_a_spool_failure_still_sends_the_visitor_on(spool_dir, monkeypatch):
    with TestClient(create_app(make_config(spool_dir, redirect_hosts=ALLOWED)), follow_redirects=False) as client:

        def failing(fd):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "fdatasync", failing)
        response = client.get("/v1/r", params={"u": "https://shop.example.org/", "data": CLICK})
        monkeypatch.undo()
    assert response.status_code == 302 and response.headers["location"] == "https://shop.example.org/"
    assert spooled(spool_dir) == []
