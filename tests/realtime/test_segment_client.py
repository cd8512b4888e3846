"""The official Segment Python library, pointed at the collector with its `host` setting, works unchanged."""

import pytest
from segment.analytics.client import Client

from tests.realtime.conftest import KEY_NAME, WRITE_KEY, spooled


@pytest.fixture
def segment(server):
    errors = []
    client = Client(write_key=WRITE_KEY, host=server, on_error=lambda error, batch: errors.append(error), max_retries=1)
    yield client, errors
    client.shutdown()


def test_track_identify_page_screen_group_and_alias_from_the_segment_library_reach_the_spool(segment, spool_dir):
    client, errors = segment
    client.identify("user-1", {"email": "zoë@example.com", "first_name": "Zoë"}, anonymous_id="anon-1")
    client.track("user-1", "Order Completed", {"order_id": "5001", "revenue": 84.5, "note": "'; DROP TABLE x;--"})
    client.page("user-1", "Docs", "Install", {"url": "https://shop.example/docs"})
    client.screen("user-1", "App", "Basket")
    client.group("user-1", "group-7", {"name": "Acme"})
    client.alias("anon-1", "user-1")
    client.flush()  # waits until the library's queue is sent and answered
    assert errors == []
    stored = {event["type"]: event for event in spooled(spool_dir)}
    assert set(stored) == {"identify", "track", "page", "screen", "group", "alias"}
    assert stored["track"]["event"] == "Order Completed"
    assert stored["track"]["properties"]["note"] == "'; DROP TABLE x;--"
    assert stored["identify"]["traits"]["email"] == "zoë@example.com"
    assert stored["alias"]["previousId"] == "anon-1"
    assert stored["group"]["groupId"] == "group-7"
    for event in stored.values():
        assert event["keyId"] == KEY_NAME and "writeKey" not in event
        assert event["context"]["library"]["name"] == "analytics-python"
        assert event["receivedAt"] and event["originalTimestamp"] and event["messageId"]


def test_the_library_hears_a_wrong_write_key_as_an_error(server):
    errors = []
    client = Client(write_key="not-our-key", host=server, on_error=lambda error, batch: errors.append(error))
    client.track("user-1", "Signed Up")
    client.flush()
    client.shutdown()
    assert len(errors) == 1 and errors[0].status == 401 and errors[0].code == "invalid_write_key"
