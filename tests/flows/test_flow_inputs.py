"""The engine's inputs: spool files wherever the loader left them, and the privacy suppression list, read
from the serving store that each publish copies it into (the engine never opens the warehouse)."""

import json

import duckdb

from automation.privacy import PrivacyList
from cdp.privacy.hashing import hasher_for
from cdp.privacy.store import ensure_schema
from realtime.loader import move_closed_files

PING = """\
name: ping
version: 1
trigger: {type: event, event: Ping, key: n}
steps:
  - id: note
    send: {channel: email, subject: "x", body: "{{ event.n }}"}
"""


def test_spool_files_are_read_from_closed_or_from_the_landing_folder_in_manifest_order(world):
    world.flow(PING)
    world.customer("c1")
    engine = world.engine
    engine.batch_size = 2
    world.emit(*[world.track("c1", "Ping", n=n) for n in (1, 2, 3)])
    world.emit(*[world.track("c1", "Ping", n=n) for n in (4, 5)])
    assert engine.poll_spool() == 2  # half of the first file read, then the loader moves both files
    assert move_closed_files(world.spool_dir, world.landing) and not list((world.spool_dir / "closed").iterdir())
    world.emit(world.track("c1", "Ping", n=6))  # a new file, still in closed/
    world.run()
    bodies = [json.loads(r["message"])["body"] for r in world.outbox()]
    assert bodies == ["1", "2", "3", "4", "5", "6"]
    position = json.loads(world.store.execute("select value from cursors where name = 'spool'").fetchall()[0][0])
    assert position[1] == 1 and (world.spool_dir / "closed" / position[0]).exists()


def _publish_suppressions(warehouse) -> None:
    """What `cdp publish` does for the list: copy its hashes into the serving store beside the warehouse."""
    from serving.publisher import _publish_suppressions as copy_hashes
    from serving.store import connect_writer

    conn, store = duckdb.connect(str(warehouse)), connect_writer(warehouse.parent / "serving.sqlite")
    try:
        copy_hashes(conn, store)
    finally:
        conn.close()
        store.close()


def test_the_privacy_list_blocks_a_suppressed_email_phone_or_customer_id(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    hasher = hasher_for(warehouse)
    conn = duckdb.connect(str(warehouse))
    ensure_schema(conn)
    for kind, value in (("email", "Erased@Example.com"), ("phone", "+31 6 1234 5678"), ("customer_id", "c9")):
        for digest in hasher.hashes(kind, value):
            conn.execute("insert into privacy.suppressions values (?, 'r1', now())", [digest])
    conn.close()
    is_suppressed = PrivacyList(warehouse)
    assert not is_suppressed("c9", {})  # not published yet: the engine reads the serving store only
    _publish_suppressions(warehouse)
    is_suppressed = PrivacyList(warehouse)
    assert is_suppressed("c1", {"primary_email": "erased@example.com"})
    assert is_suppressed("c2", {"primary_phone": "+31612345678"})
    assert is_suppressed("c9", {})
    assert not is_suppressed("c3", {"primary_email": "kept@example.com", "primary_phone": "+31699999999"})
