"""Connected components of the identity graph (macro connected_components via resolve_identity_graph):
rounds grow with the log of a component's size, and the max-rounds guard fails loudly."""

import random

import duckdb
import pytest

from cdp.errors import BuildError
from cdp.identity.graph_operation import run_identity_graph
from tests.identity.conftest import components, write_graph


def _chain(settings, length: int) -> None:
    ids = list(range(1, length + 1))
    random.Random(3).shuffle(ids)  # shuffled ids: the worst case for plain label propagation
    nodes = [(i, f"email:{i}", "email", 4, 10**9) for i in ids]
    edges = [(a, b, 4, "2026-01-01") for a, b in zip(ids, ids[1:], strict=False)]
    write_graph(settings, nodes, edges)


def test_long_chain_converges_in_logarithmic_rounds(graph_settings):
    _chain(graph_settings, 3_000)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    assert set(components(graph_settings).values()) == {1}
    with duckdb.connect(str(graph_settings.duckdb_path)) as conn:
        rounds = conn.execute("select max(rounds) from g.edges__rounds").fetchone()[0]
    # label propagation would need ~3,000 passes; log2(3,000) is about 12
    assert rounds <= 25


def test_graph_that_does_not_converge_within_max_rounds_fails_loudly(graph_settings, capfd):
    _chain(graph_settings, 500)
    with pytest.raises(BuildError):
        run_identity_graph(graph_settings, "g", "nodes", "edges", max_rounds=2)
    assert "did not converge in 2 rounds" in capfd.readouterr().out


def _union_find_components(node_ids: list[int], edges: list[tuple[int, int]]) -> dict[int, int]:
    """Each node's component as its smallest node id, by plain union-find: the answer to compare with."""
    parent = {node: node for node in node_ids}

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {node: root(node) for node in node_ids}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_components_of_random_graphs_equal_union_find(graph_settings, seed):
    """Stars (closed in round 1), stars pointing inwards (one node in many stars of two), paths and trees
    (set aside in later prunes), cycles, repeated and reversed pairs, and groups whose smallest member
    borders only larger groups: the components equal a union-find's, every node's id being its
    component's minimum."""
    rng = random.Random(seed)
    ids = rng.sample(range(1, 100_000), 1_500)
    edges: list[tuple[int, int]] = []
    position = 0
    while position < len(ids) - 1:
        size = rng.choice([1, 2, 3, 4, 5, 8, 20, 60])
        part = ids[position : position + size]
        position += size
        shape = rng.choice(["star", "inward_star", "path", "tree", "cycle"])
        for i in range(1, len(part)):
            if shape == "star":
                edges.append((part[0], part[i]))
            elif shape == "inward_star":
                edges.append((part[i], part[0]))
            elif shape == "path" or shape == "cycle":
                edges.append((part[i - 1], part[i]))
            else:
                edges.append((part[rng.randrange(i)], part[i]))
        if shape == "cycle" and len(part) > 2:
            edges.append((part[-1], part[0]))
    edges += [(b, a) for a, b in rng.sample(edges, 40)] + rng.sample(edges, 40)  # reversed and repeated
    nodes = [(i, f"email:{i}", "email", 4, 10**9) for i in ids]
    write_graph(graph_settings, nodes, [(a, b, 4, "2026-01-01") for a, b in edges])
    run_identity_graph(graph_settings, "g", "nodes", "edges")

    expected = _union_find_components(ids, edges)
    assert components(graph_settings) == {f"email:{node}": label for node, label in expected.items()}
