"""Loading a raw table from landing files in several batches gives the same answer as in one."""

import json

import pytest

from ingestion.common import landing_tables


def line(message_id: str, received_at: str) -> str:
    return json.dumps({"type": "track", "messageId": message_id, "receivedAt": received_at}) + "\n"


@pytest.fixture(scope="module")
def one_file_per_batch(load_in_steps):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(landing_tables, "BATCH_BYTES", 1)
        (step,) = load_in_steps(
            "web",
            [
                {
                    "events/2026-03-01.jsonl": line("m-1", "2026-03-01T10:00:00Z")
                    + line("m-2", "2026-03-01T11:00:00Z"),
                    "events/2026-03-02.jsonl": line("m-1", "2026-03-02T10:00:00Z"),
                    "events/2026-03-03.jsonl": line("m-3", "2026-03-03T10:00:00Z")
                    + line("m-1", "2026-03-03T09:00:00Z"),
                }
            ],
        )
    return step


def test_a_key_in_several_batches_loads_once_from_the_latest_file(one_file_per_batch):
    events = one_file_per_batch.by_key("events", "message_id")
    assert sorted(events) == ["m-1", "m-2", "m-3"]
    assert events["m-1"]["_file_name"] == "events/2026-03-03.jsonl"


def test_duplicates_across_batches_are_counted(one_file_per_batch):
    stats = one_file_per_batch.stats("events")
    assert (stats["rows_read"], stats["rows_loaded"], stats["rows_duplicate"]) == (5, 3, 2)
