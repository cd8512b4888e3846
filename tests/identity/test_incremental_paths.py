"""The paths of the identity graph that keep its runs proportional to the work: super-components within every
limit skip the tiers (one customer, every edge admitted); finished components leave the component rounds;
an incremental run replaces only the rows of the super-components it redid. Each must end where a full run
on the same graph ends."""

import random

import duckdb

from cdp.config import Settings
from cdp.identity.graph_operation import run_identity_graph
from tests.identity.conftest import graph_outcome, write_graph


def _full(tmp_path, name: str, nodes: list[tuple], edges: list[tuple]) -> dict:
    settings = Settings(duckdb_path=tmp_path / f"{name}.duckdb", landing_dir=tmp_path, pipelines_dir=tmp_path)
    write_graph(settings, nodes, edges)
    run_identity_graph(settings, "g", "nodes", "edges")
    return graph_outcome(settings)


NODES = [
    (1, "user_id:ann", "user_id", 1, 1),
    (2, "email:ann@mail.nl", "email", 4, 3),
    (3, "user_id:bob", "user_id", 1, 1),
    (4, "email:bob@mail.nl", "email", 4, 3),
    (5, "email:family@mail.nl", "email", 4, 3),
    (6, "user_id:cas", "user_id", 1, 1),
    (7, "phone:+31600000007", "phone", 8, 3),
]
EDGES = [
    (1, 2, 4, "2026-01-01"),
    (3, 4, 4, "2026-01-01"),
    (1, 5, 4, "2026-01-02"),  # ann's family mailbox
    (6, 7, 8, "2026-01-01"),
]


def test_a_super_component_turning_contested_and_free_again_matches_full_runs(graph_settings, tmp_path):
    write_graph(graph_settings, NODES, EDGES)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    first = graph_outcome(graph_settings)
    # no limit at stake anywhere: every super-component is one customer and the tiers never run
    assert first["tiers"] == {0}
    assert all(admitted for admitted, _, _ in first["status"].values())
    assert frozenset({"user_id:ann", "email:ann@mail.nl", "email:family@mail.nl"}) in first["customers"]

    # bob logs in with the family mailbox later: two user ids would meet, the super-component is contested
    contested_edges = [*EDGES, (3, 5, 4, "2026-03-01")]
    write_graph(graph_settings, NODES, contested_edges)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    second = graph_outcome(graph_settings)
    assert second["mode"] == "incremental"
    assert second["resolved"] == 5  # ann's and bob's nodes; cas untouched
    assert second["status"][("user_id:bob", "email:family@mail.nl", 4)][:2] == (
        False,
        "would put 2 user_id values in one customer (limit 1)",
    )
    assert 4 in second["tiers"]
    full = _full(tmp_path, "contested", NODES, contested_edges)
    assert (second["customers"], second["status"]) == (full["customers"], full["status"])

    # the record is deleted: the edge is gone and the super-component is free again
    write_graph(graph_settings, NODES, EDGES)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    third = graph_outcome(graph_settings)
    assert (third["mode"], third["resolved"]) == ("incremental", 5)
    assert (third["customers"], third["status"]) == (first["customers"], first["status"])


def test_a_gone_node_and_a_new_node_are_replaced_in_thegraph_outcome(graph_settings, tmp_path):
    write_graph(graph_settings, NODES, EDGES)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    # cas's phone disappears (retention) and a new person arrives
    nodes = [n for n in NODES if n[0] != 7] + [
        (8, "user_id:dee", "user_id", 1, 1),
        (9, "email:dee@x.nl", "email", 4, 3),
    ]
    edges = [e for e in EDGES if e[1] != 7] + [(8, 9, 4, "2026-04-01")]
    write_graph(graph_settings, nodes, edges)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    after = graph_outcome(graph_settings)
    assert (after["mode"], after["resolved"]) == ("incremental", 3)  # cas, dee and dee's email
    full = _full(tmp_path, "gone", nodes, edges)
    assert (after["customers"], after["status"]) == (full["customers"], full["status"])
    with duckdb.connect(str(graph_settings.duckdb_path)) as conn:
        kept = conn.execute("select count(*) from g.edges__state_nodes where node_id = 7").fetchall()[0][0]
    assert kept == 0


def _union_find(n_nodes: int, edges: list[tuple]) -> set[frozenset[int]]:
    parent = list(range(n_nodes + 1))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, *_ in edges:
        parent[find(a)] = find(b)
    groups: dict[int, set[int]] = {}
    for node in range(1, n_nodes + 1):
        groups.setdefault(find(node), set()).add(node)
    return {frozenset(g) for g in groups.values()}


def test_components_with_finished_parts_set_aside_equal_union_find(graph_settings):
    # many small customers finish in the first rounds and leave; two shuffled chains and a star go on
    rng = random.Random(11)
    n_nodes = 3_000
    ids = list(range(1, n_nodes + 1))
    rng.shuffle(ids)
    edges = []
    for start in range(0, 1_800, 3):  # 600 people of three
        a, b, c = ids[start : start + 3]
        edges += [(a, b, 4, "2026-01-01"), (a, c, 4, "2026-01-01")]
    for chain in (ids[1_800:2_400], ids[2_400:2_900]):
        edges += [(a, b, 4, "2026-01-01") for a, b in zip(chain, chain[1:], strict=False)]
    hub = ids[2_900]
    edges += [(hub, leaf, 4, "2026-01-01") for leaf in ids[2_901:]]
    nodes = [(i, f"email:{i}", "email", 4, 10**9) for i in range(1, n_nodes + 1)]
    write_graph(graph_settings, nodes, edges)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    with duckdb.connect(str(graph_settings.duckdb_path)) as conn:
        rows = conn.execute("select node_id, component_id from g.edges__labels").fetchall()
        rounds = conn.execute("select max(rounds) from g.edges__rounds").fetchall()[0][0]
    groups: dict[int, set[int]] = {}
    for node, component in rows:
        groups.setdefault(component, set()).add(node)
    assert {frozenset(g) for g in groups.values()} == _union_find(n_nodes, edges)
    assert all(component == min(group) for component, group in groups.items())
    assert rounds <= 20
