"""The one small interface every destination implements; destinations never import each other."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

# Operations a batch can carry, after the sync's mode turned planned inserts/updates/deletes into actions.
OPERATIONS = ("upsert", "insert", "update", "delete", "archive", "clear", "add", "remove")


@dataclass(frozen=True)
class Record:
    """One row to act on. `fields` are the mapped destination fields (None for a delete whose customer is
    gone from the warehouse); `external_id` is what the destination keyed it by when it acknowledged it
    (e.g. a hashed email), kept in state so that removals work without the original values."""

    key: str
    fields: dict[str, Any] | None
    external_id: str | None = None


@dataclass(frozen=True)
class Batch:
    sync_name: str
    operation: str
    records: list[Record]
    idempotency_key: str  # stable across retries and re-plans of the same content
    run_id: str = ""


@dataclass
class BatchResult:
    """Per-row outcome: rows in `failed` were not applied (error text without values); every other row
    was. `external_ids` gives the destination's id of rows it keys by something derived from the fields."""

    failed: dict[str, str] = field(default_factory=dict)
    external_ids: dict[str, str] = field(default_factory=dict)


class Destination(Protocol):
    name: str
    max_batch_size: int
    rate_limit_key: str  # syncs to the same account share one rate limiter and one circuit breaker
    wants_snapshot: bool

    def external_id(self, fields: dict[str, Any]) -> str | None: ...

    def send(self, batch: Batch) -> BatchResult:
        """Apply the batch; raise RetryableError / RateLimitedError / PermanentError for the whole batch."""
        ...

    def write_snapshot(self, sync_name: str, rows: Iterable[dict[str, Any]]) -> None: ...

    def close(self) -> None: ...


class DestinationBase:
    """Defaults for the optional parts of the interface."""

    name = "destination"
    max_batch_size = 1000
    rate_limit_key = "default"
    wants_snapshot = False

    def external_id(self, fields: dict[str, Any]) -> str | None:
        return None

    def write_snapshot(self, sync_name: str, rows: Iterable[dict[str, Any]]) -> None:  # pragma: no cover
        return None

    def close(self) -> None:
        return None


def json_default(value: Any) -> Any:
    """JSON for warehouse values: decimals as strings (exact money), timestamps and dates in ISO 8601."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
