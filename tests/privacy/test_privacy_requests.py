"""SUPPRESS_WITH_DELETE of a generated person, proven in the bytes of every file the installation keeps;
re-ingestion does not bring them back; UNSUPPRESS lets new data in; the access export is complete."""

import gzip
import json
import os
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from activation.destinations.base import ErasureResult
from cdp.build import run_dbt
from cdp.config import Settings
from cdp.generate import generate
from cdp.privacy.erase import RAW_RECORD_KEYS, compact_warehouse
from cdp.privacy.export import export_person
from cdp.privacy.requests import run_request
from ingestion.runner import run_source
from tests.conftest import DEMO_CUSTOMERS, DEMO_END_DATE, DEMO_SEED
from tests.privacy.conftest import TEST_KEY, copy_warehouse, well_resolved_person


def _files_holding(folder: Path, needle: str) -> list[str]:
    """Files under `folder` whose bytes (gunzipped when gzip) contain `needle`, case-insensitively."""
    hits, target = [], needle.lower().encode()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        elif path.suffix == ".parquet":  # compressed columns: search the values
            data = json.dumps(pq.read_table(path).to_pylist(), default=str).encode()
        if target in data.lower():
            hits.append(str(path.relative_to(folder)))
    return hits


def _raw_keys(settings: Settings) -> dict[tuple[str, str], set[str]]:
    con = duckdb.connect(str(settings.duckdb_path))
    try:
        return {
            (source, table): {
                r[0] for r in con.execute(f"select cast({key} as varchar) from raw_{source}.{raw_table}").fetchall()
            }
            for (source, table), (raw_table, key) in RAW_RECORD_KEYS.items()
        }
    finally:
        con.close()


def _ground_truth(settings: Settings) -> dict[str, set[tuple[str, str, str]]]:
    con = duckdb.connect()
    rows = con.execute(
        "select person_id, source, source_table, source_record_id from read_csv(?, all_varchar = true)",
        [str(settings.landing_dir / "_ground_truth" / "records.csv")],
    ).fetchall()
    people: dict[str, set[tuple[str, str, str]]] = {}
    for person, *record in rows:
        people.setdefault(person, set()).add(tuple(record))
    return people


class Scenario:
    """Everything the module's tests look at, recorded while the request runs once."""


@pytest.fixture(scope="module")
def scenario(demo_warehouse, tmp_path_factory) -> Scenario:
    previous = {name: os.environ.get(name) for name in ("CDP_PRIVACY_KEY", "CDP_DUCKDB_PATH")}
    os.environ["CDP_PRIVACY_KEY"] = TEST_KEY
    try:
        yield _run_scenario(demo_warehouse, tmp_path_factory.mktemp("privacy"))
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _run_scenario(demo: Settings, root: Path) -> Scenario:
    s = Scenario()
    settings = s.settings = copy_warehouse(demo, root)
    s.person, s.customer_id = well_resolved_person(settings)
    s.truth = _ground_truth(settings)
    con = duckdb.connect(str(settings.duckdb_path))
    s.email, s.phone, s.first_name, s.last_name = con.execute(
        "select primary_email, primary_phone, first_name, last_name from marts.customer_profiles where customer_id = ?",
        [s.customer_id],
    ).fetchone()
    s.identifiers = con.execute(
        "select identifier_type, identifier_value from marts.customer_identities where customer_id = ?",
        [s.customer_id],
    ).fetchall()
    # phones as the sources wrote them (the landing files hold these, not E.164)
    s.phones_written = sorted(
        {
            r[0]
            for r in con.execute(
                """
                select raw_value from intermediate.int_identifier_observations
                where identifier_type = 'phone' and raw_value is not null and source_record_key in (
                    select source || '/' || source_table || '/' || source_record_id
                    from marts.customer_source_records where customer_id = ?)
                """,
                [s.customer_id],
            ).fetchall()
            if len(r[0]) >= 8
        }
    )
    s.profiles_before = con.execute("select count(*) from marts.customer_profiles").fetchone()[0]
    con.close()
    s.needles = [s.email, s.phone, *s.phones_written]
    s.original_web_lines = [
        line
        for path in sorted((settings.landing_dir / "web" / "events").glob("*.jsonl"))
        for line in path.read_text().splitlines()
        if s.email in line.lower()
    ]
    # a load whose package keeps its data files (a user's dlt setting), so dlt's folders hold the person too
    (settings.landing_dir / "web" / "events" / "2026-10-31-resent.jsonl").write_text("\n".join(s.original_web_lines))
    os.environ["LOAD__DELETE_COMPLETED_JOBS"] = "false"
    try:
        run_source("web", settings)
    finally:
        os.environ.pop("LOAD__DELETE_COMPLETED_JOBS")

    s.export = export_person(settings, f"email:{s.email}", root / "export.json")
    s.export_file = json.loads((root / "export.json").read_text())

    # so that a byte search of the warehouse can be trusted: strings stored uncompressed
    compact_warehouse(settings.duckdb_path, uncompressed=True)
    s.before = {
        "warehouse": {n: settings.duckdb_path.read_bytes().lower().count(n.lower().encode()) for n in s.needles},
        "landing": {n: _files_holding(settings.landing_dir, n) for n in s.needles},
        "dlt": {n: _files_holding(settings.pipelines_dir, n) for n in s.needles},
    }
    s.keys_before = _raw_keys(settings)

    s.erased_people = []

    def erase_destinations(settings, person, env):  # the declared syncs' erasure, recorded (tests/activation)
        s.erased_people.append(person)
        return [ErasureResult("mailchimp_list", "done", 1, "HTTP 204"), ErasureResult("meta", "not_found", 1, "")]

    s.report = run_request(
        settings,
        "suppress_with_delete",
        f"email:{s.email}",
        erase_destinations=erase_destinations,
        audit_uncompressed=True,
    )
    s.after = {
        "warehouse": {n: settings.duckdb_path.read_bytes().lower().count(n.lower().encode()) for n in s.needles},
        "landing": {n: _files_holding(settings.landing_dir, n) for n in s.needles},
        "dlt": {n: _files_holding(settings.pipelines_dir, n) for n in s.needles},
    }
    s.keys_after = _raw_keys(settings)
    con = duckdb.connect(str(settings.duckdb_path))
    s.profiles_after = con.execute("select count(*) from marts.customer_profiles").fetchone()[0]
    s.name_rows_after = con.execute(
        "select count(*) from raw_shop.customers where first_name = ? and last_name = ?", [s.first_name, s.last_name]
    ).fetchone()[0]
    s.requests = con.execute("select request_type, status, identifier_hash from privacy.requests").fetchall()
    s.destinations = con.execute(
        "select destination, status, attempts from privacy.request_destinations order by 1"
    ).fetchall()
    con.close()
    return s


