"""Stable customer ids (int_customer_id_registry, customer_id_history) across incremental runs and full
rebuilds: a merge keeps the oldest id, a split leaves the id with the anchor's part, and an incremental
run gives the same customers as a full rebuild."""

import duckdb
import pytest

from cdp.build import run_dbt
from cdp.config import Settings

SLICE = ["--select", "+int_source_records_resolved", "+customer_id_history"]


def _contact(conn, contact_id: str, email: str, secondary_email: str | None = None) -> None:
    conn.execute(
        "insert into raw_crm.contacts (contact_id, email, secondary_email, created_at, updated_at, _dlt_load_id,"
        " _dlt_id) values (?, ?, ?, timestamptz '2026-10-01 00:00:00+00', timestamptz '2026-10-01 00:00:00+00',"
        " 'test', ?)",
        [contact_id, email, secondary_email, f"test-{contact_id}"],
    )


def _customers(settings: Settings) -> dict[str, str]:
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        rows = conn.execute(
            "select source_record_key, customer_id from intermediate.int_source_records_resolved"
        ).fetchall()
    return dict(rows)


def _history(settings: Settings) -> list[tuple]:
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        return conn.execute(
            "select old_customer_id, customer_id, change_type from marts.customer_id_history order by changed_at"
        ).fetchall()


@pytest.fixture(scope="module")
def warehouse(demo_warehouse: Settings, tmp_path_factory) -> Settings:
    """A copy of the session's built demo warehouse (the demo stays read-only) with two new contacts."""
    root = tmp_path_factory.mktemp("stability")
    settings = Settings(
        duckdb_path=root / "warehouse.duckdb", landing_dir=demo_warehouse.landing_dir, pipelines_dir=root / "pipelines"
    )
    with duckdb.connect(str(demo_warehouse.duckdb_path)) as conn:
        conn.execute(f"attach '{settings.duckdb_path}' as stability")
        conn.execute("copy from database warehouse to stability")
        conn.execute("detach stability")
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        _contact(conn, "t-x", "xena@mail.nl")
        _contact(conn, "t-y", "yuri@mail.nl")
    return settings


def test_merge_keeps_oldest_id_split_returns_it_to_anchor_and_full_rebuild_keeps_ids(warehouse):
    run_dbt(warehouse, "run", SLICE, quiet=True)
    first = _customers(warehouse)
    x, y = first["crm/contacts/t-x"], first["crm/contacts/t-y"]
    assert x != y

    # a contact with both emails joins them: of two ids created in the same run the smaller survives
    with duckdb.connect(str(warehouse.duckdb_path)) as conn:
        _contact(conn, "t-z", "xena@mail.nl", "yuri@mail.nl")
    run_dbt(warehouse, "run", SLICE, quiet=True)
    merged = _customers(warehouse)
    survivor, retired = min(x, y), max(x, y)
    assert merged["crm/contacts/t-x"] == merged["crm/contacts/t-y"] == merged["crm/contacts/t-z"] == survivor
    assert (retired, survivor, "merge") in _history(warehouse)
    untouched = {k: v for k, v in first.items() if v not in (x, y)}
    assert {k: merged[k] for k in untouched} == untouched

    # a full rebuild recomputes the graph but keeps every id and the history
    run_dbt(warehouse, "run", [*SLICE, "--full-refresh"], quiet=True)
    assert _customers(warehouse) == merged
    assert (retired, survivor, "merge") in _history(warehouse)

    # the joining contact is deleted: the part holding the survivor's anchor keeps its id
    with duckdb.connect(str(warehouse.duckdb_path)) as conn:
        conn.execute("delete from raw_crm.contacts where contact_id = 't-z'")
    run_dbt(warehouse, "run", SLICE, quiet=True)
    split = _customers(warehouse)
    assert split["crm/contacts/t-x"] != split["crm/contacts/t-y"]
    assert survivor in (split["crm/contacts/t-x"], split["crm/contacts/t-y"])
    assert any(change == "split" and old == survivor for old, _, change in _history(warehouse))

    # incremental result == full rebuild result
    run_dbt(warehouse, "run", [*SLICE, "--full-refresh"], quiet=True)
    assert _customers(warehouse) == split
