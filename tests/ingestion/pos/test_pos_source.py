"""The POS source over a hand-made SQLite export: what lands in `raw_pos`, run after run."""

import json
import sqlite3
from pathlib import Path

import duckdb
import pytest

from cdp.config import Settings
from cdp.errors import IngestionError
from ingestion.pos import helpers
from ingestion.runner import run_source

SCHEMA = """
create table stores(store_id text primary key, name text, country_code text, city text, timezone text);
create table receipts(
    receipt_id text primary key, store_id text, register_id text, receipt_type text,
    loyalty_card_number text, ereceipt_email text, currency text, total_amount_minor integer,
    payment_method text, created_at text, updated_at text
);
create table receipt_lines(
    line_id text primary key, receipt_id text, line_no integer, sku text, quantity integer,
    unit_price_minor integer, line_total_minor integer, updated_at text
);
"""
STORES = [
    ("AMS-01", "Amsterdam Centrum", "NL", "Amsterdam", "Europe/Amsterdam"),
    ("BER-01", "Berlin Mitte", "DE", "Berlin", "Europe/Berlin"),
]


def receipt(receipt_id, created_at, updated_at, **fields):
    row = {
        "receipt_id": receipt_id,
        "store_id": "AMS-01",
        "register_id": "REG-1",
        "receipt_type": "sale",
        "loyalty_card_number": None,
        "ereceipt_email": None,
        "currency": "EUR",
        "total_amount_minor": 2500,
        "payment_method": "card",
        "created_at": created_at,
        "updated_at": updated_at,
    }
    return {**row, **fields}


GOOD_RECEIPTS = [
    receipt("R-1", "2026-03-01T10:00:00+01:00", "2026-03-01 09:00:05", loyalty_card_number="LC-7"),
    receipt("R-2", "2026-03-01T10:05:00Z", "2026-03-01 10:05:00", ereceipt_email="ann@example.com"),
    receipt(
        "R-3",
        "2026-03-02T18:00:00.250+01:00",
        "2026-03-02 17:00:01",
        receipt_type="return",
        total_amount_minor=-900,
    ),
]  # newest updated_at: 2026-03-02 17:00:01
BAD_RECEIPTS = [
    receipt("R-90", "not a date", "2026-03-01 11:00:00"),
    receipt("R-91", "2026-02-30T10:00:00+01:00", "2026-03-01 12:00:00"),
    receipt("R-92", "2026-03-01T10:00:00", "2026-03-01 13:00:00"),
    receipt("R-93", None, "2026-03-01 14:00:00"),
]
LINES = [
    ("L-1", "R-1", 1, "SKU-1", 1, 1500, 1500, "2026-03-01 09:00:05"),
    ("L-2", "R-1", 2, "SKU-2", 2, 500, 1000, "2026-03-01 09:00:05"),
    ("L-3", "R-3", 1, "SKU-1", -1, 900, -900, "2026-03-02 17:00:01"),
]


def write_receipts(db: Path, receipts: list[dict]) -> None:
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "insert or replace into receipts values (:receipt_id, :store_id, :register_id, :receipt_type,"
            " :loyalty_card_number, :ereceipt_email, :currency, :total_amount_minor, :payment_method,"
            " :created_at, :updated_at)",
            receipts,
        )


def make_settings(root: Path) -> Settings:
    db = root / "landing" / "pos" / "pos.sqlite"
    db.parent.mkdir(parents=True)
    with sqlite3.connect(db) as conn:
        conn.executescript(SCHEMA)
        conn.executemany("insert into stores values (?, ?, ?, ?, ?)", STORES)
        conn.executemany("insert into receipt_lines values (?, ?, ?, ?, ?, ?, ?, ?)", LINES)
    write_receipts(db, GOOD_RECEIPTS + BAD_RECEIPTS)
    return Settings(
        duckdb_path=root / "warehouse.duckdb", landing_dir=root / "landing", pipelines_dir=root / "pipelines"
    )


def pos_db(settings: Settings) -> Path:
    return settings.landing_dir / "pos" / "pos.sqlite"


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """Two runs over the same export: (settings, first run, second run)."""
    settings_ = make_settings(tmp_path_factory.mktemp("pos"))
    first = run_source("pos", settings_)
    second = run_source("pos", settings_)
    return settings_, first, second


