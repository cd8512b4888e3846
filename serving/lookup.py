"""Reading the serving store: an identifier of any type -> customer id -> the stored JSON documents."""

import json
import re
import sqlite3
import time
from typing import Any

from serving.store import DOCUMENT_TABLES

# Types the identity graph resolves (seed identifier_types) plus the customer id itself.
IDENTIFIER_TYPES = (
    "customer_id",
    "user_id",
    "email",
    "phone",
    "loyalty_card",
    "anonymous_id",
    "crm_contact_id",
    "esp_subscriber_id",
    "device_id",
)
_NON_DIGITS = re.compile(r"[^0-9]")


def normalize_identifier(identifier_type: str, value: str) -> str:
    """The value as the store keys it, mirroring macros/normalize: an email trimmed and lower-cased; a
    phone as the digits of its E.164 form (`+31 6-1234 5678` and `0031612345678` both give
    `31612345678`). A national phone without its country code (`06 ...`) cannot be resolved this way."""
    value = value.strip()
    if identifier_type == "email":
        return value.lower()
    if identifier_type == "phone":
        digits = _NON_DIGITS.sub("", value)
        return digits[2:] if not value.startswith("+") and digits.startswith("00") else digits
    return value


def resolve(conn: sqlite3.Connection, identifier_type: str, value: str) -> str | None:
    """The customer id `identifier_type:value` belongs to, or None when the store has no such customer."""
    if identifier_type == "customer_id":
        row = conn.execute("select customer_id from profiles where customer_id = ?", [value.strip()]).fetchone()
    else:
        row = conn.execute(
            "select customer_id from identifiers where identifier_type = ? and lookup_value = ?",
            [identifier_type, normalize_identifier(identifier_type, value)],
        ).fetchone()
    return row[0] if row else None


def document_text(conn: sqlite3.Connection, table: str, customer_id: str) -> str | None:
    """The stored JSON text of one customer's document (not parsed: the API can send it as it is)."""
    if table not in DOCUMENT_TABLES:
        raise ValueError(f"Unknown document table `{table}`; valid: {', '.join(DOCUMENT_TABLES)}")
    row = conn.execute(f"select body from {table} where customer_id = ?", [customer_id]).fetchone()
    return row[0] if row else None


def document(conn: sqlite3.Connection, table: str, customer_id: str, default: Any = None) -> Any:
    text = document_text(conn, table, customer_id)
    return json.loads(text) if text is not None else default


def last_publish(conn: sqlite3.Connection) -> dict[str, Any] | None:
    row = conn.execute("select published_at, traits_as_of from publish_log order by rowid desc limit 1").fetchone()
    return {"published_at": row[0], "traits_as_of": row[1]} if row else None


ONSITE_PER_VISITOR = 5


def onsite_content(conn: sqlite3.Connection, customer_id: str) -> list[str]:
    """Content ids automation flows put on the site for this customer (`automation/channels/onsite.py`),
    newest first, while fresh; none before a flow has written any."""
    try:
        rows = conn.execute(
            "select content_id from onsite_messages where customer_id = ? and expires_at > ?"
            " order by created_at desc limit ?",
            [customer_id, time.time(), ONSITE_PER_VISITOR],
        ).fetchall()
    except sqlite3.OperationalError:  # no flow has sent on-site yet: the table does not exist
        return []
    return [content_id for (content_id,) in rows]
