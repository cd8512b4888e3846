"""A client's retry is acknowledged but spooled once: within a request, across requests, across restarts."""

import orjson
from starlette.testclient import TestClient

from realtime.app import create_app
from realtime.dedupe import RecentIds
from tests.realtime.conftest import basic, make_config, spooled

TRACK = {"userId": "u-1", "event": "Product Viewed", "messageId": "m-retry"}


def test_a_retried_message_id_is_acknowledged_and_spooled_once(client, spool_dir):
    for _ in range(3):
        assert client.post("/v1/track", content=orjson.dumps(TRACK), headers=basic()).json() == {"success": True}
    assert [event["messageId"] for event in spooled(spool_dir)] == ["m-retry"]
    assert client.get("/health").json()["duplicates"] == 2


def test_a_retried_batch_only_spools_its_new_events(client, spool_dir):
    first = [{**TRACK, "type": "track", "messageId": f"m-{i}"} for i in range(3)]
    retry = first + [{**TRACK, "type": "track", "messageId": "m-3"}, {**TRACK, "type": "track", "messageId": "m-3"}]
    assert client.post("/v1/batch", content=orjson.dumps({"batch": first}), headers=basic()).status_code == 200
    assert client.post("/v1/batch", content=orjson.dumps({"batch": retry}), headers=basic()).status_code == 200
    assert [event["messageId"] for event in spooled(spool_dir)] == ["m-0", "m-1", "m-2", "m-3"]


def test_the_first_delivery_is_the_one_kept(client, spool_dir):
    client.post("/v1/track", content=orjson.dumps({**TRACK, "properties": {"try": 1}}), headers=basic())
    client.post("/v1/track", content=orjson.dumps({**TRACK, "properties": {"try": 2}}), headers=basic())
    assert [event["properties"] for event in spooled(spool_dir)] == [{"try": 1}]


def test_a_retry_after_a_restart_is_still_recognised_from_the_spool(spool_dir):
    with TestClient(create_app(make_config(spool_dir))) as client:
        client.post("/v1/track", content=orjson.dumps(TRACK), headers=basic())
    with TestClient(create_app(make_config(spool_dir))) as client:
        assert client.post("/v1/track", content=orjson.dumps(TRACK), headers=basic()).status_code == 200
    assert [event["messageId"] for event in spooled(spool_dir)] == ["m-retry"]


def test_recent_ids_forget_after_the_window_and_beyond_the_bound():
    recent = RecentIds(window_s=10, max_ids=3)
    for i, moment in enumerate([0, 1, 2]):
        recent.add(f"m-{i}", commit=i + 1, now=moment)
    assert recent.commit_of("m-0") == 1
    recent.add("m-3", commit=4, now=3)  # a fourth id pushes the oldest out
    assert recent.commit_of("m-0") is None and len(recent) == 3
    recent.add("m-4", commit=5, now=12.5)  # m-1 (t=1) and m-2 (t=2) are older than 10 s
    assert [recent.commit_of(f"m-{i}") for i in range(5)] == [None, None, None, 4, 5]


def test_ids_of_a_failed_commit_are_forgotten_so_the_retry_is_spooled():
    recent = RecentIds()
    recent.add("m-1", commit=7)
    recent.forget(["m-1"], commit=7)
    assert recent.commit_of("m-1") is None


def test_a_retry_that_arrives_while_the_original_is_being_synced_is_answered_only_after_that_sync(spool_dir):
    import asyncio
    import threading

    from realtime.app import Collector

    release = threading.Event()

    async def scenario() -> None:
        collector = Collector(make_config(spool_dir))
        real_commit = collector.spool._commit

        def slow_commit(group):  # the writer thread stalls in the original's fsync until released
            release.wait(5)
            real_commit(group)

        collector.spool._commit = slow_commit
        collector.start()
        try:
            line = orjson.dumps({**TRACK, "type": "track"}) + b"\n"
            original = asyncio.create_task(collector.accept([line], ["m-retry"]))
            await asyncio.sleep(0.05)
            retry = asyncio.create_task(collector.accept([line], ["m-retry"]))
            await asyncio.sleep(0.1)
            assert not original.done() and not retry.done()  # neither is acknowledged before the sync
            release.set()
            await asyncio.wait_for(asyncio.gather(original, retry), 5)
        finally:
            release.set()
            await asyncio.to_thread(collector.stop)
        assert collector.duplicates == 1

    asyncio.run(scenario())
    assert [event["messageId"] for event in spooled(spool_dir)] == ["m-retry"]
