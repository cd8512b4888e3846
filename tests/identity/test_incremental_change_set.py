"""Incremental identity runs read a change set (macro resolve_identity_graph): the edge rows observed after
the last run's watermark, with a count and checksum proving nothing else changed. Anything the proof cannot
rule out (a deleted, edited or late row, a changed or new node away from the new edges, no watermark)
makes the run compare whole tables instead. Either way the run ends where a full run on the same graph ends."""

import random

import duckdb
import pytest

from cdp.config import Settings
from cdp.errors import BuildError
from cdp.identity.graph_operation import run_identity_graph
from tests.identity.conftest import graph_outcome, write_graph

# (type, priority, limit): tight logins and cards make refusals, weak phones chain people together
TYPES = [("user_id", 1, 1), ("email", 4, 3), ("loyalty_card", 6, 2), ("phone", 8, 3)]


def _node(rng: random.Random, node_id: int) -> tuple:
    kind, priority, limit = rng.choice(TYPES)
    return (node_id, f"{kind}:{node_id:04d}", kind, priority, limit)


def _edge(rng: random.Random, a: tuple, b: tuple, day: str) -> tuple:
    anchor, other = (a, b) if (a[3], a[0]) < (b[3], b[0]) else (b, a)
    return (anchor[0], other[0], other[3], day)


def _graph(seed: int) -> tuple[random.Random, list[tuple], list[tuple]]:
    rng = random.Random(seed)
    nodes = [_node(rng, i) for i in range(1, 61)]
    edges = []
    for _ in range(70):
        a, b = rng.sample(nodes, 2)
        edges.append(_edge(rng, a, b, f"2026-0{rng.randint(1, 6)}-1{rng.randint(0, 9)}"))
    return rng, nodes, edges


def _appended(
    rng: random.Random, nodes: list[tuple], edges: list[tuple], month: int = 8
) -> tuple[list[tuple], list[tuple]]:
    """New records of `month`, after the watermark: new identifiers seen with old ones, new links between
    old ones."""
    nodes, edges = list(nodes), list(edges)
    for node_id in range(len(nodes) + 1, len(nodes) + 4):
        new = _node(rng, node_id)
        nodes.append(new)
        edges.append(_edge(rng, new, rng.choice(nodes[:-1]), f"2026-{month:02d}-01"))
    for _ in range(3):
        edges.append(_edge(rng, *rng.sample(nodes, 2), f"2026-{month:02d}-02"))
    return nodes, edges


def _full_run(tmp_path, nodes: list[tuple], edges: list[tuple]) -> dict:
    settings = Settings(duckdb_path=tmp_path / "full.duckdb", landing_dir=tmp_path, pipelines_dir=tmp_path)
    write_graph(settings, nodes, edges)
    run_identity_graph(settings, "g", "nodes", "edges")
    outcome = graph_outcome(settings)
    assert outcome["mode"] == "full"
    return outcome


def _rerun(settings: Settings, nodes: list[tuple], edges: list[tuple]) -> dict:
    write_graph(settings, nodes, edges)  # the tables are rewritten whole; the graph's state stays
    run_identity_graph(settings, "g", "nodes", "edges")
    return graph_outcome(settings)


def _same_as_full(outcome: dict, full: dict) -> bool:
    return (outcome["customers"], outcome["status"]) == (full["customers"], full["status"])


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_appended_records_are_read_as_a_change_set_and_end_where_a_full_run_ends(graph_settings, tmp_path, seed):
    rng, nodes, edges = _graph(seed)
    write_graph(graph_settings, nodes, edges)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    assert not all(admitted for admitted, _, _ in graph_outcome(graph_settings)["status"].values()), (
        "the graph should exercise the limits"
    )

    new_nodes, new_edges = _appended(rng, nodes, edges)
    after = _rerun(graph_settings, new_nodes, new_edges)
    assert (after["mode"], after["detection"]) == ("incremental", "change set")
    assert 0 < after["resolved"] < len(new_nodes)
    assert _same_as_full(after, _full_run(tmp_path, new_nodes, new_edges))


def test_two_batches_in_a_row_both_use_the_change_set(graph_settings, tmp_path):
    rng, nodes, edges = _graph(8)
    write_graph(graph_settings, nodes, edges)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    nodes, edges = _appended(rng, nodes, edges, month=8)
    assert _rerun(graph_settings, nodes, edges)["detection"] == "change set"
    nodes, edges = _appended(rng, nodes, edges, month=9)
    after = _rerun(graph_settings, nodes, edges)
    assert after["detection"] == "change set"
    assert _same_as_full(after, _full_run(tmp_path, nodes, edges))


