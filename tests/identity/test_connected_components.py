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