@pytest.fixture(scope="module")
def changed(tmp_path_factory):
    """A first run, then changes in the POS export, then a second run: (settings, second run)."""
    settings_ = make_settings(tmp_path_factory.mktemp("pos_changed"))
    run_source("pos", settings_)  # newest updated_at read: 2026-03-02 17:00:01
    write_receipts(
        pos_db(settings_),
        [
            {**GOOD_RECEIPTS[0], "ereceipt_email": "late@example.com", "updated_at": "2026-03-03 08:00:00"},
            # committed late: earlier than the newest row already read, but inside the lag window
            {**GOOD_RECEIPTS[1], "loyalty_card_number": "LC-9", "updated_at": "2026-03-02 16:30:00"},
            {
                **BAD_RECEIPTS[0],
                "created_at": "2026-03-01T12:00:00+01:00",
                "updated_at": "2026-03-03 09:00:00",
            },
        ],
    )
    with sqlite3.connect(pos_db(settings_)) as conn:
        conn.execute("update stores set name = 'Berlin Mitte II' where store_id = 'BER-01'")
    return settings_, run_source("pos", settings_)


def test_first_run_loads_stores_valid_receipts_and_lines(loaded):
    settings_, first, _ = loaded
    assert query(settings_, "select store_id from raw_pos.stores order by 1") == [("AMS-01",), ("BER-01",)]
    assert query(settings_, "select receipt_id from raw_pos.receipts order by 1") == [
        ("R-1",),
        ("R-2",),
        ("R-3",),
    ]
    assert query(settings_, "select line_id, receipt_id from raw_pos.receipt_lines order by 1") == [
        ("L-1", "R-1"),
        ("L-2", "R-1"),
        ("L-3", "R-3"),
    ]
    assert {t: first.rows_by_table[t] for t in ("stores", "receipts", "receipt_lines")} == {
        "stores": 2,
        "receipts": 3,
        "receipt_lines": 3,
    }


EXPECTED_TYPES = {
    ("stores", "store_id"): "VARCHAR",
    ("stores", "timezone"): "VARCHAR",
    ("receipts", "receipt_id"): "VARCHAR",
    ("receipts", "loyalty_card_number"): "VARCHAR",
    ("receipts", "ereceipt_email"): "VARCHAR",
    ("receipts", "total_amount_minor"): "BIGINT",
    ("receipts", "created_at"): "VARCHAR",  # timestamps stay text in raw, as in SQLite
    ("receipts", "updated_at"): "VARCHAR",
    ("receipt_lines", "line_no"): "BIGINT",
    ("receipt_lines", "quantity"): "BIGINT",
    ("receipt_lines", "line_total_minor"): "BIGINT",
    ("_quarantine", "reason"): "VARCHAR",
    ("_load_stats", "rows_quarantined"): "BIGINT",
}


def test_loaded_columns_keep_the_sqlite_types(loaded):
    settings_, _, _ = loaded
    found = {
        (table, column): data_type
        for table, column, data_type in query(
            settings_,
            "select table_name, column_name, data_type from information_schema.columns"
            " where table_schema = 'raw_pos'",
        )
    }
    assert {key: found.get(key) for key in EXPECTED_TYPES} == EXPECTED_TYPES


def test_quarantine_tables_do_not_take_the_reflected_columns(loaded):
    settings_, _, _ = loaded
    columns = query(
        settings_,
        "select column_name from information_schema.columns"
        " where table_schema = 'raw_pos' and table_name = '_quarantine' and column_name not like '_dlt%'",
    )
    assert sorted(c for (c,) in columns) == sorted(
        ["source", "source_table", "raw_payload", "reason", "file_name", "loaded_at"]
    )


