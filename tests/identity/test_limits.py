"""Per-type limits with conflict resolution (macro resolve_identity_graph): no customer ends with more
values of a type than its limit; strong edges are admitted first and a weaker edge only where it breaks
no limit; every refused edge has a reason."""

import duckdb

from cdp.identity.graph_operation import run_identity_graph
from tests.identity.conftest import components, write_graph

NODES = [
    # two logins sharing an email (a family mailbox), then a phone seen with both
    (1, "user_id:u1", "user_id", 1, 1),
    (2, "user_id:u2", "user_id", 1, 1),
    (3, "email:family@mail.nl", "email", 4, 3),
    (4, "email:bob@mail.nl", "email", 4, 3),
    # two emails that each hold two of three loyalty cards (limit 2): together they would hold three
    (11, "email:carla@mail.nl", "email", 4, 3),
    (12, "email:dirk@mail.nl", "email", 4, 3),
    (13, "loyalty_card:L1", "loyalty_card", 6, 2),
    (14, "loyalty_card:L2", "loyalty_card", 6, 2),
    (15, "loyalty_card:L3", "loyalty_card", 6, 2),
]
EDGES = [
    (1, 3, 4, "2026-01-01"),  # u1 saw the family email first: it stays with u1
    (2, 3, 4, "2026-02-01"),
    (2, 4, 4, "2026-02-01"),
    (11, 13, 6, "2026-01-01"),
    (11, 14, 6, "2026-01-01"),
    (12, 14, 6, "2026-01-01"),
    (12, 15, 6, "2026-01-01"),
]


def _resolve(graph_settings):
    write_graph(graph_settings, NODES, EDGES)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    with duckdb.connect(str(graph_settings.duckdb_path)) as conn:
        status = {
            (a, b): (admitted, reason)
            for a, b, admitted, reason in conn.execute(
                "select from_node_id, to_node_id, is_admitted, rejection_reason from g.edges__edge_status"
            ).fetchall()
        }
    return components(graph_settings), status


def test_limits_keep_two_user_ids_apart_and_hold_every_limit(graph_settings):
    labels, status = _resolve(graph_settings)

    # a shared email never puts two user ids in one customer; it stays with the login that saw it first
    assert labels["user_id:u1"] != labels["user_id:u2"]
    assert labels["email:family@mail.nl"] == labels["user_id:u1"]
    assert labels["email:bob@mail.nl"] == labels["user_id:u2"]
    admitted, reason = status[(2, 3)]
    assert not admitted
    assert reason == "would put 2 user_id values in one customer (limit 1)"

    # three cards would end in one customer through two emails: the tier's edges there are refused
    cards = {labels[f"loyalty_card:L{i}"] for i in (1, 2, 3)}
    assert len(cards) == 3 or all(sum(labels[f"loyalty_card:L{i}"] == c for i in (1, 2, 3)) <= 2 for c in cards)
    refused = [reason for (a, _), (ok, reason) in status.items() if a in (11, 12) and not ok]
    assert refused and all("loyalty_card values" in r for r in refused)
