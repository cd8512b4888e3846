"""Incremental identity graph (macro resolve_identity_graph): a run after new data redoes only the
super-components the data touches, and ends exactly where a full run on the same graph ends: the same
components, the same admitted and refused edges with the same reasons."""

import random

import pytest

from cdp.config import Settings
from cdp.identity.graph_operation import run_identity_graph
from tests.identity.conftest import graph_outcome, write_graph

# (type, priority, limit): strong logins and cards with tight limits make refusals, weak phones chain
TYPES = [("user_id", 1, 1), ("email", 4, 3), ("loyalty_card", 6, 2), ("phone", 8, 3)]


def _random_graph(rng: random.Random, n_nodes: int, n_edges: int) -> tuple[list[tuple], list[tuple]]:
    nodes = []
    for node_id in range(1, n_nodes + 1):
        kind, priority, limit = rng.choice(TYPES)
        nodes.append((node_id, f"{kind}:{node_id:04d}", kind, priority, limit))
    edges = set()
    while len(edges) < n_edges:
        a, b = rng.sample(nodes, 2)
        anchor, other = (a, b) if (a[3], a[1]) < (b[3], b[1]) else (b, a)
        day = f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
        edges.add((anchor[0], other[0], other[3], day))
    return nodes, sorted(edges)


def _mutate(rng: random.Random, nodes: list[tuple], edges: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    """New data: a few new nodes and edges, one edge gone (a deletion), one node's limit changed."""
    nodes, edges = list(nodes), list(edges)
    next_id = max(n[0] for n in nodes) + 1
    for node_id in range(next_id, next_id + 3):
        kind, priority, limit = rng.choice(TYPES)
        nodes.append((node_id, f"{kind}:{node_id:04d}", kind, priority, limit))
    edges.pop(rng.randrange(len(edges)))
    for _ in range(4):
        a, b = rng.sample(nodes, 2)
        anchor, other = (a, b) if (a[3], a[1]) < (b[3], b[1]) else (b, a)
        edge = (anchor[0], other[0], other[3], "2026-10-01")
        if (edge[0], edge[1]) not in {(e[0], e[1]) for e in edges}:
            edges.append(edge)
    victim = rng.choice([n for n in nodes if n[2] == "email"] or nodes)
    nodes[nodes.index(victim)] = (*victim[:4], 1)
    return nodes, edges


def _result(settings: Settings) -> tuple[set[frozenset[str]], dict[tuple, tuple], str, int]:
    outcome = graph_outcome(settings)
    return outcome["customers"], outcome["status"], outcome["mode"], outcome["resolved"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_incremental_run_ends_where_a_full_run_ends(graph_settings, tmp_path, seed):
    rng = random.Random(seed)
    nodes, edges = _random_graph(rng, 60, 70)
    write_graph(graph_settings, nodes, edges)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    _, first_status, mode, _ = _result(graph_settings)
    assert mode == "full"
    assert not all(admitted for admitted, _, _ in first_status.values()), "the graph should exercise the limits"

    new_nodes, new_edges = _mutate(rng, nodes, edges)
    write_graph(graph_settings, new_nodes, new_edges)  # the state tables from the first run stay
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    incremental_groups, incremental_status, mode, resolved = _result(graph_settings)
    assert mode == "incremental"
    assert 0 < resolved < len(new_nodes)

    full = Settings(duckdb_path=tmp_path / "full.duckdb", landing_dir=tmp_path, pipelines_dir=tmp_path)
    write_graph(full, new_nodes, new_edges)
    run_identity_graph(full, "g", "nodes", "edges")
    full_groups, full_status, mode, _ = _result(full)
    assert mode == "full"
    assert incremental_groups == full_groups
    assert incremental_status == full_status


def test_a_run_without_changes_redoes_nothing_and_a_forced_full_run_redoes_everything(graph_settings):
    nodes, edges = _random_graph(random.Random(7), 40, 40)
    write_graph(graph_settings, nodes, edges)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    before = _result(graph_settings)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    after = _result(graph_settings)
    assert after[2:] == ("incremental", 0)
    assert after[:2] == before[:2]
    run_identity_graph(graph_settings, "g", "nodes", "edges", incremental=False)
    assert _result(graph_settings)[2:] == ("full", len(nodes))


def test_a_new_edge_redoes_only_the_super_components_it_touches(graph_settings):
    # three separate people; a new record links the second and the third
    nodes = [
        (1, "user_id:a", "user_id", 1, 1),
        (2, "email:a@x.nl", "email", 4, 3),
        (3, "user_id:b", "user_id", 1, 1),
        (4, "email:b@x.nl", "email", 4, 3),
        (5, "email:c@x.nl", "email", 4, 3),
        (6, "phone:+3161", "phone", 8, 3),
    ]
    edges = [(1, 2, 4, "2026-01-01"), (3, 4, 4, "2026-01-01"), (5, 6, 8, "2026-01-01")]
    write_graph(graph_settings, nodes, edges)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    write_graph(graph_settings, nodes, [*edges, (4, 6, 8, "2026-02-01")])
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    groups, _, mode, resolved = _result(graph_settings)
    assert (mode, resolved) == ("incremental", 4)  # b's two nodes and c's two; a untouched
    assert frozenset({"user_id:b", "email:b@x.nl", "email:c@x.nl", "phone:+3161"}) in groups
