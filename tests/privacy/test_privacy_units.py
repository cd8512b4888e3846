"""Keyed hashes, the ingestion step that drops suppressed records, the sender's guard, and retention."""

from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pytest
from dlt.extract.hints import HintsMeta

from activation.engine import SuppressionGuard
from activation.planner import Change
from cdp.privacy.hashing import Hasher, canonical_forms, load_key
from cdp.privacy.retention import apply_retention
from cdp.privacy.subject import PrivacyError, parse_identifier
from ingestion.common.suppression import SuppressionStep
from tests.conftest import DEMO_END_DATE
from tests.privacy.conftest import copy_warehouse

HASHER = Hasher(b"unit-test-key")


def test_canonical_forms_recognise_one_value_however_it_is_written():
    assert canonical_forms("email", "  Ann@Example.COM ") == ["email:ann@example.com"]
    national, international = canonical_forms("phone", "06-12 34 56 78"), canonical_forms("phone", "+31612345678")
    assert national[1] == international[1] == "phone_digits:612345678"
    assert canonical_forms("loyalty_card", "ab12 3456")[-1] == canonical_forms("loyalty_card", "AB123456")[-1]
    assert canonical_forms("email", "   ") == [] and canonical_forms("phone", None) == []


def test_hashes_depend_on_the_key_and_never_hold_the_value():
    (one,) = Hasher(b"k1").hashes("email", "ann@example.com")
    (two,) = Hasher(b"k2").hashes("email", "ann@example.com")
    assert one != two and len(one) == 64 and "ann" not in one


def test_the_key_comes_from_the_environment_or_a_private_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CDP_PRIVACY_KEY", "from-env")
    assert load_key(tmp_path / "w.duckdb") == b"from-env"
    monkeypatch.delenv("CDP_PRIVACY_KEY")
    monkeypatch.setattr("cdp.privacy.hashing._key_from_dlt", lambda: None)
    first = load_key(tmp_path / "w.duckdb")
    assert first == load_key(tmp_path / "w.duckdb") and len(first) == 64
    assert (tmp_path / "privacy.key").stat().st_mode & 0o077 == 0


def test_identifiers_are_parsed_and_checked():
    assert parse_identifier("email: Ann@Example.com") == ("email", "ann@example.com")
    assert parse_identifier("shop_customer_id:42") == ("user_id", "42")
    with pytest.raises(PrivacyError):
        parse_identifier("name:Ann")
    with pytest.raises(PrivacyError):
        parse_identifier("ann@example.com")


def _step() -> SuppressionStep:
    suppressed = set(HASHER.hashes("email", "ann@example.com")) | set(HASHER.hashes("user_id", "42"))
    return SuppressionStep("orders", {"email": "email", "customer__id": "user_id"}, HASHER, suppressed)


def test_the_ingestion_step_drops_suppressed_rows_of_arrow_tables_and_counts_them():
    step = _step()
    table = pa.table({"email": ["ANN@example.com", "bob@example.com", None], "customer__id": ["1", "2", "42"]})
    kept = step(table)
    assert kept.column("customer__id").to_pylist() == ["2"]
    stats = step([{"source_table": "orders", "rows_read": 3, "rows_loaded": 3}], _stats_meta())
    assert stats == [
        {"source_table": "orders", "rows_read": 3, "rows_loaded": 1, "rows_quarantined": 0, "rows_suppressed": 2}
    ]


def test_the_ingestion_step_reads_nested_fields_of_dicts():
    step = _step()
    rows = [{"email": "x@y.z", "customer": {"id": 42}}, {"email": "bob@example.com", "customer": {"id": 7}}]
    assert step(rows) == [rows[1]]
    assert step([rows[0]]) is None  # a page of only suppressed records yields nothing
    assert step.dropped["orders"] == 2


def _stats_meta():
    return HintsMeta({"table_name": "_load_stats"}, create_table_variant=True)


def test_a_refused_record_of_a_suppressed_person_does_not_reach_the_quarantine():
    step = _step()
    quarantined = pa.table(
        {"raw_payload": ['{"email": "ann@example.com", "total": "x"}', '{"email": "b@c.de"}', "not json"]}
    )
    kept = step(quarantined, HintsMeta({"table_name": "_quarantine"}, create_table_variant=True))
    assert kept.column("raw_payload").to_pylist() == ['{"email": "b@c.de"}', "not json"]
    stats = step([{"source_table": "orders", "rows_read": 3, "rows_loaded": 0, "rows_quarantined": 3}], _stats_meta())
    assert stats[0]["rows_quarantined"] == 2 and stats[0]["rows_suppressed"] == 1


def test_the_sender_blocks_a_change_whose_person_is_suppressed():
    guard = SuppressionGuard(HASHER, set(HASHER.hashes("email", "ann@example.com")))

    def change(key: str, email: str) -> Change:
        return Change(key, "insert", {"email_address": email}, "h", None, None, None, 1)

    assert guard.blocks(change("cus_1", "Ann@Example.com"))
    assert not guard.blocks(change("cus_2", "bob@example.com"))


def test_retention_deletes_exactly_the_expired_rows(demo_warehouse, tmp_path):
    settings = copy_warehouse(demo_warehouse, tmp_path / "retention")
    as_of = datetime(DEMO_END_DATE.year, DEMO_END_DATE.month, DEMO_END_DATE.day, tzinfo=UTC)
    days = {"web": 180, "support": 365}
    con = duckdb.connect(str(settings.duckdb_path))
    cutoff_web, cutoff_support = as_of - timedelta(days=180), as_of - timedelta(days=365)
    keep_web = {
        r[0] for r in con.execute("select message_id from raw_web.events where timestamp >= ?", [cutoff_web]).fetchall()
    }
    expired_web = con.execute("select count(*) from raw_web.events where timestamp < ?", [cutoff_web]).fetchone()[0]
    keep_support = {
        r[0]
        for r in con.execute("select id from raw_support.tickets where updated_at >= ?", [cutoff_support]).fetchall()
    }
    orders_before = con.execute("select count(*) from raw_shop.orders").fetchone()[0]
    esp_before = con.execute("select count(*) from raw_esp.events").fetchone()[0]
    con.close()
    assert expired_web > 0 and keep_web

    result = apply_retention(settings, as_of=as_of, days=days)

    con = duckdb.connect(str(settings.duckdb_path))
    try:
        assert {r[0] for r in con.execute("select message_id from raw_web.events").fetchall()} == keep_web
        assert {r[0] for r in con.execute("select id from raw_support.tickets").fetchall()} == keep_support
        assert con.execute("select count(*) from raw_shop.orders").fetchone()[0] == orders_before
        assert con.execute("select count(*) from raw_esp.events").fetchone()[0] == esp_before
    finally:
        con.close()
    assert result.deleted["raw_web.events"] == expired_web


def test_the_lake_loses_the_rows_that_hold_the_person(tmp_path):
    import pyarrow.parquet as pq

    from cdp.privacy.erase import SweepValues, scrub_lake

    folder = tmp_path / "raw_web" / "events"
    folder.mkdir(parents=True)
    rows = {"a": ["x", "ANN@example.com wrote", "z"], "b": [1, 2, 3], "p": ["+31612345678", None, "q"]}
    pq.write_table(pa.table(rows), folder / "1.parquet")
    values = SweepValues(exact=(), drop=("ann@example.com",), redact=("ann@example.com", "+31612345678"))
    assert scrub_lake(tmp_path, values) == {"raw_web/events/1.parquet": 2}
    assert pq.read_table(folder / "1.parquet").to_pylist() == [{"a": "z", "b": 3, "p": "q"}]