def test_a_run_without_new_rows_redoes_nothing(graph_settings):
    _, nodes, edges = _graph(9)
    write_graph(graph_settings, nodes, edges)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    before = graph_outcome(graph_settings)
    after = _rerun(graph_settings, nodes, list(reversed(edges)))  # row order is no change
    assert (after["detection"], after["resolved"]) == ("change set", 0)
    assert _same_as_full(after, before)


def _late(rng, nodes, edges):
    """A record loaded now but observed before the last run's latest record."""
    return nodes, [*edges, _edge(rng, *rng.sample(nodes, 2), "2026-01-05")]


def _deleted_and_late(rng, nodes, edges):
    """One record erased and a late one arriving: the count of rows is the same as before."""
    return nodes, [*edges[1:], _edge(rng, *rng.sample(nodes, 2), "2026-01-05")]


def _deleted_and_new(rng, nodes, edges):
    """One record erased and a new one after the watermark."""
    return nodes, [*edges[1:], _edge(rng, *rng.sample(nodes, 2), "2026-08-01")]


def _edited(rng, nodes, edges):
    """A record's identifier moved to a weaker tier (a rule change upstream)."""
    first = edges[0]
    return nodes, [(first[0], first[1], first[2] + 1, first[3]), *edges[1:]]


@pytest.mark.parametrize(
    "change",
    [_late, _deleted_and_late, _deleted_and_new, _edited],
    ids=["late-record", "deleted-and-late-same-count", "deleted-and-new", "edited-tier"],
)
def test_a_change_the_watermark_cannot_see_forces_the_full_compare(graph_settings, tmp_path, change):
    rng, nodes, edges = _graph(11)
    write_graph(graph_settings, nodes, edges)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    new_nodes, new_edges = change(rng, nodes, edges)
    after = _rerun(graph_settings, new_nodes, new_edges)
    assert (after["mode"], after["detection"]) == ("incremental", "full compare")
    assert _same_as_full(after, _full_run(tmp_path, new_nodes, new_edges))


def test_an_erased_duplicate_record_is_noticed(graph_settings, tmp_path):
    # two records saw the same link on the same day; one of them is erased: its edge stays, but the
    # rows did change
    _, nodes, edges = _graph(12)
    write_graph(graph_settings, nodes, [*edges, edges[3]])
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    after = _rerun(graph_settings, nodes, edges)
    assert after["detection"] == "full compare"
    assert _same_as_full(after, _full_run(tmp_path, nodes, edges))


def test_a_changed_node_away_from_the_new_rows_makes_the_run_compare_the_nodes(graph_settings, tmp_path):
    rng, nodes, edges = _graph(13)
    write_graph(graph_settings, nodes, edges)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    new_nodes, new_edges = _appended(rng, nodes, edges)
    touched = {e[0] for e in new_edges[len(edges) :]} | {e[1] for e in new_edges[len(edges) :]}
    # a rule change lowers one email's limit to 1; the email is on none of the new rows
    victim = next(n for n in new_nodes if n[2] == "email" and n[0] not in touched)
    new_nodes[new_nodes.index(victim)] = (*victim[:4], 1)
    after = _rerun(graph_settings, new_nodes, new_edges)
    assert after["detection"] == "change set, node compare"
    assert _same_as_full(after, _full_run(tmp_path, new_nodes, new_edges))


def test_a_new_record_without_links_makes_the_run_compare_the_nodes(graph_settings, tmp_path):
    rng, nodes, edges = _graph(14)
    write_graph(graph_settings, nodes, edges)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    loner = (1000, "record:shop/orders/77", "record", 1000000, 1)
    after = _rerun(graph_settings, [*nodes, loner], edges)
    assert (after["detection"], after["resolved"]) == ("change set, node compare", 1)
    assert frozenset({"record:shop/orders/77"}) in after["customers"]
    assert _same_as_full(after, _full_run(tmp_path, [*nodes, loner], edges))


