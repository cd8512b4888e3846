"""Acknowledged means on disk: a collector killed with SIGKILL under load loses no acknowledged event, and
what the kill leaves half-written never breaks a reader of the spool."""

import http.client
import itertools
import signal
import threading
import time
from collections import Counter

import orjson

from realtime.spool import Spool, read_spool_file
from tests.realtime.conftest import basic, free_port, start_server

CYCLES = 5
LOAD_SECONDS = 0.4
CLIENTS = 8


class Sender(threading.Thread):
    """Sends tracks and small batches over one keep-alive connection until the server dies; first the
    messageIds the previous cycle sent without an answer (a client retries those)."""

    def __init__(self, port: int, ids: itertools.count, retries: list[str]) -> None:
        super().__init__(daemon=True)
        self.port, self.ids, self.retries = port, ids, retries
        self.acked: list[str] = []
        self.unanswered: list[str] = []

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        headers = {**basic(), "Content-Type": "application/json"}
        pending = list(self.retries)
        while True:
            if pending:
                batch_ids, pending = pending[:20], pending[20:]
            else:
                batch_ids = [f"m-{next(self.ids)}" for _ in range(1 if next(self.ids) % 2 else 20)]
            events = [{"type": "track", "userId": "u", "event": "Durable", "messageId": i} for i in batch_ids]
            if len(events) == 1:
                path, body = "/v1/track", orjson.dumps(events[0])
            else:
                path, body = "/v1/batch", orjson.dumps({"batch": events})
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException):
                self.unanswered += batch_ids + pending
                return
            if response.status == 200 and orjson.loads(answer) == {"success": True}:
                self.acked += batch_ids
            else:
                self.unanswered += batch_ids


def test_every_acknowledged_event_survives_kill_9_and_is_spooled_once(tmp_path):
    spool_dir = tmp_path / "spool"
    ids = itertools.count()
    acked: list[str] = []
    retries: list[str] = []
    for _ in range(CYCLES):
        port = free_port()
        # small files so that kills also land around rotations
        process = start_server(spool_dir, port, "--rotate-bytes", "20000")
        senders = [Sender(port, ids, retries[i::CLIENTS]) for i in range(CLIENTS)]
        for sender in senders:
            sender.start()
        time.sleep(LOAD_SECONDS)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        for sender in senders:
            sender.join(timeout=10)
        acked += [i for sender in senders for i in sender.acked]
        retries = [i for sender in senders for i in sender.unanswered]
    assert len(acked) > 500, "the load did not get going; the test proves nothing"

    # What a kill leaves in the files themselves, before anything repairs it: every complete line is an
    # event; at most the last line of the open file is torn.
    for path in (spool_dir / "open").glob("*.jsonl"):
        bad = [line for line in read_spool_file(path) if line.event is None]
        assert len(bad) <= 1 and (not bad or not path.read_bytes().endswith(b"\n"))

    spool = Spool(spool_dir)  # what the next start does: close the open file, quarantine a torn line
    spool.start()
    spool.stop()
    assert list((spool_dir / "open").glob("*.jsonl")) == []
    stored = Counter()
    for path in spool.closed_files():
        lines = list(read_spool_file(path))
        assert all(line.event is not None for line in lines), path.name
        stored.update(line.event["messageId"] for line in lines)
    missing = set(acked) - set(stored)
    assert not missing, f"{len(missing)} acknowledged events are not in the spool, e.g. {sorted(missing)[:5]}"
    assert [i for i, n in stored.items() if n > 1] == []  # retries after a restart were not spooled again
    assert sum(entry["events"] for entry in spool.manifest()) == sum(stored.values())
