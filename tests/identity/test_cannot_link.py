"""A reviewer's cannot-link decision (`cdp review`) splits a customer that deterministic edges joined: the
decision's rule identifier (seed identifier_types `cannot_link`, limit 1) makes the graph's limits refuse
the weakest edge between the two records; the part holding the id's anchor keeps the id, the other part
gets a new one with a `split` row in customer_id_history; the rule identifier shows in no mart; an
incremental run redoes only the touched part of the graph and equals a full rebuild."""

import duckdb
import pytest

from cdp.build import run_dbt
from cdp.config import Settings
from cdp.identity.graph_operation import run_identity_graph
from cdp.matching.review import decide
from tests.identity.conftest import components, write_graph

SLICE = [
    "--select",
    "+int_source_records_resolved",
    "+customer_id_history",
    "+customer_identities",
    "+customer_identity_links",
    "+identity_rejections",
    "int_match_features",
]
ANN, BEA = "crm/contacts/t-ann", "crm/contacts/t-bea"
DECISION_TYPE = f"cannot_link:{ANN} {BEA}"


def _contact(conn, contact_id: str, email: str | None, phone: str) -> None:
    conn.execute(
        "insert into raw_crm.contacts (contact_id, email, phone, country, created_at, updated_at, _dlt_load_id,"
        " _dlt_id) values (?, ?, ?, 'NL', timestamptz '2026-10-01 00:00:00+00',"
        " timestamptz '2026-10-01 00:00:00+00', 'test', ?)",
        [contact_id, email, phone, f"test-{contact_id}"],
    )


def _customers(settings: Settings) -> dict[str, str]:
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        rows = conn.execute(
            "select source_record_key, customer_id from intermediate.int_source_records_resolved"
        ).fetchall()
    return dict(rows)


def _query(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        return conn.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def warehouse(demo_warehouse: Settings, tmp_path_factory) -> Settings:
    """A copy of the session's demo warehouse with two people whose CRM contacts share only a phone (one of
    them gave no email: a phone seen with two emails would not link at all, var identity_degree_caps)."""
    root = tmp_path_factory.mktemp("cannot_link")
    settings = Settings(
        duckdb_path=root / "warehouse.duckdb", landing_dir=demo_warehouse.landing_dir, pipelines_dir=root / "pipelines"
    )
    with duckdb.connect(str(demo_warehouse.duckdb_path)) as conn:
        conn.execute(f"attach '{settings.duckdb_path}' as cannot_link")
        conn.execute("copy from database warehouse to cannot_link")
        conn.execute("detach cannot_link")
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        _contact(conn, "t-ann", "ann.shared@mail.nl", "+31612398745")
        _contact(conn, "t-bea", None, "+31612398745")
    return settings


def test_cannot_link_splits_a_deterministic_customer_and_keeps_the_split_across_rebuilds(warehouse):
    run_dbt(warehouse, "run", SLICE, quiet=True)
    joined = _customers(warehouse)
    holder = joined[ANN]
    assert joined[BEA] == holder, "the shared phone joins the two contacts before any decision"

    decide(warehouse, BEA, ANN, "cannot_link", note="two sisters")
    run_dbt(warehouse, "run", SLICE, quiet=True)
    split = _customers(warehouse)
    assert split[ANN] != split[BEA]
    # the id stays with the part holding its anchor (ann's contact id, first by key); bea's part is new
    assert split[ANN] == holder
    assert (holder, split[BEA], "split") in _query(
        warehouse, "select old_customer_id, customer_id, change_type from marts.customer_id_history"
    )
    # nobody else moved
    assert {k: v for k, v in split.items() if k not in (ANN, BEA)} == {
        k: v for k, v in joined.items() if k not in (ANN, BEA)
    }
    # only the touched super-component was resolved again
    mode, total, resolved = _query(
        warehouse, "select mode, nodes_total, nodes_resolved from intermediate.int_identity_graph__incremental"
    )[0]
    assert mode == "incremental" and 0 < resolved < total / 10

    # the refused edge is audited with a reason naming the decision
    reasons = [
        r[0]
        for r in _query(
            warehouse,
            "select rejection_reason from marts.identity_rejections where rejected_kind = 'edge'"
            " and source_record_key in (?, ?)",
            [ANN, BEA],
        )
    ]
    assert reasons and all(DECISION_TYPE in r for r in reasons)

    # the rule identifier is no identifier of anybody: not in customer_identities nor in the links
    assert _query(
        warehouse, "select count(*) from marts.customer_identities where identifier_type like 'cannot_link%'"
    ) == [(0,)]
    assert _query(
        warehouse,
        "select count(*) from marts.customer_identity_links"
        " where from_identifier_key like 'cannot_link%' or to_identifier_key like 'cannot_link%'",
    ) == [(0,)]

    # a full rebuild takes the same decision and keeps every id
    run_dbt(warehouse, "run", [*SLICE, "--full-refresh"], quiet=True)
    assert _customers(warehouse) == split
    history = _query(warehouse, "select old_customer_id, customer_id, change_type from marts.customer_id_history")
    assert (holder, split[BEA], "split") in history
    assert sum(1 for row in history if row[0] == holder and row[1] == split[BEA]) == 1

    # the reviewer changes their mind: a must-link (latest decision wins) joins the two again
    decide(warehouse, ANN, BEA, "must_link")
    run_dbt(warehouse, "run", SLICE, quiet=True)
    rejoined = _customers(warehouse)
    assert rejoined[ANN] == rejoined[BEA] == holder


def test_cannot_link_splits_records_that_share_their_strongest_identifier(graph_settings):
    """Two records with one email (the same mailbox) under a cannot-link: each hangs on its decision's
    rule identifier, so the email goes with the record seen first and the other record's edge to it is
    refused with the decision in the reason; no customer holds both rule identifiers."""
    decision = f"cannot_link:{ANN} {BEA}"
    nodes = [
        (1, f"{decision}:{ANN}", decision, 0, 1),
        (2, f"{decision}:{BEA}", decision, 0, 1),
        (3, "email:family@mail.nl", "email", 4, 3),
        (4, "phone:+31612398745", "phone", 8, 3),
    ]
    edges = [
        (1, 3, 4, "2026-01-01"),  # ann's record: email, then phone
        (1, 4, 8, "2026-01-01"),
        (2, 3, 4, "2026-02-01"),  # bea's record, seen later: the same email
    ]
    write_graph(graph_settings, nodes, edges)
    run_identity_graph(graph_settings, "g", "nodes", "edges")
    labels = components(graph_settings)
    assert labels[f"{decision}:{ANN}"] != labels[f"{decision}:{BEA}"]
    assert labels["email:family@mail.nl"] == labels["phone:+31612398745"] == labels[f"{decision}:{ANN}"]
    with duckdb.connect(str(graph_settings.duckdb_path)) as conn:
        refused = conn.execute(
            "select from_node_id, to_node_id, rejection_reason from g.edges__edge_status where not is_admitted"
        ).fetchall()
    assert refused == [(2, 3, f"would put 2 {decision} values in one customer (limit 1)")]
