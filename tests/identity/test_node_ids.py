"""Node ids: the first 64 bits of the node key's md5, halved (macro identity_node_id), as Spark makes them
too. DuckDB reads them from md5_number() with its bytes swapped; this pins that to the md5's hex digits."""

import hashlib

import duckdb

from cdp.identity.graph_operation import run_identity_graph

KEYS = [
    "email:ada@example.com",
    "phone:+4915112345678",
    "user_id:1",
    "anonymous_id:6f1c0e4e-9a4b-4b7e-8a53-0c1d2e3f4a5b",
    "email:zoë@exämple.de",
    "device_id:" + "x" * 300,
]


def expected_id(key: str) -> int:
    return int(hashlib.md5(key.encode()).hexdigest()[:16], 16) >> 1


def test_node_ids_are_the_first_64_bits_of_the_keys_md5_halved(graph_settings):
    with duckdb.connect(str(graph_settings.duckdb_path)) as conn:
        conn.execute("create schema g")
        conn.execute(
            "create table g.keyed_nodes"
            " (node_key varchar, node_type varchar, priority integer, max_per_customer integer)"
        )
        conn.execute(
            "create table g.keyed_edges"
            " (from_node_key varchar, to_node_key varchar, tier integer, observed_at timestamp)"
        )
        conn.executemany("insert into g.keyed_nodes values (?, ?, 1, 10)", [(key, key.split(":")[0]) for key in KEYS])
        conn.execute("insert into g.keyed_edges values (?, ?, 1, timestamp '2026-01-01')", [KEYS[0], KEYS[1]])

    run_identity_graph(graph_settings, "g", "keyed_nodes", "keyed_edges", keyed=True)

    with duckdb.connect(str(graph_settings.duckdb_path)) as conn:
        ids = dict(conn.execute("select node_key, node_id from g.keyed_nodes__ids").fetchall())
    assert ids == {key: expected_id(key) for key in KEYS}
    # the top bit is gone: every id is a non-negative signed bigint
    assert all(0 <= node_id < 2**63 for node_id in ids.values())
