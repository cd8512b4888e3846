"""The real-time stack as `cdp serve` runs it (collector, loader and profile API as three processes):
sessions sent through the official Segment client show on the customers' profiles through the API, a
new browser is stitched to its customer, and the publishes record change events."""

import pytest

from realtime.live import free_port, live_env, pick_sessions, replay, run_stack
from serving import publish
from tests.privacy.conftest import copy_warehouse


@pytest.mark.e2e
def test_sessions_sent_to_the_collector_show_on_profiles_through_the_api(demo_warehouse, tmp_path):
    settings = copy_warehouse(demo_warehouse, tmp_path / "live")
    publish(settings)  # the profile API needs a store to start; its users are the sessions to replay
    sessions = pick_sessions(settings, count=4)
    assert len(sessions) == 4

    with run_stack(
        settings,
        tmp_path / "spool",
        free_port(),
        free_port(),
        loader_interval_s=0.5,
        rotate_seconds=0.5,
        env=live_env(),
    ) as stack:
        report = replay(stack, sessions, seconds=4, settle_s=150)
        stack.check()

    assert report.send_errors == []
    assert report.sessions == 4 and report.events_sent == sum(len(s.events) for s in sessions)
    assert all(p.event_visible is not None and p.trait_visible is not None for p in report.pending)
    new_browsers = [p for p in report.pending if p.new_browser]
    assert new_browsers and all(p.stitched for p in new_browsers)
    assert report.changes["trait_changed"] > 0
