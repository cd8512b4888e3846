"""Run one sync: plan, guard, batch, send with retries, and record what the destination acknowledged.

State changes only for acknowledged rows, one transaction per batch, right after the destination
answered: a crash between a send and its acknowledgement loses nothing and resends at most that batch
(with the same idempotency key, which destinations that accept one use to drop the duplicate).
"""

import hashlib
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb

from activation import state
from activation.destinations.base import Batch, Destination, Record
from activation.errors import PermanentError, RetryableError
from activation.planner import Change, Plan, plan_sync
from activation.resilience import CircuitBreaker, RateLimiter, RetryPolicy, call_with_retries
from activation.syncs import Sync
from cdp.privacy.hashing import Hasher, hasher_for

log = logging.getLogger(__name__)

SUCCESS, INCOMPLETE, ABORTED, SKIPPED, DRY_RUN = "success", "incomplete", "aborted", "skipped", "dry_run"
DELETE_ACTIONS = {"delete", "archive", "clear", "remove"}


@contextmanager
def _transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    conn.begin()
    try:
        yield
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


def action_for(sync: Sync, change: str) -> str | None:
    """What the destination is asked to do for a planned insert/update/delete under the sync's mode;
    None: nothing to send (the state still moves on, so the row is not planned again)."""
    mode = sync.mode
    if change == "delete":
        if mode == "mirror":
            return None if sync.delete_behaviour == "none" else sync.delete_behaviour
        # replace keeps the list equal to the model, which the diff does with adds and removes
        return "remove" if mode in ("add_remove", "replace") else None
    if mode in ("upsert", "mirror"):
        return "upsert"
    if mode == "update_only":
        return "update"
    if mode == "insert_only":
        return "insert" if change == "insert" else None
    return "add"  # add_only, add_remove, replace: an updated row is added again with its new identifiers


def idempotency_key(sync_name: str, action: str, changes: list[Change]) -> str:
    """Stable across retries and across runs that re-plan the same content; different when the same
    content comes again after it was acknowledged (each row's state version is part of it)."""
    digest = hashlib.sha256(f"{sync_name}|{action}".encode())
    for change in changes:
        digest.update(f"|{change.key}={change.row_hash or 'deleted'}@{change.version}".encode())
    return digest.hexdigest()[:32]


def _settled(change: Change, deleted: bool, external_id: str | None = None) -> state.StateRow:
    """The state row of a change the destination acknowledged (or that the mode does not send)."""
    if deleted:
        return (change.key, state.DELETED, None, None, change.version + 1)
    return (change.key, change.row_hash, change.field_hashes, external_id or change.external_id, change.version + 1)


@dataclass
class SyncRunResult:
    sync_name: str
    run_id: str
    status: str
    planned_inserts: int = 0
    planned_updates: int = 0
    planned_deletes: int = 0
    rows_acked: int = 0
    rows_failed: int = 0
    rows_not_sent: int = 0
    batches_sent: int = 0
    message: str = ""
    rows_suppressed: int = 0  # records the sender refused: their person is on the suppression list
    field_changes: dict[str, int] = field(default_factory=dict)  # dry run: field -> rows where it changes
    sample_changes: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (key, change, fields)


