"""Segments on the demo warehouse: memberships, holdouts and history that survives a full refresh."""

import hashlib
import shutil
from dataclasses import replace

import duckdb
import pytest
import yaml

from cdp.build import run_dbt
from cdp.config import PROJECT_ROOT

SEGMENTS = {
    model["name"]: model["config"]["meta"]
    for model in yaml.safe_load((PROJECT_ROOT / "models" / "segments" / "_segments.yml").read_text())["models"]
}


def test_every_segment_file_is_declared_with_owner_purpose_and_holdout():
    files = {path.stem for path in (PROJECT_ROOT / "models" / "segments").glob("*.sql")}
    assert files == set(SEGMENTS)
    for meta in SEGMENTS.values():
        assert meta["owner"] and meta["consent_purpose"] and 0 <= meta["holdout_percent"] < 100


def test_memberships_are_current_stays_of_known_customers(demo_db):
    orphans = demo_db.execute(
        """select count(*) from marts.segment_memberships as m
           left join marts.customer_profiles as p on m.customer_id = p.customer_id
           where p.customer_id is null"""
    ).fetchall()[0][0]
    assert orphans == 0
    open_stays = demo_db.execute(
        "select count(*) from marts.segment_membership_history where exited_at is null"
    ).fetchall()
    members = demo_db.execute("select count(*) from marts.segment_memberships").fetchall()
    assert open_stays == members


def test_high_value_is_the_top_decile_of_buyers(demo_db):
    buyers, members = demo_db.execute(
        """select (select count(*) from marts.customer_profiles where lifetime_revenue_eur > 0),
                  (select count(*) from segments.high_value_customers)"""
    ).fetchall()[0]
    assert members == -(-buyers // 10)


def test_holdout_is_the_hash_of_customer_and_segment(demo_db):
    rows = demo_db.execute("select segment, customer_id, is_holdout from marts.segment_memberships").fetchall()
    assert rows
    for segment, customer_id, is_holdout in rows:
        bucket = int(hashlib.md5(f"{customer_id}|{segment}".encode()).hexdigest()[:8], 16) % 100
        assert is_holdout == (bucket < SEGMENTS[segment]["holdout_percent"]), (segment, customer_id)


@pytest.fixture
def warehouse_copy(demo_warehouse, tmp_path):
    settings = replace(demo_warehouse, duckdb_path=tmp_path / "warehouse.duckdb")
    shutil.copy(demo_warehouse.duckdb_path, settings.duckdb_path)
    wal = demo_warehouse.duckdb_path.with_name(demo_warehouse.duckdb_path.name + ".wal")
    if wal.exists():  # writes not yet checkpointed into the file
        shutil.copy(wal, settings.duckdb_path.with_name(settings.duckdb_path.name + ".wal"))
    return settings


def test_history_survives_a_full_refresh_and_records_exits(warehouse_copy):
    def history() -> list[tuple]:
        with duckdb.connect(str(warehouse_copy.duckdb_path)) as conn:
            return conn.execute("select * from marts.segment_membership_history order by all").fetchall()

    before = history()
    select = ["--select", "segments", "segment_membership_history", "segment_memberships", "--full-refresh"]
    # a year on, recent-activity segments have emptied: their members exit, and nothing before is lost
    run_dbt(warehouse_copy, "run", [*select, "--vars", '{"as_of": "2027-12-01 00:00:00"}'], quiet=True)
    after = history()
    assert len(after) > len(before)
    kept = {(row[0], row[1], row[3]) for row in after}
    assert all((row[0], row[1], row[3]) in kept for row in before)
    exited = [row for row in after if row[4] is not None]
    assert exited and all(str(row[4]).startswith("2027-12-01") for row in exited)