def test_without_a_watermark_the_run_compares_and_writes_one_for_the_next(graph_settings, tmp_path):
    rng, nodes, edges = _graph(15)
    write_graph(graph_settings, nodes, edges)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    with duckdb.connect(str(graph_settings.duckdb_path)) as conn:
        conn.execute("drop table g.edges__watermark")
    nodes, edges = _appended(rng, nodes, edges, month=8)
    assert _rerun(graph_settings, nodes, edges)["detection"] == "full compare"
    nodes, edges = _appended(rng, nodes, edges, month=9)
    after = _rerun(graph_settings, nodes, edges)
    assert after["detection"] == "change set"
    assert _same_as_full(after, _full_run(tmp_path, nodes, edges))


def test_a_failed_run_leaves_a_state_the_next_run_ends_right_from(graph_settings, tmp_path):
    rng, nodes, edges = _graph(16)
    write_graph(graph_settings, nodes, edges)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    # a long new chain of phones: two rounds are not enough, the run fails half-way
    start = len(nodes) + 1
    chain = [(i, f"phone:{i:04d}", "phone", 8, 10**6) for i in range(start, start + 40)]
    nodes = [*nodes, *chain]
    edges = [*edges, *[(a[0], b[0], 8, "2026-08-01") for a, b in zip(chain, chain[1:], strict=False)]]
    write_graph(graph_settings, nodes, edges)
    with pytest.raises(BuildError):
        run_identity_graph(graph_settings, "g", "nodes", "edges", max_rounds=2)
    after = _rerun(graph_settings, nodes, edges)
    assert after["mode"] == "incremental"
    assert _same_as_full(after, _full_run(tmp_path, nodes, edges))


# customers within their limits (A, B, C, D) and one over a limit (X: two logins share an email)
STAND_IN_NODES = [
    (1, "user_id:a", "user_id", 1, 1),
    (2, "email:a", "email", 4, 3),
    (3, "phone:a", "phone", 8, 3),
    (4, "user_id:b", "user_id", 1, 1),
    (5, "email:b", "email", 4, 3),
    (6, "phone:b", "phone", 8, 3),
    (7, "email:c", "email", 4, 3),
    (8, "phone:c", "phone", 8, 3),
    (9, "user_id:d", "user_id", 1, 1),
    (10, "email:d", "email", 4, 3),
    (11, "user_id:x1", "user_id", 1, 1),
    (12, "user_id:x2", "user_id", 1, 1),
    (13, "email:x", "email", 4, 3),
]
STAND_IN_EDGES = [
    (1, 2, 4, "2026-01-01"),
    (1, 3, 8, "2026-01-01"),
    (4, 5, 4, "2026-01-02"),
    (4, 6, 8, "2026-01-02"),
    (7, 8, 8, "2026-01-03"),
    (9, 10, 4, "2026-01-04"),
    (11, 13, 4, "2026-01-05"),
    (12, 13, 4, "2026-01-06"),
]


def _edge_status_rows(settings: Settings) -> tuple[int, int]:
    """Rows of the edge statuses and distinct (from, to, tier) among them."""
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        return conn.execute(
            "select count(*), count(distinct (from_node_id, to_node_id, tier)) from g.edges__edge_status"
        ).fetchone()


def test_super_components_within_their_limits_stand_in_for_their_edges(graph_settings, tmp_path):
    write_graph(graph_settings, STAND_IN_NODES, STAND_IN_EDGES)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    nodes = [*STAND_IN_NODES, (14, "email:a2", "email", 4, 3)]
    edges = [
        *STAND_IN_EDGES,
        (1, 14, 4, "2026-03-01"),  # a new identifier of A
        (1, 2, 4, "2026-03-01"),  # an edge A already has, seen again: its status stays, written once
        (2, 3, 8, "2026-03-01"),  # a new edge between two of A's identifiers
        (4, 7, 4, "2026-03-01"),  # B and C merge within the limits: C's nodes take B's smaller id
    ]
    after = _rerun(graph_settings, nodes, edges)
    assert (after["detection"], after["old_edges"]) == ("change set", "stood in")
    assert _same_as_full(after, _full_run(tmp_path, nodes, edges))
    rows, distinct = _edge_status_rows(graph_settings)
    assert rows == distinct == len(STAND_IN_EDGES) + 3


