"""The shop source against the local shop API: what lands in `raw_shop`, run after run."""

import json
import time
from pathlib import Path

import duckdb
import pytest

from cdp.config import Settings
from cdp.errors import IngestionError
from cdp.local_apis.shop import serve_shop_api
from ingestion.runner import ShopApi, run_source
from ingestion.shop import helpers, settings

TOKEN = "shop-test-token"


def customer(customer_id, updated_at, **fields):
    return {
        "id": customer_id,
        "email": f"c{customer_id}@example.com",
        "phone": None,
        "first_name": "Ann",
        "last_name": "Smit",
        "accepts_marketing": True,
        "accepts_marketing_updated_at": None,
        "created_at": "2026-01-01T09:00:00+01:00",
        "updated_at": updated_at,
        "currency": "EUR",
        "tags": "",
        "state": "enabled",
        "default_address": {
            "address1": "Dam 1",
            "city": "Amsterdam",
            "zip": "1012",
            "country_code": "NL",
            "phone": None,
        },
        "addresses": [
            {"address1": "Dam 1", "city": "Amsterdam", "zip": "1012", "country_code": "NL", "phone": None}
        ],
        **fields,
    }


def order(order_id, updated_at, customer_id=None, line_items=(), refunds=(), **fields):
    return {
        "id": order_id,
        "order_number": order_id - 100,
        "email": None,
        "phone": None,
        "customer": {"id": customer_id} if customer_id else None,
        "created_at": "2026-03-01T12:00:00Z",
        "updated_at": updated_at,
        "processed_at": "2026-03-01T12:00:05Z",
        "cancelled_at": None,
        "currency": "EUR",
        "total_price": "123.40",
        "subtotal_price": "100.00",
        "total_tax": "23.40",
        "total_discounts": "0.00",
        "financial_status": "paid",
        "source_name": "web",
        "billing_address": {
            "address1": "Dam 1",
            "city": "Amsterdam",
            "zip": "1012",
            "country_code": "NL",
            "phone": None,
        },
        "line_items": list(line_items),
        "refunds": list(refunds),
        **fields,
    }


def line_item(item_id, sku="SKU-1", quantity=1, price="50.00"):
    return {
        "id": item_id,
        "sku": sku,
        "product_id": 7,
        "title": "Shirt",
        "quantity": quantity,
        "price": price,
    }


GOOD_CUSTOMERS = [customer(i, f"2026-03-0{i}T10:00:00Z") for i in range(1, 6)]  # newest: 5, 03-05 10:00
BAD_CUSTOMERS = [
    customer(None, "2026-03-02T11:00:00Z"),
    customer(90, "2026-03-02T12:00:00Z", created_at="yesterday"),
    customer(91, "2026-03-02 13:00"),  # no offset: the API cannot order it, it comes in full exports only
]
GOOD_ORDERS = [
    order(
        101, "2026-03-01T12:00:00Z", customer_id=1, line_items=[line_item(1001), line_item(1002, "SKU-2", 2)]
    ),
    order(
        102,
        "2026-03-02T12:00:00Z",
        line_items=[line_item(1003)],
        refunds=[
            {
                "id": 5001,
                "order_id": 102,
                "created_at": "2026-03-03T08:00:00Z",
                "amount": "50.00",
                "note": None,
            }
        ],
        financial_status="partially_refunded",
    ),
    order(103, "2026-03-04T12:00:00Z", customer_id=2, cancelled_at="2026-03-04T12:00:00Z"),
]
BAD_ORDERS = [order(190, "2026-03-03T12:00:00Z", created_at="31/02/2026")]


