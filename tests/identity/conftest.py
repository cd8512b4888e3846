"""Hand-made identity graphs: node and edge tables in a temporary warehouse."""

from pathlib import Path

import duckdb
import pytest

from cdp.config import Settings


@pytest.fixture
def graph_settings(tmp_path: Path) -> Settings:
    return Settings(
        duckdb_path=tmp_path / "graph.duckdb", landing_dir=tmp_path / "landing", pipelines_dir=tmp_path / "pipelines"
    )


def write_graph(settings: Settings, nodes: list[tuple], edges: list[tuple]) -> None:
    """nodes: (node_id, node_key, node_type, priority, max_per_customer[, first_seen_at as 'YYYY-MM-DD']:
    the column is there when the first node has it); edges: (from_id, to_id, tier, observed_at as
    'YYYY-MM-DD')."""
    seen = bool(nodes) and len(nodes[0]) == 6
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        conn.execute("create schema if not exists g")
        conn.execute(
            "create or replace table g.nodes (node_id bigint, node_key varchar, node_type varchar,"
            " priority integer, max_per_customer integer" + (", first_seen_at timestamp)" if seen else ")")
        )
        conn.execute(
            "create or replace table g.edges"
            " (from_node_id bigint, to_node_id bigint, tier integer, observed_at timestamp)"
        )
        if nodes:
            placeholders = "?, ?, ?, ?, ?, cast(? as timestamp)" if seen else "?, ?, ?, ?, ?"
            conn.executemany(f"insert into g.nodes values ({placeholders})", nodes)
        if edges:
            conn.executemany("insert into g.edges values (?, ?, ?, cast(? as timestamp))", edges)


def components(settings: Settings) -> dict[str, int]:
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        rows = conn.execute(
            "select nodes.node_key, labels.component_id from g.nodes"
            " inner join g.edges__labels as labels using (node_id)"
        ).fetchall()
    return dict(rows)


def graph_outcome(settings: Settings) -> dict:
    """What a run of the graph on `g.nodes` / `g.edges` left, by node keys, to compare runs: `customers`
    (sets of node keys), `status` ((from key, to key, tier) -> (admitted, reason, first observed as
    text)), `mode`, `total`, `resolved`, `detection` and `old_edges` (the run's `__incremental` row) and `tiers` (those
    that went through the rounds). Asserts that every node has one label, its component's smallest id."""
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        groups: dict[int, set[str]] = {}
        for key, component in conn.execute(
            "select nodes.node_key, labels.component_id from g.nodes"
            " inner join g.edges__labels as labels using (node_id)"
        ).fetchall():
            groups.setdefault(component, set()).add(key)
        status = {
            (a, b, tier): (admitted, reason, str(first))
            for a, b, tier, admitted, reason, first in conn.execute(
                """
                select f.node_key, t.node_key, s.tier, s.is_admitted, s.rejection_reason, s.first_observed_at
                from g.edges__edge_status as s
                inner join g.nodes as f on s.from_node_id = f.node_id
                inner join g.nodes as t on s.to_node_id = t.node_id
                """
            ).fetchall()
        }
        labelled, nodes, not_minimum = conn.execute(
            """
            select
                (select count(*) from g.edges__labels),
                (select count(*) from g.nodes),
                (select count(*) from g.edges__labels as l
                 where component_id <> (select min(node_id) from g.edges__labels as m
                                        where m.component_id = l.component_id))
            """
        ).fetchall()[0]
        mode, total, resolved, detection, old_edges = conn.execute(
            "select mode, nodes_total, nodes_resolved, change_detection, old_edges from g.edges__incremental"
        ).fetchall()[0]
        tiers = {tier for (tier,) in conn.execute("select tier from g.edges__rounds").fetchall()}
    assert labelled == nodes, "every node has exactly one label"
    assert not_minimum == 0, "a component's label is its smallest node id"
    return {
        "customers": {frozenset(group) for group in groups.values()},
        "status": status,
        "mode": mode,
        "total": total,
        "resolved": resolved,
        "detection": detection,
        "old_edges": old_edges,
        "tiers": tiers,
    }