@pytest.mark.parametrize(
    "new_edge",
    [
        (9, 5, 4, "2026-03-01"),  # D's login joins B: two logins in the merge, a limit newly at stake
        (11, 10, 4, "2026-03-01"),  # D's email joins X, already over a limit
    ],
    ids=["merge over a limit", "touches one over a limit"],
)
def test_a_limit_at_stake_makes_the_run_read_the_old_edges(graph_settings, tmp_path, new_edge):
    write_graph(graph_settings, STAND_IN_NODES, STAND_IN_EDGES)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    edges = [*STAND_IN_EDGES, new_edge]
    after = _rerun(graph_settings, STAND_IN_NODES, edges)
    assert (after["detection"], after["old_edges"]) == ("change set", "edge statuses")
    full = _full_run(tmp_path, STAND_IN_NODES, edges)
    assert not all(admitted for admitted, _, _ in full["status"].values())
    assert _same_as_full(after, full)
    rows, distinct = _edge_status_rows(graph_settings)
    assert rows == distinct == len(STAND_IN_EDGES) + 1


# the nodes tell when each was first seen (first_seen_at, as int_identity_nodes has it): a run finds the new
# nodes by it, with or without edges, and proves the others are the nodes the last run saw
SEEN_AT = "first_seen_at"


def _seen(nodes: list[tuple], edges: list[tuple], default: str = "2026-01-01", before: list[tuple] = ()) -> list[tuple]:
    """The nodes with their first sighting: as in `before` (nodes with theirs), else their earliest edge, else
    `default`."""
    first: dict[int, str] = {}
    for a, b, _, day in edges:
        for node_id in (a, b):
            first[node_id] = min(first.get(node_id, day), day)
    first.update({node[0]: node[5] for node in before})
    return [(*node[:5], first.get(node[0], default)) for node in nodes]


def _run_seen(settings: Settings, nodes: list[tuple], edges: list[tuple]) -> dict:
    write_graph(settings, nodes, edges)
    run_identity_graph(settings, "g", "nodes", "edges", nodes_seen_at=SEEN_AT)
    return graph_outcome(settings)


@pytest.mark.parametrize("seed", [4, 5])
def test_new_nodes_are_found_by_when_they_were_first_seen(graph_settings, tmp_path, seed):
    rng, nodes, edges = _graph(seed)
    seen = _seen(nodes, edges)
    assert _run_seen(graph_settings, seen, edges)["mode"] == "full"
    new_nodes, new_edges = _appended(rng, nodes, edges)
    after = _run_seen(graph_settings, _seen(new_nodes, new_edges, before=seen), new_edges)
    assert (after["mode"], after["detection"]) == ("incremental", "change set")
    assert 0 < after["resolved"] < len(new_nodes)
    assert _same_as_full(after, _full_run(tmp_path, new_nodes, new_edges))


def test_a_new_record_without_links_is_in_the_change_set_when_the_nodes_tell_when_they_were_seen(
    graph_settings, tmp_path
):
    _, nodes, edges = _graph(14)
    seen = _seen(nodes, edges)
    _run_seen(graph_settings, seen, edges)
    loner = (1000, "record:shop/orders/77", "record", 1000000, 1)
    grown = [*nodes, loner]
    after = _run_seen(graph_settings, _seen(grown, edges, default="2026-08-01", before=seen), edges)
    assert (after["detection"], after["resolved"]) == ("change set", 1)
    assert frozenset({"record:shop/orders/77"}) in after["customers"]
    assert _same_as_full(after, _full_run(tmp_path, grown, edges))


def _changed_limit(nodes: list[tuple]) -> list[tuple]:
    """A rule change lowers an email's limit to 1."""
    victim = next(n for n in nodes if n[2] == "email")
    return [(*n[:4], 1, *n[5:]) if n is victim else n for n in nodes]


def _late_node(nodes: list[tuple]) -> list[tuple]:
    """A record without links loaded now but seen before the last run's latest node."""
    return [*nodes, (1000, "record:shop/orders/1", "record", 1000000, 1, "2026-01-03")]


@pytest.mark.parametrize("change", [_changed_limit, _late_node], ids=["changed-limit", "late-node"])
def test_a_node_change_the_first_sightings_cannot_see_makes_the_run_compare_the_nodes(graph_settings, tmp_path, change):
    rng, nodes, edges = _graph(13)
    seen = _seen(nodes, edges)
    _run_seen(graph_settings, seen, edges)
    new_nodes, new_edges = _appended(rng, nodes, edges)
    changed = change(_seen(new_nodes, new_edges, before=seen))
    after = _run_seen(graph_settings, changed, new_edges)
    assert after["detection"] == "change set, node compare"
    assert _same_as_full(after, _full_run(tmp_path, [n[:5] for n in changed], new_edges))