def write_jsonl(path: Path, records: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def make_settings(root: Path) -> Settings:
    landing = root / "landing"
    write_jsonl(landing / "shop" / "customers.jsonl", GOOD_CUSTOMERS + BAD_CUSTOMERS)
    write_jsonl(landing / "shop" / "orders.jsonl", GOOD_ORDERS + BAD_ORDERS)
    return Settings(
        duckdb_path=root / "warehouse.duckdb", landing_dir=landing, pipelines_dir=root / "pipelines"
    )


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """Two runs over the same data: (settings, first run, second run)."""
    settings_ = make_settings(tmp_path_factory.mktemp("shop"))
    with serve_shop_api(settings_.landing_dir / "shop", TOKEN, rate_per_s=None) as base_url:
        first = run_source("shop", settings_, ShopApi(base_url, TOKEN))
        second = run_source("shop", settings_, ShopApi(base_url, TOKEN))
    return settings_, first, second


def test_first_run_loads_every_valid_customer_and_order_once(loaded):
    settings_, first, _ = loaded
    assert query(settings_, "select id from raw_shop.customers order by id") == [(1,), (2,), (3,), (4,), (5,)]
    assert query(settings_, "select id from raw_shop.orders order by id") == [(101,), (102,), (103,)]
    assert first.rows_by_table["customers"] == 5
    assert first.rows_by_table["orders"] == 3


def test_line_items_and_refunds_are_child_tables_that_carry_their_order_id(loaded):
    settings_, _, _ = loaded
    assert query(
        settings_, "select order_id, id, sku, quantity, price from raw_shop.orders__line_items order by id"
    ) == [
        (101, 1001, "SKU-1", 1, "50.00"),
        (101, 1002, "SKU-2", 2, "50.00"),
        (102, 1003, "SKU-1", 1, "50.00"),
    ]
    assert query(settings_, "select order_id, id, amount from raw_shop.orders__refunds") == [
        (102, 5001, "50.00")
    ]


def test_guest_order_has_a_null_customer_id(loaded):
    settings_, _, _ = loaded
    assert query(settings_, "select id, customer__id from raw_shop.orders order by id") == [
        (101, 1),
        (102, None),
        (103, 2),
    ]


EXPECTED_TYPES = {
    ("customers", "id"): "BIGINT",
    ("customers", "email"): "VARCHAR",
    ("customers", "accepts_marketing"): "BOOLEAN",
    ("customers", "created_at"): "TIMESTAMP WITH TIME ZONE",
    ("customers", "updated_at"): "TIMESTAMP WITH TIME ZONE",
    ("customers", "accepts_marketing_updated_at"): "TIMESTAMP WITH TIME ZONE",
    ("customers", "default_address__country_code"): "VARCHAR",
    ("customers__addresses", "country_code"): "VARCHAR",
    ("orders", "id"): "BIGINT",
    ("orders", "customer__id"): "BIGINT",
    ("orders", "total_price"): "VARCHAR",
    ("orders", "billing_address__country_code"): "VARCHAR",
    ("orders", "created_at"): "TIMESTAMP WITH TIME ZONE",
    ("orders", "processed_at"): "TIMESTAMP WITH TIME ZONE",
    ("orders", "cancelled_at"): "TIMESTAMP WITH TIME ZONE",
    ("orders__line_items", "id"): "BIGINT",
    ("orders__line_items", "order_id"): "BIGINT",
    ("orders__line_items", "quantity"): "BIGINT",
    ("orders__line_items", "price"): "VARCHAR",
    ("orders__refunds", "order_id"): "BIGINT",
    ("orders__refunds", "created_at"): "TIMESTAMP WITH TIME ZONE",
    ("orders__refunds", "amount"): "VARCHAR",
    ("orders__refunds", "note"): "VARCHAR",
    ("_quarantine", "raw_payload"): "VARCHAR",
    ("_quarantine", "loaded_at"): "TIMESTAMP WITH TIME ZONE",
    ("_load_stats", "rows_read"): "BIGINT",
}


def test_loaded_columns_have_the_contract_types(loaded):
    settings_, _, _ = loaded
    found = {
        (table, column): data_type
        for table, column, data_type in query(
            settings_,
            "select table_name, column_name, data_type from information_schema.columns"
            " where table_schema = 'raw_shop'",
        )
    }
    assert {key: found.get(key) for key in EXPECTED_TYPES} == EXPECTED_TYPES


def test_quarantine_tables_do_not_take_the_resource_columns(loaded):
    settings_, _, _ = loaded
    columns = query(
        settings_,
        "select column_name from information_schema.columns"
        " where table_schema = 'raw_shop' and table_name = '_quarantine' order by 1",
    )
    assert [c for (c,) in columns if not c.startswith("_dlt")] == sorted(
        ["source", "source_table", "raw_payload", "reason", "file_name", "loaded_at"]
    )


def test_timestamps_with_offsets_are_loaded_as_the_same_instant(loaded):
    settings_, _, _ = loaded
    [(created_at,)] = query(
        settings_,
        "select strftime(created_at at time zone 'UTC', '%Y-%m-%d %H:%M')"
        " from raw_shop.customers where id = 1",
    )
    assert created_at == "2026-01-01 08:00"


def test_malformed_records_are_quarantined_with_their_reason_and_payload(loaded):
    settings_, _, _ = loaded
    rows = query(
        settings_,
        "select source, source_table, reason, raw_payload, file_name"
        " from raw_shop._quarantine order by reason",
    )
    reasons = {(source, table, reason) for source, table, reason, _, _ in rows}
    assert reasons == {
        ("shop", "customers", "missing `id`"),
        ("shop", "customers", "`created_at` is not an ISO 8601 timestamp with an offset: `yesterday`"),
        ("shop", "customers", "`updated_at` is not an ISO 8601 timestamp with an offset: `2026-03-02 13:00`"),
        ("shop", "orders", "`created_at` is not an ISO 8601 timestamp with an offset: `31/02/2026`"),
    }
    payloads = [json.loads(payload) for _, _, _, payload, _ in rows]
    assert BAD_ORDERS[0] in payloads and BAD_CUSTOMERS[1] in payloads
    assert {file_name for *_, file_name in rows} == {None}


def test_second_run_without_changes_loads_no_rows(loaded):
    settings_, _, second = loaded
    assert second.rows_loaded == 0
    assert second.rows_quarantined == 0
    assert query(settings_, "select count(*) from raw_shop.customers") == [(5,)]
    assert query(settings_, "select count(*) from raw_shop.orders__line_items") == [(3,)]


def test_load_stats_balance_and_show_the_lag_window_re_read_as_duplicates(loaded):
    settings_, _, _ = loaded
    stats = query(
        settings_,
        "select source_table, rows_read, rows_loaded, rows_quarantined, rows_duplicate"
        " from raw_shop._load_stats order by loaded_at, source_table",
    )
    assert all(read == ok + bad + dup for _, read, ok, bad, dup in stats)
    assert sorted(stats) == sorted(
        [
            ("customers", 8, 5, 3, 0),
            ("orders", 4, 3, 1, 0),
            # the second run asks for `updated_at >= newest - 1 hour`: only the newest record comes again
            ("customers", 1, 0, 0, 1),
            ("orders", 1, 0, 0, 1),
        ]
    )


@pytest.fixture(scope="module")
def changed(tmp_path_factory):
    """A first run, then changes in the shop, then a second run: (settings, second run)."""
    settings_ = make_settings(tmp_path_factory.mktemp("shop_changed"))
    with serve_shop_api(settings_.landing_dir / "shop", TOKEN, rate_per_s=None) as base_url:
        api = ShopApi(base_url, TOKEN)
        run_source("shop", settings_, api)  # newest customer: 2026-03-05T10:00Z
        updated = customer(3, "2026-03-06T10:00:00Z", email="new@example.com")
        # committed late: earlier than the newest customer already read, but inside the lag window
        late = customer(2, "2026-03-05T09:30:00Z", email="late@example.com")
        customers = [updated, late, *(c for c in GOOD_CUSTOMERS if c["id"] not in (2, 3)), *BAD_CUSTOMERS]
        write_jsonl(settings_.landing_dir / "shop" / "customers.jsonl", customers)
        refund = {
            "id": 5002,
            "order_id": 101,
            "created_at": "2026-03-06T12:00:00Z",
            "amount": "5.00",
            "note": "x",
        }
        refunded = {**GOOD_ORDERS[0], "updated_at": "2026-03-06T12:00:00Z", "refunds": [refund]}
        write_jsonl(
            settings_.landing_dir / "shop" / "orders.jsonl", [refunded, *GOOD_ORDERS[1:], *BAD_ORDERS]
        )
        second = run_source("shop", settings_, api)
    return settings_, second


def test_changed_records_are_the_only_rows_loaded_by_the_next_run(changed):
    _, second = changed
    assert {t: n for t, n in second.rows_by_table.items() if not t.startswith("_")} == {
        "customers": 2,
        "customers__addresses": 2,
        "orders": 1,
        "orders__line_items": 2,
        "orders__refunds": 1,
    }


def test_updated_customer_is_merged_not_duplicated(changed):
    settings_, _ = changed
    assert query(settings_, "select count(*), count(distinct id) from raw_shop.customers") == [(5, 5)]
    assert query(settings_, "select email from raw_shop.customers where id = 3") == [("new@example.com",)]


def test_late_update_inside_the_lag_window_is_loaded(changed):
    settings_, _ = changed
    assert query(settings_, "select email from raw_shop.customers where id = 2") == [("late@example.com",)]


def test_order_whose_refund_was_added_replaces_its_child_rows(changed):
    settings_, _ = changed
    assert query(
        settings_, "select order_id, count(*) from raw_shop.orders__line_items group by 1 order by 1"
    ) == [
        (101, 2),
        (102, 1),
    ]
    assert query(settings_, "select order_id, id from raw_shop.orders__refunds order by id") == [
        (102, 5001),
        (101, 5002),
    ]


def test_wrong_access_token_fails_with_an_ingestion_error_naming_the_401(tmp_path):
    settings_ = make_settings(tmp_path)
    with (
        serve_shop_api(settings_.landing_dir / "shop", TOKEN, rate_per_s=None) as base_url,
        pytest.raises(IngestionError, match="refused the access token \\(401"),
    ):
        run_source("shop", settings_, ShopApi(base_url, "wrong-token"))


def test_rate_limited_requests_are_retried_after_retry_after(tmp_path, monkeypatch):
    settings_ = make_settings(tmp_path)
    monkeypatch.setattr(settings, "PAGE_SIZE", 2)  # 6 pages, against a burst of 2
    waits = []
    monkeypatch.setattr(helpers, "_sleep", lambda seconds: (waits.append(seconds), time.sleep(seconds)))
    with serve_shop_api(settings_.landing_dir / "shop", TOKEN, rate_per_s=20, burst=2) as base_url:
        run = run_source("shop", settings_, ShopApi(base_url, TOKEN))
    assert waits and all(0 < wait <= 0.1 for wait in waits)
    assert run.rows_by_table["customers"] == 5
    assert run.rows_by_table["orders"] == 3


def test_rate_limit_that_never_lifts_fails_after_bounded_retries(tmp_path, monkeypatch):
    settings_ = make_settings(tmp_path)
    monkeypatch.setattr(settings, "MAX_ATTEMPTS", 3)
    waits = []
    monkeypatch.setattr(helpers, "_sleep", waits.append)
    with (
        serve_shop_api(settings_.landing_dir / "shop", TOKEN, rate_per_s=0.001, burst=1) as base_url,
        pytest.raises(IngestionError, match="429 after 3 attempts"),
    ):
        run_source("shop", settings_, ShopApi(base_url, TOKEN))
    assert len(waits) == 2
    assert all(wait == settings.MAX_RETRY_WAIT_S for wait in waits)  # Retry-After of ~1000 s, capped


def test_base_url_may_already_end_with_the_api_path():
    assert (
        helpers.api_root("https://shop.example/admin/api/2024-01/")
        == "https://shop.example/admin/api/2024-01"
    )
    assert helpers.api_root("https://shop.example") == "https://shop.example/admin/api/2024-01"


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ("not an object", "not a JSON object"),
        ({**GOOD_ORDERS[0], "id": None}, "missing `id`"),
        ({**GOOD_ORDERS[0], "id": "101"}, "`id` is not an integer: `101`"),
        ({**GOOD_ORDERS[0], "updated_at": None}, "missing `updated_at`"),
        (
            {**GOOD_ORDERS[0], "created_at": "2026-03-01T12:00:00"},
            "`created_at` is not an ISO 8601 timestamp",
        ),
        ({**GOOD_ORDERS[0], "cancelled_at": "never"}, "`cancelled_at` is not an ISO 8601 timestamp"),
        (
            {**GOOD_ORDERS[1], "refunds": [{"id": 1, "created_at": "tomorrow"}]},
            "`refunds[0].created_at` is not an ISO 8601 timestamp",
        ),
    ],
    ids=[
        "not-object",
        "no-id",
        "text-id",
        "no-updated-at",
        "naive-created-at",
        "bad-cancelled-at",
        "bad-refund-date",
    ],
)
def test_order_that_breaks_the_contract_is_refused_with_a_reason(record, reason):
    clean, found = helpers.prepare_order(record)
    assert clean is None
    assert found.startswith(reason)


def test_valid_order_gets_parsed_timestamps_and_order_ids_on_its_children():
    clean, reason = helpers.prepare_order(GOOD_ORDERS[1])
    assert reason is None
    assert clean["updated_at"].isoformat() == "2026-03-02T12:00:00+00:00"
    assert [item["order_id"] for item in clean["line_items"]] == [102]
    assert clean["refunds"][0]["created_at"].isoformat() == "2026-03-03T08:00:00+00:00"
    assert "customer" not in clean  # a guest checkout's null customer is dropped; customer__id stays null
    assert GOOD_ORDERS[1]["line_items"][0].get("order_id") is None  # the input is not changed
