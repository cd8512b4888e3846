"""End to end: generate a small messy data set, ingest all eight sources, `dbt build` (models, data tests
and unit tests), and check the marts against the generator's ground truth."""

import csv
from datetime import date

import pytest

from cdp.config import Settings
from cdp.generate import generate
from cdp.pipeline import ingest
from ingestion.runner import SOURCE_NAMES

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def built(demo_warehouse: Settings) -> Settings:
    return demo_warehouse


@pytest.fixture
def warehouse(demo_db):
    return demo_db


@pytest.fixture(scope="module")
def ground_truth(built: Settings) -> list[dict]:
    with open(built.landing_dir / "_ground_truth" / "records.csv", newline="") as f:
        return list(csv.DictReader(f))


def _quarantined_keys(conn) -> int:
    total = 0
    for source in SOURCE_NAMES:
        total += conn.execute(f"select count(*) from raw_{source}._quarantine").fetchone()[0] if conn.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = '_quarantine'",
            [f"raw_{source}"],
        ).fetchone()[0] else 0
    return total


def test_every_ground_truth_record_maps_to_exactly_one_customer(warehouse, ground_truth):
    mapped = {
        (s, t, r): c
        for c, s, t, r in warehouse.execute(
            "select customer_id, source, source_table, source_record_id from marts.customer_source_records"
        ).fetchall()
    }
    truth_keys = {(g["source"], g["source_table"], g["source_record_id"]) for g in ground_truth}
    missing = truth_keys - set(mapped)
    # records the pipeline quarantined (malformed on purpose) are the only ones allowed to be missing
    assert len(missing) <= _quarantined_keys(warehouse), sorted(missing)[:10]
    extra = set(mapped) - truth_keys
    assert not extra, sorted(extra)[:10]


def test_identity_clusters_match_ground_truth_pairwise(warehouse, built):
    truth_csv = str(built.landing_dir / "_ground_truth" / "records.csv")
    precision, recall = warehouse.execute(
        f"""
        with truth as (
            select * from read_csv('{truth_csv}', all_varchar = true)
        ),
        joined as (
            select truth.person_id, records.customer_id
            from truth
            inner join marts.customer_source_records as records
                using (source, source_table, source_record_id)
        ),
        both_pairs as (select sum(n * (n - 1) / 2) as pairs from (select count(*) as n from joined group by all)),
        truth_pairs as (
            select sum(n * (n - 1) / 2) as pairs from (select count(*) as n from joined group by person_id)
        ),
        predicted_pairs as (
            select sum(n * (n - 1) / 2) as pairs from (select count(*) as n from joined group by customer_id)
        )
        select both_pairs.pairs / predicted_pairs.pairs, both_pairs.pairs / truth_pairs.pairs
        from both_pairs, truth_pairs, predicted_pairs
        """
    ).fetchone()
    assert precision >= 0.90, f"pairwise precision {precision:.3f}"
    assert recall >= 0.80, f"pairwise recall {recall:.3f}"


def test_customer_ids_are_unique_and_every_identity_belongs_to_a_profile(warehouse):
    orphans = warehouse.execute(
        "select count(*) from marts.customer_identities "
        "where customer_id not in (select customer_id from marts.customer_profiles)"
    ).fetchone()[0]
    assert orphans == 0
    dupes = warehouse.execute(
        "select count(*) - count(distinct customer_id) from marts.customer_profiles"
    ).fetchone()[0]
    assert dupes == 0


def test_emails_and_phones_in_the_marts_are_normalised(warehouse):
    bad = warehouse.execute(
        """
        select identifier_type, identifier_value from marts.customer_identities
        where (identifier_type = 'email' and identifier_value <> lower(trim(identifier_value)))
           or (identifier_type = 'phone' and not regexp_matches(identifier_value, '^[+][1-9][0-9]{7,14}$'))
        limit 5
        """
    ).fetchall()
    assert bad == []


def test_orders_and_revenue_add_up_to_the_orders_of_resolved_customers(warehouse):
    profile_orders, profile_revenue = warehouse.execute(
        "select sum(orders_count), sum(lifetime_revenue_eur) from marts.customer_profiles"
    ).fetchone()
    order_count, order_revenue = warehouse.execute(
        """
        select count(*) filter (where not is_return), sum(net_amount_eur)
        from intermediate.int_orders_unioned where customer_id is not null
        """
    ).fetchone()
    assert profile_orders == order_count > 0
    assert abs(float(profile_revenue) - float(order_revenue)) < 0.01


def test_load_stats_balance_for_every_source(warehouse):
    for source in SOURCE_NAMES:
        unbalanced = warehouse.execute(
            f"select source_table from raw_{source}._load_stats "
            "where rows_read <> rows_loaded + rows_quarantined + rows_duplicate"
        ).fetchall()
        assert unbalanced == [], source


def test_second_ingest_with_no_new_data_loads_nothing(tmp_path):
    # its own warehouse: the shared one stays as the build left it
    settings = Settings(
        duckdb_path=tmp_path / "w.duckdb", landing_dir=tmp_path / "landing", pipelines_dir=tmp_path / "pipelines"
    )
    generate(settings.landing_dir, customers=50, seed=11, end_date=date(2026, 11, 1))
    first = ingest(settings)
    assert all(run.rows_loaded > 0 for run in first)
    runs = ingest(settings)
    assert {run.source: run.rows_loaded for run in runs} == {name: 0 for name in SOURCE_NAMES}
