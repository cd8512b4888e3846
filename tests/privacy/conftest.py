"""Fixtures of the privacy tests: each module works on its own copy of the session's demo warehouse."""

import shutil
from pathlib import Path

import duckdb
import pytest

from cdp.config import Settings

TEST_KEY = "privacy-tests-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def _privacy_key(monkeypatch):
    monkeypatch.setenv("CDP_PRIVACY_KEY", TEST_KEY)


def copy_warehouse(demo: Settings, root: Path) -> Settings:
    """A private copy of the demo installation: warehouse file, landing folder and dlt folders."""
    root.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(demo.duckdb_path))
    try:
        con.execute("checkpoint")  # the file then holds every row (none left in the WAL)
    finally:
        con.close()
    shutil.copy2(demo.duckdb_path, root / "warehouse.duckdb")
    shutil.copytree(demo.landing_dir, root / "landing")
    shutil.copytree(demo.pipelines_dir, root / "pipelines")
    return Settings(
        duckdb_path=root / "warehouse.duckdb", landing_dir=root / "landing", pipelines_dir=root / "pipelines"
    )


def well_resolved_person(settings: Settings) -> tuple[str, str]:
    """(person_id, customer_id) of a ground-truth person whose every record resolved to one customer that
    holds nobody else, with records in as many sources as possible: the person an export must cover
    completely. (A person the identity graph split or merged tests identity, not privacy.)"""
    con = duckdb.connect(str(settings.duckdb_path))
    try:
        row = con.execute(
            """
            with gt as (select * from read_csv(?, all_varchar = true)),
            resolved as (
                select gt.person_id, gt.source, records.customer_id
                from gt left join marts.customer_source_records as records
                    using (source, source_table, source_record_id)
            ),
            people as (
                select person_id, count(distinct customer_id) as customers, count(*) - count(customer_id) as lost,
                    count(distinct source) as sources, count(*) as n
                from resolved group by person_id
            ),
            customers as (
                select customer_id, count(distinct person_id) as persons
                from resolved where customer_id is not null group by customer_id
            )
            select people.person_id, any_value(resolved.customer_id)
            from people
            join resolved using (person_id)
            join customers using (customer_id)
            join marts.customer_profiles as profiles using (customer_id)
            where people.customers = 1 and people.lost = 0 and customers.persons = 1
                and profiles.primary_email is not null and profiles.primary_phone is not null
            group by people.person_id, people.sources, people.n
            order by people.sources desc, people.n desc, people.person_id
            limit 1
            """,
            [str(settings.landing_dir / "_ground_truth" / "records.csv")],
        ).fetchone()
    finally:
        con.close()
    assert row is not None, "the demo data has no cleanly resolved person with an email and a phone"
    return row
