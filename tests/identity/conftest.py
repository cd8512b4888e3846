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
    """nodes: (node_id, node_key, node_type, priority, max_per_customer); edges: (from_id, to_id, tier,
    observed_at as 'YYYY-MM-DD')."""
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        conn.execute("create schema if not exists g")
        conn.execute(
            "create or replace table g.nodes (node_id bigint, node_key varchar, node_type varchar,"
            " priority integer, max_per_customer integer)"
        )
        conn.execute(
            "create or replace table g.edges"
            " (from_node_id bigint, to_node_id bigint, tier integer, observed_at timestamp)"
        )
        if nodes:
            conn.executemany("insert into g.nodes values (?, ?, ?, ?, ?)", nodes)
        if edges:
            conn.executemany("insert into g.edges values (?, ?, ?, cast(? as timestamp))", edges)


def components(settings: Settings) -> dict[str, int]:
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        rows = conn.execute(
            "select nodes.node_key, labels.component_id from g.nodes"
            " inner join g.edges__labels as labels using (node_id)"
        ).fetchall()
    return dict(rows)