def test_the_request_completes_and_logs_no_pii(scenario):
    assert scenario.report.status == "done", scenario.report.lines()
    assert [(t, st) for t, st, _ in scenario.requests] == [("suppress_with_delete", "done")]
    ((_, _, identifier_hash),) = scenario.requests
    assert scenario.email not in identifier_hash and len(identifier_hash) == 64


def test_every_destination_is_asked_to_erase_the_person_and_the_answers_are_kept(scenario):
    (person,) = scenario.erased_people
    assert person.customer_ids == (scenario.customer_id,)
    assert scenario.email in person.emails and scenario.phone in person.phones
    assert scenario.destinations == [("mailchimp_list", "done", 1), ("meta", "not_found", 1)]


def test_the_search_finds_the_person_before(scenario):
    # the byte search can fail: the same search finds the person before the request
    assert scenario.before["warehouse"][scenario.email] > 0
    assert scenario.before["landing"][scenario.email]
    assert any(scenario.before["dlt"][n] for n in scenario.needles)


def test_no_byte_of_the_person_remains(scenario):
    for place in ("warehouse", "landing", "dlt"):
        left = {n: hits for n, hits in scenario.after[place].items() if hits}
        assert not left, f"{place} still holds {left}"
    assert scenario.name_rows_after == 0


def test_the_rest_of_the_data_is_intact(scenario):
    person_records = scenario.truth[scenario.person]
    for (source, table), before in scenario.keys_before.items():
        others = {
            rid
            for person, records in scenario.truth.items()
            if person != scenario.person
            for s, t, rid in records
            if (s, t) == (source, table) and rid in before
        }
        missing = others - scenario.keys_after[(source, table)]
        assert not missing, f"{source}.{table}: other people's records deleted: {sorted(missing)[:5]}"
        mine = {rid for s, t, rid in person_records if (s, t) == (source, table)}
        assert not (mine & scenario.keys_after[(source, table)])
    assert scenario.profiles_after == scenario.profiles_before - 1


def test_the_export_holds_every_record_of_the_person(scenario):
    exported = {(r["source"], r["source_table"], r["source_record_id"]) for r in scenario.export_file["source_records"]}
    truth = {r for r in scenario.truth[scenario.person] if (r[0], r[1]) in RAW_RECORD_KEYS}
    assert truth and truth <= exported
    assert scenario.export_file["profile"]["customer_id"] == scenario.customer_id
    assert scenario.export_file["profile"]["primary_email"] == scenario.email
    assert "marts.customer_identities" in scenario.export_file["tables"]
    assert {"type": "email", "value": scenario.email} in scenario.export_file["identifiers"]


