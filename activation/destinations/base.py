"""The one small interface every destination implements; destinations never import each other."""

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from activation.errors import PermanentError, RetryableError
from activation.resilience import RetryPolicy, Sleep, call_with_retries

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


@dataclass(frozen=True)
class ErasureSubject:
    """One person to erase: every identifier the CDP holds for them (emails as held, phones in E.164)."""

    customer_ids: tuple[str, ...]
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()


# Outcomes of one erasure: `done` (the destination confirmed the delete), `not_found` (it holds nobody by
# those identifiers: nothing to erase), `failed` (refused, or still unavailable after the bounded retries:
# try again later), `unsupported` (the destination has no erasure call).
ERASURE_STATUSES = ("done", "not_found", "failed", "unsupported")


@dataclass
class ErasureResult:
    destination: str  # the sync's name (or the destination's name, from `Erasable.erase` itself)
    status: str  # one of ERASURE_STATUSES
    attempts: int  # requests sent, retries included
    detail: str  # counts and HTTP statuses only: never an identifier, in clear or hashed


# Erasure is one request per identifier rather than a batch of thousands: bound the 429 waits as tightly
# as the failures, so a throttled destination reports `failed` (to retry later) instead of hanging.
ERASURE_POLICY = RetryPolicy(max_attempts=5, base_delay_s=0.5, max_delay_s=30.0, max_rate_limit_waits=5)


@runtime_checkable
class Erasable(Protocol):
    """A destination that can delete one person for good (issue 6, right to erasure). Destinations without
    such a call (files, postgres, webhook) simply lack the method; `activation.destinations.ERASABLE` lists
    the ones that have it, so that a sync can be judged without building its destination."""

    name: str
    erasure_scope: str  # destinations with the same scope hold the same people: erase there once

    def erase(
        self, subject: ErasureSubject, *, sleep: Sleep = time.sleep, policy: RetryPolicy = ERASURE_POLICY
    ) -> ErasureResult: ...


def call_for_erasure(
    call: Callable[[], Any], policy: RetryPolicy, sleep: Sleep, attempts: list[int]
) -> tuple[Any, str | None]:
    """Run one erasure request with the engine's retry rules; returns (answer, None) or (None, error).
    `attempts[0]` counts every request sent. Errors never raise: one identifier failing must not stop
    the others (their outcome is still worth recording)."""

    def counted() -> Any:
        attempts[0] += 1
        return call()

    try:
        return call_with_retries(counted, policy, None, sleep, random.Random()), None
    except PermanentError as exc:
        return None, f"refused: {exc}"
    except RetryableError as exc:
        return None, f"unavailable: {exc}"


def summarise_erasure(destination: str, outcomes: list[str], errors: list[str], attempts: int) -> ErasureResult:
    """Fold per-identifier outcomes (`done` / `not_found`) and errors into one result: failed if any
    identifier failed, done if any was erased, else not_found (including a subject with no identifier
    this destination matches on)."""
    done, missing = outcomes.count("done"), outcomes.count("not_found")
    parts = [f"{done} erased", f"{missing} not found"] + ([f"{len(errors)} failed ({errors[-1]})"] if errors else [])
    detail = ", ".join(parts) if outcomes or errors else "no identifier this destination matches on"
    status = "failed" if errors else "done" if done else "not_found"
    return ErasureResult(destination, status, attempts, detail[:300])


def json_default(value: Any) -> Any:
    """JSON for warehouse values: decimals as strings (exact money), timestamps and dates in ISO 8601."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