@dataclass
class RunContext:
    """What syncs of one `cdp activate` share: limiters and breakers per destination account."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    limiters: dict[str, RateLimiter] = field(default_factory=dict)
    breakers: dict[str, CircuitBreaker] = field(default_factory=dict)
    breaker_threshold: int = 2
    breaker_cooldown_s: float = 300.0
    relations: dict[str, str] = field(default_factory=dict)  # consent_relation / memberships_relation

    def limiter_for(self, destination: Destination, rate_per_s: float | None, burst: int = 1) -> RateLimiter | None:
        if not rate_per_s:
            return self.limiters.get(destination.rate_limit_key)
        return self.limiters.setdefault(destination.rate_limit_key, RateLimiter(rate_per_s, burst))

    def breaker_for(self, destination: Destination) -> CircuitBreaker:
        return self.breakers.setdefault(
            destination.rate_limit_key, CircuitBreaker(self.breaker_threshold, self.breaker_cooldown_s)
        )


class SuppressionGuard:
    """The sender's own check of the suppression list (privacy requests): a record whose key or any field
    value (as customer id, email or phone) hashes onto the list is not sent. dbt already leaves suppressed
    people out of the models; this catches a model that does not, and a list changed since the build."""

    def __init__(self, hasher: Hasher, suppressed: set[str]) -> None:
        self.hasher = hasher
        self.suppressed = suppressed

    @classmethod
    def for_connection(cls, conn: duckdb.DuckDBPyConnection) -> "SuppressionGuard | None":
        from cdp.privacy.store import suppressed_hashes

        suppressed = suppressed_hashes(conn)
        if not suppressed:
            return None
        (path,) = conn.execute(
            "select path from duckdb_databases() where database_name = current_database()"
        ).fetchone()
        return cls(hasher_for(path), suppressed)

    def blocks(self, change: Change) -> bool:
        values = [("customer_id", change.key)]
        values += [(t, v) for v in (change.fields or {}).values() if isinstance(v, str) for t in ("email", "phone")]
        return any(h in self.suppressed for t, v in values for h in self.hasher.hashes(t, v))


def _guard(sync: Sync, plan: Plan, deletes_to_send: int) -> str | None:
    if plan.included_rows == 0 and plan.state_rows > 0:
        return (
            f"model `{sync.relation}` has no rows to send while the destination holds {plan.state_rows:,};"
            " refusing to empty it (use --force)"
        )
    if plan.state_rows and deletes_to_send > sync.max_delete_share * plan.state_rows:
        return (
            f"{deletes_to_send:,} deletes are more than {sync.max_delete_share:.0%} of the {plan.state_rows:,}"
            " rows the destination holds (use --force)"
        )
    return None


def _summarise_dry_run(sync: Sync, plan: Plan, result: SyncRunResult) -> None:
    names = list(sync.fields)
    for change in plan.changes:
        changed = change.changed_fields(names)
        if change.change == "update":
            for name in changed:
                result.field_changes[name] = result.field_changes.get(name, 0) + 1
        if len(result.sample_changes) < 20:
            result.sample_changes.append((change.key, change.change, changed))


def run_sync(
    conn: duckdb.DuckDBPyConnection,
    sync: Sync,
    destination: Destination,
    context: RunContext | None = None,
    *,
    dry_run: bool = False,
    force: bool = False,
) -> SyncRunResult:
    context = context or RunContext()
    state.ensure_tables(conn)
    run_id = uuid.uuid4().hex
    state.start_run(conn, run_id, sync.name, dry_run)
    result = SyncRunResult(sync.name, run_id, SUCCESS)

    def finish(status: str, message: str = "") -> SyncRunResult:
        result.status, result.message = status, message
        state.finish_run(
            conn,
            run_id,
            status=status,
            planned_inserts=result.planned_inserts,
            planned_updates=result.planned_updates,
            planned_deletes=result.planned_deletes,
            rows_acked=result.rows_acked,
            rows_failed=result.rows_failed + result.rows_not_sent,
            requests_sent=result.batches_sent,
            error=message or None,
        )
        log.info("sync %s run %s: %s %s", sync.name, run_id, status, message)
        return result

    if not sync.consent_purpose:
        return finish(SKIPPED, "no consent purpose mapped: a sync without one sends nothing")

    plan = plan_sync(conn, sync, **context.relations)
    result.planned_inserts, result.planned_updates, result.planned_deletes = plan.inserts, plan.updates, plan.deletes
    kinds_by_action: dict[str | None, list[str]] = {}
    for kind in ("delete", "insert", "update"):
        kinds_by_action.setdefault(action_for(sync, kind), []).append(kind)
    deletes_to_send = plan.deletes if action_for(sync, "delete") in DELETE_ACTIONS else 0
    problem = None if force else _guard(sync, plan, deletes_to_send)
    if problem:
        return finish(ABORTED, problem)
    if dry_run:
        _summarise_dry_run(sync, plan, result)
        return finish(DRY_RUN)

    # rows the mode does not send: the state moves on so they are not planned again
    skipped = plan.to_changes(plan.select(kinds_by_action.get(None, [])))
    if skipped:
        with _transaction(conn):
            state.write_state(conn, sync.name, [_settled(c, c.change == "delete") for c in skipped])
            state.log_changes(conn, run_id, sync.name, 0, None, [(c.key, c.change, "skipped", None) for c in skipped])

    batches = []  # (action, Arrow slice of the plan): rows become objects one batch at a time
    size = max(1, destination.max_batch_size)
    for action in sorted((a for a in kinds_by_action if a is not None), key=lambda a: (a not in DELETE_ACTIONS, a)):
        rows = plan.select(kinds_by_action[action])
        batches.extend((action, rows.slice(i, size)) for i in range(0, rows.num_rows, size))

    suppression = SuppressionGuard.for_connection(conn)
    breaker = context.breaker_for(destination)
    limiter = context.limiters.get(destination.rate_limit_key)
    if limiter is not None and hasattr(destination, "before_request"):
        destination.before_request = limiter.acquire  # destinations that make several requests per batch
    incomplete = False
    for batch_no, (action, rows) in enumerate(batches, start=1):
        if breaker.is_open:
            result.rows_not_sent += sum(r.num_rows for _, r in batches[batch_no - 1 :])
            incomplete = True
            break
        changes = plan.to_changes(rows)
        if suppression is not None and action not in DELETE_ACTIONS:
            is_blocked = [suppression.blocks(c) for c in changes]  # one set of hashes per change
            blocked = [c for c, no in zip(changes, is_blocked, strict=True) if no]
            if blocked:
                changes = [c for c, no in zip(changes, is_blocked, strict=True) if not no]
                result.rows_suppressed += len(blocked)
                with _transaction(conn):
                    state.log_changes(
                        conn,
                        run_id,
                        sync.name,
                        batch_no,
                        None,
                        [(c.key, action, "suppressed", "on the suppression list") for c in blocked],
                    )
            if not changes:
                continue
        key = idempotency_key(sync.name, action, changes)
        batch = Batch(
            sync_name=sync.name,
            operation=action,
            records=[Record(c.key, c.fields, c.external_id) for c in changes],
            idempotency_key=key,
            run_id=run_id,
        )
        # write-ahead: until the destination answers, these rows are "pending" in state, so that a batch
        # that was applied but never acknowledged (timeout, crash) is still seen by later plans: a pending
        # row left in the model is sent again, one gone from it is deleted, never a ghost left behind
        with _transaction(conn):
            state.write_state(
                conn,
                sync.name,
                [
                    (
                        c.key,
                        f"{state.PENDING_NEW if c.change == 'insert' else state.PENDING}:"
                        f"{state.DELETED if action in DELETE_ACTIONS else c.row_hash}",
                        c.old_field_hashes,
                        c.external_id or (destination.external_id(c.fields) if c.fields else None),
                        c.version,
                    )
                    for c in changes
                ],
            )
        error: str | None = None
        attempts = [0]

        def send(batch: Batch = batch, attempts: list[int] = attempts) -> object:
            attempts[0] += 1
            return destination.send(batch)

        try:
            outcome = call_with_retries(send, context.policy, limiter, context.sleep, context.rng)
        except PermanentError as exc:
            error = f"batch refused: {exc}"
        except RetryableError as exc:
            error = f"destination unavailable after {attempts[0]} attempts: {exc}"
            breaker.record_failure()
            incomplete = True
        result.batches_sent += attempts[0]
        if error is not None:
            failed = {c.key: error for c in changes}
            external_ids: dict[str, str] = {}
        else:
            breaker.record_success()
            failed, external_ids = outcome.failed, outcome.external_ids
        acked = [c for c in changes if c.key not in failed]
        with _transaction(conn):
            state.write_state(
                conn,
                sync.name,
                [_settled(c, action in DELETE_ACTIONS, external_ids.get(c.key)) for c in acked],
            )
            state.log_changes(
                conn,
                run_id,
                sync.name,
                batch_no,
                key,
                [(c.key, action, "failed" if c.key in failed else "acked", failed.get(c.key)) for c in changes],
            )
        result.rows_acked += len(acked)
        result.rows_failed += len(failed)

    if destination.wants_snapshot and not incomplete and result.rows_failed == 0:
        rows = conn.execute(
            f"select record_key, {', '.join(f'f_{i}' for i in range(len(sync.fields)))}"
            " from _candidates where is_included order by record_key"
        ).fetchall()
        names = ["key", *sync.fields]
        destination.write_snapshot(sync.name, (dict(zip(names, row, strict=True)) for row in rows))
    if incomplete or result.rows_failed or result.rows_not_sent:
        return finish(INCOMPLETE, f"{result.rows_failed + result.rows_not_sent:,} rows not acknowledged")
    return finish(SUCCESS)