def test_reingesting_the_same_files_does_not_recreate_the_person(scenario):
    settings = scenario.settings
    # the generator writes the same files again, the person's records included
    generate(settings.landing_dir, customers=DEMO_CUSTOMERS, seed=DEMO_SEED, end_date=DEMO_END_DATE)
    assert _files_holding(settings.landing_dir, scenario.email)
    runs = [run_source(name, settings) for name in ("web", "esp", "crm", "loyalty", "support", "pos")]
    assert runs
    con = duckdb.connect(str(settings.duckdb_path))
    try:
        suppressed = con.execute(
            "select coalesce(sum(rows_suppressed), 0) from raw_web._load_stats where rows_suppressed is not null"
        ).fetchone()[0]
        balance = con.execute(
            "select count(*) from raw_web._load_stats where rows_read <> rows_loaded + rows_quarantined"
            " + rows_duplicate + coalesce(rows_suppressed, 0)"
        ).fetchone()[0]
        raw_web = con.execute(
            "select count(*) from raw_web.events where lower(traits_email) = ? or user_id in "
            "(select identifier_value from (select unnest(?::varchar[]) as identifier_value))",
            [scenario.email, [v for t, v in scenario.identifiers if t == "user_id"]],
        ).fetchone()[0]
    finally:
        con.close()
    assert suppressed > 0
    assert balance == 0
    assert raw_web == 0
    keys = _raw_keys(settings)
    for source, table, rid in scenario.truth[scenario.person]:
        if (source, table) in keys:
            assert rid not in keys[(source, table)], f"{source}.{table} {rid} came back"


def _new_event_file(settings: Settings, lines: list[str], suffix: str) -> int:
    """Land a new web file with the person's events under new message ids; returns how many."""
    events = []
    for n, line in enumerate(lines):
        event = json.loads(line)
        event["messageId"] = f"privacy-test-{suffix}-{n}"
        events.append(json.dumps(event))
    (settings.landing_dir / "web" / "events" / f"2099-01-0{suffix}.jsonl").write_text("\n".join(events) + "\n")
    return len(events)


def _web_rows_of(settings: Settings, suffix: str) -> int:
    con = duckdb.connect(str(settings.duckdb_path))
    try:
        return con.execute(
            "select count(*) from raw_web.events where message_id like ?", [f"privacy-test-{suffix}-%"]
        ).fetchone()[0]
    finally:
        con.close()


def test_unsuppress_lets_new_data_in(scenario):
    settings = scenario.settings
    assert scenario.original_web_lines, "the person has web events carrying their email"
    sent = _new_event_file(settings, scenario.original_web_lines[:3], "1")
    run_source("web", settings)
    assert _web_rows_of(settings, "1") == 0  # still suppressed: dropped at ingestion

    report = run_request(settings, "unsuppress", f"email:{scenario.email}", rebuild=False)
    assert report.status == "done" and report.steps[0].rows_affected > 0
    sent = _new_event_file(settings, scenario.original_web_lines[:3], "2")
    run_source("web", settings)
    assert _web_rows_of(settings, "2") == sent
    run_dbt(settings, "build", quiet=True)
    con = duckdb.connect(str(settings.duckdb_path))
    try:
        (profiles,) = con.execute(
            "select count(*) from marts.customer_profiles where contains(all_emails, ?)", [scenario.email]
        ).fetchone()
    finally:
        con.close()
    assert profiles == 1


def test_suppress_without_delete_hides_the_person_and_keeps_the_data(demo_warehouse, tmp_path):
    settings = copy_warehouse(demo_warehouse, tmp_path / "suppress")
    con = duckdb.connect(str(settings.duckdb_path))
    customer_id, email = con.execute(
        "select customer_id, primary_email from marts.segment_memberships join marts.customer_profiles"
        " using (customer_id) where primary_email is not null order by customer_id limit 1"
    ).fetchone()
    raw_before = con.execute("select count(*) from raw_web.events").fetchone()[0]
    con.close()
    report = run_request(settings, "suppress", f"customer_id:{customer_id}")
    assert report.status == "done"
    con = duckdb.connect(str(settings.duckdb_path))
    try:
        assert con.execute("select count(*) from raw_web.events").fetchone()[0] == raw_before
        assert con.execute(
            "select count(*) from marts.customer_profiles where customer_id = ? or primary_email = ?",
            [customer_id, email],
        ).fetchone() == (0,)
        assert con.execute(
            "select count(*) from marts.segment_memberships where customer_id = ?", [customer_id]
        ).fetchone() == (0,)
        assert con.execute("select count(*) from intermediate.int_suppressed_customers").fetchone()[0] >= 1
        # the list holds hashes only
        assert con.execute(
            "select count(*) from privacy.suppressions where identifier_hash like ?", [f"%{email}%"]
        ).fetchone() == (0,)
    finally:
        con.close()