def test_receipts_whose_created_at_is_not_a_timestamp_are_quarantined_with_column_and_value(loaded):
    settings_, _, _ = loaded
    rows = query(settings_, "select source, source_table, raw_payload, reason from raw_pos._quarantine")
    by_receipt = {
        json.loads(payload)["receipt_id"]: (source, table, reason) for source, table, payload, reason in rows
    }
    expected = "`created_at` is not an ISO 8601 timestamp with a UTC offset: "
    assert by_receipt == {
        "R-90": ("pos", "receipts", expected + "`not a date`"),
        "R-91": ("pos", "receipts", expected + "`2026-02-30T10:00:00+01:00`"),
        "R-92": ("pos", "receipts", expected + "`2026-03-01T10:00:00`"),
        "R-93": ("pos", "receipts", "`created_at` is null"),
    }
    payload = next(json.loads(p) for _, _, p, _ in rows if json.loads(p)["receipt_id"] == "R-90")
    assert payload == BAD_RECEIPTS[0]


def test_second_run_without_changes_loads_no_rows(loaded):
    settings_, _, second = loaded
    assert second.rows_loaded == 0
    assert second.rows_quarantined == 0
    assert query(settings_, "select count(*) from raw_pos.receipts") == [(3,)]


def test_load_stats_balance_and_count_re_reads_as_duplicates(loaded):
    settings_, _, _ = loaded
    stats = query(
        settings_,
        "select source_table, rows_read, rows_loaded, rows_quarantined, rows_duplicate"
        " from raw_pos._load_stats",
    )
    assert all(read == ok + bad + dup for _, read, ok, bad, dup in stats)
    assert sorted(stats) == sorted(
        [
            ("stores", 2, 2, 0, 0),
            ("receipts", 7, 3, 4, 0),
            ("receipt_lines", 3, 3, 0, 0),
            # second run: stores are read whole; receipts and lines from `newest updated_at - 1 hour`
            ("stores", 2, 0, 0, 2),
            ("receipts", 1, 0, 0, 1),
            ("receipt_lines", 1, 0, 0, 1),
        ]
    )


def test_changed_rows_are_the_only_rows_loaded_by_the_next_run(changed):
    _, second = changed
    assert {t: n for t, n in second.rows_by_table.items() if not t.startswith("_")} == {
        "receipts": 3,
        "stores": 1,
    }


def test_updated_receipt_is_merged_not_duplicated(changed):
    settings_, _ = changed
    assert query(settings_, "select count(*), count(distinct receipt_id) from raw_pos.receipts") == [(4, 4)]
    assert query(settings_, "select ereceipt_email from raw_pos.receipts where receipt_id = 'R-1'") == [
        ("late@example.com",)
    ]


def test_late_update_inside_the_lag_window_is_loaded(changed):
    settings_, _ = changed
    assert query(settings_, "select loyalty_card_number from raw_pos.receipts where receipt_id = 'R-2'") == [
        ("LC-9",)
    ]


def test_corrected_receipt_leaves_quarantine_and_is_loaded(changed):
    settings_, _ = changed
    assert query(settings_, "select created_at from raw_pos.receipts where receipt_id = 'R-90'") == [
        ("2026-03-01T12:00:00+01:00",)
    ]


def test_changed_store_is_reloaded_and_unchanged_stores_are_not(changed):
    settings_, _ = changed
    assert query(settings_, "select store_id, name from raw_pos.stores order by 1") == [
        ("AMS-01", "Amsterdam Centrum"),
        ("BER-01", "Berlin Mitte II"),
    ]


def test_missing_sqlite_file_is_an_ingestion_error_naming_the_path(tmp_path):
    settings_ = Settings(
        duckdb_path=tmp_path / "w.duckdb", landing_dir=tmp_path / "landing", pipelines_dir=tmp_path / "p"
    )
    with pytest.raises(IngestionError, match="pos.sqlite` does not exist"):
        run_source("pos", settings_)
    assert not (tmp_path / "landing" / "pos" / "pos.sqlite").exists()


@pytest.mark.parametrize(
    ("value", "lagged"),
    [("2026-03-02 17:00:01", "2026-03-02 16:00:01"), ("2026-03-01 00:30:00", "2026-02-28 23:30:00")],
    ids=["same-day", "across-midnight"],
)
def test_lag_steps_the_text_cursor_back_one_hour(value, lagged):
    assert helpers.lag_text_cursor(value, 3600) == lagged
