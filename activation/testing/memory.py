"""An in-memory destination for tests and benchmarks: a dict of key -> fields, with faults that can be
queued per `send` call:

- `retryable`: fails before applying (like a 500 or a dropped connection)
- `rate_limited`: a 429 with Retry-After
- `applied_then_timeout`: applies the batch, then the answer is lost (a timeout after the write)
- `crash_after_apply`: applies, then the process dies before the engine records the acknowledgement
- `reject_rows:<n>`: applies all but the first n rows of the batch, which come back as row errors
"""

from collections import deque
from typing import Any

from activation.destinations.base import Batch, BatchResult, DestinationBase
from activation.errors import RateLimitedError, RetryableError


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the engine catches it."""


class MemoryDestination(DestinationBase):
    name = "memory"

    def __init__(self, max_batch_size: int = 10, account: str = "memory") -> None:
        self.max_batch_size = max_batch_size
        self.rate_limit_key = account
        self.rows: dict[str, dict[str, Any] | None] = {}
        self.archived: set[str] = set()
        self.faults: deque[str] = deque()
        self.sends: list[Batch] = []
        self.applied_keys: set[str] = set()  # idempotency keys applied, to drop a resent batch
        self.down = False

    def send(self, batch: Batch) -> BatchResult:
        self.sends.append(batch)
        fault = self.faults.popleft() if self.faults else None
        if self.down or fault == "retryable":
            raise RetryableError("HTTP 503")
        if fault == "rate_limited":
            raise RateLimitedError("HTTP 429", retry_after_s=1.0)
        rejected = int(fault.split(":")[1]) if fault and fault.startswith("reject_rows:") else 0
        failed = {r.key: "invalid value" for r in batch.records[:rejected]}
        if batch.idempotency_key not in self.applied_keys:
            for record in batch.records:
                if record.key in failed:
                    continue
                if batch.operation in ("delete", "remove"):
                    self.rows.pop(record.key, None)
                elif batch.operation == "archive":
                    self.archived.add(record.key)
                elif batch.operation == "insert" and record.key in self.rows:
                    continue
                elif batch.operation == "update" and record.key not in self.rows:
                    continue
                else:
                    self.rows[record.key] = dict(record.fields or {})
                    self.archived.discard(record.key)
            if not failed:
                self.applied_keys.add(batch.idempotency_key)
        if fault == "applied_then_timeout":
            raise RetryableError("read timeout")
        if fault == "crash_after_apply":
            raise Crash()
        return BatchResult(failed=failed)
