"""Constants of the shop source: endpoints, paging, retries, the lag window and column hints."""

from typing import Any

API_PREFIX = "/admin/api/2024-01"
ACCESS_TOKEN_HEADER = "X-Shop-Access-Token"
ENDPOINTS = {"customers": "customers.json", "orders": "orders.json"}

PAGE_SIZE = 250  # the API's maximum: fewer requests against the 2 requests/second limit

# The first run is a full export (no `updated_at_min`), as a platform's initial sync is.
INITIAL_UPDATED_AT = None
# Records may be committed with an `updated_at` earlier than one already read (clock skew, slow
# transactions), so each run re-reads the last hour; re-read records already loaded are dropped.
LAG_SECONDS = 3600

REQUEST_TIMEOUT_S = 30
MAX_ATTEMPTS = 6  # per request, for 429, 5xx and connection errors
MAX_RETRY_WAIT_S = 60.0
BACKOFF_BASE_S = 0.5

# Timestamps parsed to aware datetimes so they land as `timestamp with time zone`; a record whose
# timestamp cannot be parsed is quarantined. The required ones must be present.
REQUIRED_TIMESTAMPS = ("created_at", "updated_at")
CUSTOMER_TIMESTAMPS = ("created_at", "updated_at", "accepts_marketing_updated_at")
ORDER_TIMESTAMPS = ("created_at", "updated_at", "processed_at", "cancelled_at")
REFUND_TIMESTAMPS = ("created_at",)


# Nested objects that may be null (guest checkout, no address); a null is dropped so that dlt does not
# keep an untyped `customer` column next to the flattened `customer__id`.
NULLABLE_OBJECTS = {"customers": ("default_address",), "orders": ("customer", "billing_address")}


def _columns(types: dict[str, str]) -> dict[str, Any]:
    return {
        name: {"name": name, "data_type": data_type, "nullable": True} for name, data_type in types.items()
    }


def _record_columns(types: dict[str, str]) -> dict[str, Any]:
    columns = _columns(types)
    columns["id"]["nullable"] = False
    columns["updated_at"]["dedup_sort"] = "desc"
    return columns


def _timestamps(*names: str) -> dict[str, str]:
    return {name: "timestamp" for name in names}


_ADDRESS_FIELDS = ("address1", "city", "zip", "country_code", "phone")


def _address(prefix: str) -> dict[str, str]:
    return {f"{prefix}__{field}": "text" for field in _ADDRESS_FIELDS}


# Declared so that every contract column exists with its type even when a run only has nulls in it.
# Timestamps are tz-aware (`timestamp with time zone`); `updated_at` decides which version wins when
# one load holds two versions of a record.
CUSTOMER_COLUMNS: dict[str, Any] = _record_columns(
    {
        "id": "bigint",
        "email": "text",
        "phone": "text",
        "first_name": "text",
        "last_name": "text",
        "accepts_marketing": "bool",
        "currency": "text",
        "tags": "text",
        "state": "text",
        **_timestamps("created_at", "updated_at", "accepts_marketing_updated_at"),
        **_address("default_address"),
    }
)
ORDER_COLUMNS: dict[str, Any] = _record_columns(
    {
        "id": "bigint",
        "order_number": "bigint",
        "email": "text",
        "phone": "text",
        "customer__id": "bigint",
        "currency": "text",
        # decimal strings stay text in raw; staging casts them
        "total_price": "text",
        "subtotal_price": "text",
        "total_tax": "text",
        "total_discounts": "text",
        "financial_status": "text",
        "source_name": "text",
        **_timestamps("created_at", "updated_at", "processed_at", "cancelled_at"),
        **_address("billing_address"),
    }
)
ORDER_NESTED_HINTS: dict[str, Any] = {
    "line_items": {
        "columns": _columns(
            {
                "id": "bigint",
                "order_id": "bigint",
                "sku": "text",
                "title": "text",
                "quantity": "bigint",
                "price": "text",
            }
        )
    },
    "refunds": {
        "columns": _columns(
            {
                "id": "bigint",
                "order_id": "bigint",
                "created_at": "timestamp",
                "amount": "text",
                "note": "text",
            }
        )
    },
}
