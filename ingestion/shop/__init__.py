"""Webshop customers and orders from the (Shopify-like) shop API into `raw_shop`."""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import dlt

from ingestion.shop import helpers, settings


@dlt.source(name="shop")
def shop_source(base_url: str = dlt.config.value, access_token: str = dlt.secrets.value) -> Any:
    """Customers and orders changed since the last run, read page by page from the shop API."""
    return customers(base_url, access_token), orders(base_url, access_token)


@dlt.resource(
    name="customers",
    primary_key="id",
    write_disposition="merge",
    file_format="jsonl",
    columns=settings.CUSTOMER_COLUMNS,
)
def customers(
    base_url: str,
    access_token: str,
    updated_at: dlt.sources.incremental[datetime] = dlt.sources.incremental(  # noqa: B008 (dlt's idiom)
        "updated_at", initial_value=settings.INITIAL_UPDATED_AT, lag=settings.LAG_SECONDS
    ),
) -> Iterator[Any]:
    """Merge: a customer is one record that changes (address, marketing consent), keyed by `id`."""
    yield from helpers.read_changed_records(
        base_url, access_token, "customers", updated_at, helpers.prepare_customer
    )


@dlt.resource(
    name="orders",
    primary_key="id",
    write_disposition="merge",
    file_format="jsonl",
    columns=settings.ORDER_COLUMNS,
    nested_hints=settings.ORDER_NESTED_HINTS,
)
def orders(
    base_url: str,
    access_token: str,
    updated_at: dlt.sources.incremental[datetime] = dlt.sources.incremental(  # noqa: B008 (dlt's idiom)
        "updated_at", initial_value=settings.INITIAL_UPDATED_AT, lag=settings.LAG_SECONDS
    ),
) -> Iterator[Any]:
    """Merge: an order changes after checkout (payment, cancellation, refunds), keyed by `id`.

    Line items and refunds become the child tables `orders__line_items` and `orders__refunds`,
    replaced with their order on every merge.
    """
    yield from helpers.read_changed_records(
        base_url, access_token, "orders", updated_at, helpers.prepare_order
    )
