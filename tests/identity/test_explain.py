"""`cdp explain` and the identity marts on the session's demo warehouse (read-only)."""

from cdp.identity.explain import customer_of_identifier, explain


def _busiest_customer(demo_db) -> str:
    return demo_db.execute(
        "select customer_id from marts.customer_identity_links"
        " group by customer_id order by count(distinct to_identifier_key) desc, customer_id limit 1"
    ).fetchone()[0]


def test_explain_joins_any_two_identifiers_by_edges_with_source_records(demo_db):
    result = explain(demo_db, _busiest_customer(demo_db))
    linked = sorted({link.from_identifier for link in result.links} | {link.to_identifier for link in result.links})
    assert len(linked) >= 3
    start, end = linked[0], linked[-1]
    steps = result.path(start, end)
    assert steps, f"no path from {start} to {end}"
    # consecutive steps share an identifier and the chain runs from start to end
    walked = start
    for step in steps:
        assert walked in (step.from_identifier, step.to_identifier)
        walked = step.to_identifier if walked == step.from_identifier else step.from_identifier
        assert step.source and step.source_record_id
    assert walked == end


def test_explain_finds_the_customer_of_an_identifier(demo_db):
    customer_id, identifier = demo_db.execute(
        "select customer_id, to_identifier_key from marts.customer_identity_links order by 2 limit 1"
    ).fetchone()
    assert customer_of_identifier(demo_db, identifier) == customer_id


def test_no_customer_holds_two_user_ids_and_junk_is_audited(demo_db):
    over = demo_db.execute(
        "select customer_id from marts.customer_identities where identifier_type = 'user_id' and is_linkable"
        " group by customer_id having count(*) > 1"
    ).fetchall()
    assert over == []
    reasons = {
        row[0]
        for row in demo_db.execute(
            "select rejection_reason from marts.identity_rejections where rejected_kind = 'identifier'"
        ).fetchall()
    }
    assert any(reason.startswith("blocklisted") for reason in reasons)


def test_cdp_explain_prints_identifiers_and_paths(demo_warehouse, demo_db, monkeypatch):
    from typer.testing import CliRunner

    from cdp.cli import app

    customer_id = _busiest_customer(demo_db)
    monkeypatch.setenv("CDP_DUCKDB_PATH", str(demo_warehouse.duckdb_path))
    result = CliRunner().invoke(app, ["explain", "--customer", customer_id])
    assert result.exit_code == 0, result.output
    assert customer_id in result.output
    assert " -> " in result.output and "/" in result.output
