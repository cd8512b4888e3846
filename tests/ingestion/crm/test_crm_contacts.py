"""The CRM source over hand-made HubSpot-style exports: what lands in `raw_crm.contacts`, run after run."""

from datetime import UTC, datetime

import pytest

HEADER = (
    "Contact ID,Email,Secondary Email,Phone Number,Mobile Phone Number,First Name,Last Name,Company Name,"
    "Lifecycle Stage,Country,Unsubscribed from all email,Create Date,Last Modified Date\n"
)
EXPORT_0301 = HEADER + (
    "101,Ann.Smith@Example.com ,ann@work.example,+31 20 123 4567,06-12345678,Ann,Smith,,customer,Netherlands,"
    "false,2026-02-01 09:00:00,2026-02-27 10:00:00\n"
    '102,bob@example.com,,,,Bob,"Jones, Jr.",Acme BV,opportunity,Germany,true,2026-02-02 09:00:00,'
    "2026-02-28 10:00:00\n"
    "103,cy@example.com,,,,Cy,Lee,,lead,Poland,false,2026-02-03 09:00:00\n"  # a field short
    ",nobody@example.com,,,,No,Id,,lead,Poland,false,2026-02-03 09:00:00,2026-02-03 09:00:00\n"
    "104,dee@example.com,,,,Dee,Ng,,lead,Denmark,false,last tuesday,2026-02-03 09:00:00\n"
)
# Exported the next day: contact 101 changed again; the run that reads both keeps this version.
EXPORT_0302 = HEADER + (
    "101,ann.smith@example.com,,+31 20 123 4567,,Ann,Smith-Jansen,,customer,Netherlands,true,"
    "2026-02-01 09:00:00,2026-03-01 15:30:00\n"
)
EXPORT_0303 = HEADER + (
    "102,bob@example.com,,,,Bob,Jones,Acme BV,customer,Germany,true,2026-02-02 09:00:00,2026-03-02 10:00:00\n"
    "105,eve@example.com,,,,Eve,Kim,,lead,United Kingdom,false,2026-03-02 11:00:00,2026-03-02 11:00:00\n"
)


@pytest.fixture(scope="module")
def steps(load_in_steps):
    return load_in_steps(
        "crm",
        [
            {"contacts_export_20260301.csv": EXPORT_0301, "contacts_export_20260302.csv": EXPORT_0302},
            {},
            {"contacts_export_20260303.csv": EXPORT_0303},
        ],
    )


@pytest.fixture(scope="module")
def first(steps):
    return steps[0]


def test_headers_are_renamed_to_the_contract_columns(first):
    assert list(first.types["contacts"]) == [
        "contact_id",
        "email",
        "secondary_email",
        "phone",
        "mobile_phone",
        "first_name",
        "last_name",
        "company",
        "lifecycle_stage",
        "country",
        "email_opt_out",
        "created_at",
        "updated_at",
        "date_of_birth",
        "street_address",
        "postal_code",
        "city",
        "_file_name",
        "_dlt_load_id",
        "_dlt_id",
    ]


def test_loaded_columns_have_the_contract_types(first):
    types = first.types["contacts"]
    assert types["contact_id"] == "VARCHAR"
    assert types["email_opt_out"] == "BOOLEAN"
    assert types["created_at"] == types["updated_at"] == "TIMESTAMP WITH TIME ZONE"


def test_contacts_load_one_row_per_contact_id(first):
    assert sorted(first.by_key("contacts", "contact_id")) == ["101", "102"]


def test_values_are_kept_as_exported(first):
    bob = first.by_key("contacts", "contact_id")["102"]
    assert (bob["last_name"], bob["company"], bob["email_opt_out"]) == ("Jones, Jr.", "Acme BV", True)
    assert bob["secondary_email"] is None  # an empty field is null
    assert bob["created_at"] == datetime(2026, 2, 2, 9, tzinfo=UTC)  # export dates are UTC


def test_the_latest_export_of_a_contact_in_one_run_wins(first):
    ann = first.by_key("contacts", "contact_id")["101"]
    assert (ann["email"], ann["last_name"], ann["email_opt_out"]) == (
        "ann.smith@example.com",
        "Smith-Jansen",
        True,
    )
    assert ann["_file_name"] == "contacts_export_20260302.csv"


def test_csv_row_with_a_missing_field_is_quarantined_with_the_raw_line(first):
    (short,) = [row for row in first.quarantine("contacts") if row["raw_payload"].startswith("103,")]
    assert short["reason"].startswith("CSV row does not match the header")
    assert short["file_name"] == "contacts_export_20260301.csv"


def test_row_without_contact_id_or_with_bad_date_is_quarantined(first):
    reasons = {row["reason"] for row in first.quarantine("contacts")}
    assert "missing key `Contact ID`" in reasons
    assert "unparsable timestamp `Create Date`: `last tuesday`" in reasons
    assert len(first.quarantine("contacts")) == 3


def test_load_stats_balance(first):
    stats = first.stats("contacts")
    assert (stats["rows_read"], stats["rows_loaded"], stats["rows_quarantined"], stats["rows_duplicate"]) == (
        6,
        2,
        3,
        1,
    )


def test_second_run_without_new_exports_loads_nothing(steps):
    assert steps[1].run.rows_loaded == 0
    assert steps[1].stats("contacts")["rows_read"] == 0


def test_new_export_adds_and_updates_only_its_contacts(steps):
    third = steps[2]
    assert third.run.rows_by_table["contacts"] == 2
    contacts = third.by_key("contacts", "contact_id")
    assert sorted(contacts) == ["101", "102", "105"]
    assert (contacts["102"]["last_name"], contacts["102"]["lifecycle_stage"]) == ("Jones", "customer")
    assert contacts["101"]["_file_name"] == "contacts_export_20260302.csv"
