"""The catalog source over a hand-made catalogue export: what lands in `raw_catalog.products`."""

import json

import pytest


def product(sku: str | None, amount: str = "59.95", **fields) -> dict:
    base = {
        "sku": sku,
        "name": f"Product {sku}",
        "category": "shoes",
        "brand": "Stride",
        "price": {"amount": amount, "currency": "EUR"},
        "stock": 12,
        "is_active": True,
        "updated_at": "2026-03-01T00:00:00Z",
    }
    return {**base, **fields}


CATALOGUE_V1 = json.dumps(
    [
        product("SKU-1"),
        product("SKU-2", "120.00", is_active=False, stock=0),
        product(None),  # no sku
        product("SKU-3", stock="plenty"),
        product("SKU-1"),  # listed twice
    ]
)
CATALOGUE_V2 = json.dumps(
    [product("SKU-1", "49.95"), product("SKU-2", "120.00", is_active=False, stock=0), product("SKU-4")]
)


@pytest.fixture(scope="module")
def steps(load_in_steps):
    return load_in_steps("catalog", [{"products.json": CATALOGUE_V1}, {}, {"products.json": CATALOGUE_V2}])


@pytest.fixture(scope="module")
def first(steps):
    return steps[0]


def test_products_load_one_row_per_sku(first):
    assert sorted(first.by_key("products", "sku")) == ["SKU-1", "SKU-2"]


def test_price_is_flattened_and_the_amount_stays_the_exported_decimal_string(first):
    sku2 = first.by_key("products", "sku")["SKU-2"]
    assert (sku2["price__amount"], sku2["price__currency"]) == ("120.00", "EUR")
    assert (sku2["is_active"], sku2["stock"]) == (False, 0)


def test_loaded_columns_have_the_contract_types(first):
    types = first.types["products"]
    assert types["price__amount"] == types["sku"] == "VARCHAR"
    assert types["stock"] == "BIGINT"
    assert types["is_active"] == "BOOLEAN"
    assert types["updated_at"] == "TIMESTAMP WITH TIME ZONE"


def test_product_without_sku_or_with_unparsable_stock_is_quarantined(first):
    assert sorted(row["reason"] for row in first.quarantine("products")) == [
        "missing key `sku`",
        "unparsable integer `stock`: `plenty`",
    ]


def test_load_stats_balance(first):
    stats = first.stats("products")
    assert (stats["rows_read"], stats["rows_loaded"], stats["rows_quarantined"], stats["rows_duplicate"]) == (
        5,
        2,
        2,
        1,
    )


def test_unchanged_catalogue_is_not_read_again(steps):
    assert steps[1].run.rows_loaded == 0


def test_rewritten_catalogue_is_read_again_and_merged(steps):
    third = steps[2]
    assert third.run.rows_by_table["products"] == 3
    products = third.by_key("products", "sku")
    assert sorted(products) == ["SKU-1", "SKU-2", "SKU-4"]
    assert products["SKU-1"]["price__amount"] == "49.95"
