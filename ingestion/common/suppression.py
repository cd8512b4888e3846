"""Suppressed people's new records are dropped at ingestion, and counted.

`privacy.suppressions` in the warehouse holds keyed hashes of every identifier of every suppressed
person (see `cdp.privacy.hashing`). Before a source runs, `add_suppression_steps` puts one step on each
resource that hashes the identifier columns of every row it yields and drops a row when any of them is
on the list, and a refused record on its way to `_quarantine` when any value in it does. The table's
`_load_stats` row, which the resource yields after its data, is corrected on its way through: the
dropped rows move from `rows_loaded` (or `rows_quarantined`) to `rows_suppressed`, so that
rows_read = rows_loaded + rows_quarantined + rows_duplicate + rows_suppressed still holds.

Rows come as Arrow tables (file sources, the POS database) or as dicts (the shop API); a dict's nested
field is named as dlt flattens it (`customer__id` is `record["customer"]["id"]`).
"""

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from dlt.extract.items_transform import ItemTransform

from cdp.privacy.hashing import Hasher
from ingestion.common.quarantine import LOAD_STATS_TABLE, QUARANTINE_TABLE

# (source, resource) -> {raw column: identifier type}. Catalogue products and stores hold no person.
IDENTIFIER_COLUMNS: dict[tuple[str, str], dict[str, str]] = {
    ("shop", "customers"): {
        "id": "user_id",
        "email": "email",
        "phone": "phone",
        "default_address__phone": "phone",
    },
    ("shop", "orders"): {"customer__id": "user_id", "email": "email", "phone": "phone"},
    ("web", "events"): {
        "user_id": "user_id",
        "anonymous_id": "anonymous_id",
        "previous_id": "anonymous_id",
        "context_device_id": "device_id",
        "traits_email": "email",
        "traits_phone": "phone",
    },
    ("pos", "receipts"): {"loyalty_card_number": "loyalty_card", "ereceipt_email": "email"},
    ("crm", "contacts"): {
        "contact_id": "crm_contact_id",
        "email": "email",
        "secondary_email": "email",
        "phone": "phone",
        "mobile_phone": "phone",
    },
    ("esp", "subscribers"): {"subscriber_id": "esp_subscriber_id", "email": "email"},
    ("esp", "events"): {"subscriber_id": "esp_subscriber_id", "email": "email"},
    ("support", "tickets"): {"requester__email": "email", "requester__phone": "phone"},
    ("loyalty", "members"): {"card_number": "loyalty_card", "email": "email", "phone": "phone"},
    ("social", "leads"): {"email": "email", "phone_number": "phone"},
}


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif value is not None:
        yield str(value)


def _field(record: dict[str, Any], column: str) -> Any:
    if column in record:
        return record[column]
    value: Any = record
    for part in column.split("__"):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


class SuppressionStep(ItemTransform[Any, dict[str, Any]]):
    """Drops the rows of one resource whose identifiers are on the suppression list."""

    def __init__(self, table: str, columns: dict[str, str], hasher: Hasher, suppressed: set[str]) -> None:
        super().__init__(lambda item: item)
        self.table = table
        self.columns = columns
        self.hasher = hasher
        self.suppressed = suppressed
        self.dropped: Counter[str] = Counter()
        self.dropped_quarantined: Counter[str] = Counter()
        self.types = sorted(set(columns.values()))

    def _is_suppressed(self, identifier_type: str, value: Any) -> bool:
        return any(h in self.suppressed for h in self.hasher.hashes(identifier_type, value))

    def _keep_record(self, record: dict[str, Any]) -> bool:
        return not any(self._is_suppressed(t, _field(record, c)) for c, t in self.columns.items())

    def _payload_suppressed(self, payload: str | None) -> bool:
        """A refused record is the person's when any value in it hashes onto the list as one of the
        resource's identifier types (the payload is JSON; CSV rows come as JSON objects too)."""
        if not payload:
            return False
        try:
            values = list(_leaves(json.loads(payload)))
        except ValueError:
            values = payload.replace('"', " ").replace(",", " ").split()
        return any(self._is_suppressed(t, v) for v in values for t in self.types)

    def _filter_quarantine(self, table: pa.Table) -> pa.Table | None:
        if "raw_payload" not in table.column_names:
            return table
        keep = [not self._payload_suppressed(p) for p in table.column("raw_payload").to_pylist()]
        kept = table.filter(pa.array(keep, pa.bool_()))
        self.dropped_quarantined[self.table] += table.num_rows - kept.num_rows
        return kept if kept.num_rows else None

    def _filter_arrow(self, table: pa.Table) -> pa.Table:
        drop = None
        for column, identifier_type in self.columns.items():
            if column not in table.column_names:
                continue
            values = table.column(column).cast(pa.string()).to_pylist()
            hits = pa.array([self._is_suppressed(identifier_type, v) for v in values], pa.bool_())
            drop = hits if drop is None else pc.or_(drop, hits)
        if drop is None:
            return table
        return table.filter(pc.invert(drop))

    def _correct_stats(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for row in rows:
            dropped = self.dropped.pop(row.get("source_table"), 0)
            refused = self.dropped_quarantined.pop(row.get("source_table"), 0)
            row["rows_loaded"] = row.get("rows_loaded", 0) - dropped
            row["rows_quarantined"] = row.get("rows_quarantined", 0) - refused
            row["rows_suppressed"] = dropped + refused
        return rows

    def __call__(self, item: Any, meta: Any = None) -> Any:
        hints = getattr(meta, "hints", None) or {}
        table_name = hints.get("table_name") if isinstance(hints, dict) else None
        if table_name == LOAD_STATS_TABLE:
            return self._correct_stats(item if isinstance(item, list) else [item])
        if table_name == QUARANTINE_TABLE and isinstance(item, pa.Table):
            return self._filter_quarantine(item)
        if table_name is not None and table_name != self.table:
            return item
        if isinstance(item, pa.Table):
            kept = self._filter_arrow(item)
            self.dropped[self.table] += item.num_rows - kept.num_rows
            return kept if kept.num_rows else None
        if isinstance(item, dict):
            item = [item]
        if isinstance(item, list):
            kept_rows = [record for record in item if self._keep_record(record)]
            self.dropped[self.table] += len(item) - len(kept_rows)
            return kept_rows or None
        return item


def add_suppression_steps(source: Any, source_name: str, hasher: Hasher, suppressed: set[str]) -> Any:
    """Put a `SuppressionStep` on every resource of `source` that carries identifiers."""
    for name, resource in source.resources.items():
        columns = IDENTIFIER_COLUMNS.get((source_name, name))
        if columns:
            resource.add_step(SuppressionStep(name, columns, hasher, suppressed))
    return source
