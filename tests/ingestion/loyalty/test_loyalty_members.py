"""The loyalty source over hand-made member exports: what lands in `raw_loyalty.members`, run after run."""

import pytest

HEADER = "card_number,email,phone,first_name,last_name,tier,points_balance,joined_at,updated_at,country,home_store_id\n"
EXPORT_0301 = HEADER + (
    "LC-0001,Ann.Smith@Example.com,+31612345678,Ann,Smith,gold,1200,2025-05-01T10:00:00Z,2026-02-28T10:00:00Z,NL,"
    "AMS-01\n"
    "LC-0002,,0612 345 679,Bob,Jones,bronze,0,2025-06-01T10:00:00Z,2026-02-27T10:00:00Z,NL,AMS-01\n"
    "LC-0003,cy@example.com,,Cy,Lee,silver,lots,2025-07-01T10:00:00Z,2026-02-27T10:00:00Z,PL,\n"
    "LC-0004,dee@example.com,,Dee,Ng,silver,10,2025-07-01T10:00:00Z,2026-02-27T10:00:00Z,DK,CPH-01,extra\n"
)
EXPORT_0302 = HEADER + (
    "LC-0001,Ann.Smith@Example.com,+31612345678,Ann,Smith,platinum,5400,2025-05-01T10:00:00Z,"
    "2026-03-02T10:00:00Z,NL,AMS-01\n"
    "LC-0005,eve@example.com,,Eve,Kim,bronze,50,2026-03-02T09:00:00Z,2026-03-02T09:00:00Z,GB,LON-01\n"
)


@pytest.fixture(scope="module")
def steps(load_in_steps):
    return load_in_steps("loyalty", [{"members_20260301.csv": EXPORT_0301}, {}, {"members_20260302.csv": EXPORT_0302}])


@pytest.fixture(scope="module")
def first(steps):
    return steps[0]


def test_members_load_one_row_per_card_number_as_in_the_file(first):
    members = first.by_key("members", "card_number")
    assert sorted(members) == ["LC-0001", "LC-0002"]
    bob = members["LC-0002"]
    assert (bob["email"], bob["phone"], bob["points_balance"], bob["_file_name"]) == (
        None,
        "0612 345 679",
        0,
        "members_20260301.csv",
    )


def test_loaded_columns_have_the_contract_types(first):
    types = first.types["members"]
    assert types["points_balance"] == "BIGINT"
    assert types["joined_at"] == types["updated_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["card_number"] == types["home_store_id"] == types["_file_name"] == "VARCHAR"


def test_unparsable_points_balance_is_quarantined(first):
    reasons = {row["reason"] for row in first.quarantine("members")}
    assert "unparsable integer `points_balance`: `lots`" in reasons


def test_csv_row_with_an_extra_field_is_quarantined_with_the_raw_line(first):
    (wide,) = [row for row in first.quarantine("members") if row["raw_payload"].startswith("LC-0004,")]
    assert wide["raw_payload"].endswith(",extra")
    assert wide["reason"].startswith("CSV row does not match the header")


def test_load_stats_balance(first):
    stats = first.stats("members")
    assert (stats["rows_read"], stats["rows_loaded"], stats["rows_quarantined"], stats["rows_duplicate"]) == (
        4,
        2,
        2,
        0,
    )


def test_second_run_without_new_exports_loads_nothing(steps):
    assert steps[1].run.rows_loaded == 0


def test_new_export_adds_and_updates_only_its_members(steps):
    third = steps[2]
    assert third.run.rows_by_table["members"] == 2
    members = third.by_key("members", "card_number")
    assert sorted(members) == ["LC-0001", "LC-0002", "LC-0005"]
    assert (members["LC-0001"]["tier"], members["LC-0001"]["points_balance"]) == ("platinum", 5400)
