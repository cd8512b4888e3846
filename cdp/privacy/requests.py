"""Run a privacy request to completion: SUPPRESS, SUPPRESS_WITH_DELETE, DELETE_ONLY or UNSUPPRESS.

A request is logged in `privacy.requests` (status received -> running -> done | partial | failed, with
times) and each step in `privacy.request_steps`; erasure calls to destinations in
`privacy.request_destinations`. The log names the person only by a keyed hash of the identifier given.

- SUPPRESS: every identifier of the person (expanded through the identity graph) goes on the suppression
  list: ingestion drops their new records, dbt leaves them out of profiles and segments, the sender
  skips them. Their data stays.
- DELETE_ONLY: the person's data is deleted everywhere (see `cdp.privacy.erase`) and every destination
  that can delete is asked to; new data about them may come in again.
- SUPPRESS_WITH_DELETE: both.
- UNSUPPRESS: the suppression entries of every earlier request that included this identifier go.
"""

import json
import logging
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

import duckdb

from cdp.config import Settings
from cdp.privacy import erase
from cdp.privacy.hashing import hasher_for
from cdp.privacy.store import ensure_schema
from cdp.privacy.subject import PrivacyError, Subject, find_subject, parse_identifier

log = logging.getLogger(__name__)


class RequestType(StrEnum):
    SUPPRESS = "suppress"
    SUPPRESS_WITH_DELETE = "suppress_with_delete"
    DELETE_ONLY = "delete_only"
    UNSUPPRESS = "unsuppress"

    @property
    def suppresses(self) -> bool:
        return self in (RequestType.SUPPRESS, RequestType.SUPPRESS_WITH_DELETE)

    @property
    def deletes(self) -> bool:
        return self in (RequestType.SUPPRESS_WITH_DELETE, RequestType.DELETE_ONLY)


@dataclass
class Step:
    name: str
    status: str  # done | partial | failed | skipped
    rows_affected: int = 0
    detail: dict = field(default_factory=dict)


@dataclass
class RequestReport:
    request_id: str
    request_type: RequestType
    status: str
    customers_matched: int
    steps: list[Step] = field(default_factory=list)
    destinations: list = field(default_factory=list)  # activation ErasureResult

    def lines(self) -> list[str]:
        out = [f"request {self.request_id} ({self.request_type.value}): {self.status}"]
        out.append(f"  customers matched: {self.customers_matched}")
        for step in self.steps:
            out.append(f"  {step.name}: {step.status}, {step.rows_affected} affected")
        for result in self.destinations:
            out.append(f"  destination {result.destination}: {result.status} after {result.attempts} calls")
        return out


def _now() -> datetime:
    return datetime.now(UTC)


class _Log:
    """Writes the request's progress to the warehouse, one short connection per write (the steps in
    between need the file to themselves)."""

    def __init__(self, settings: Settings, request_id: str) -> None:
        self.settings = settings
        self.request_id = request_id

    def execute(self, sql: str, params: list) -> None:
        con = duckdb.connect(str(self.settings.duckdb_path))
        try:
            ensure_schema(con)
            con.execute(sql, params)
        finally:
            con.close()

    def status(self, status: str, **times: datetime) -> None:
        sets = ", ".join(["status = ?", *(f"{k} = ?" for k in times)])
        self.execute(
            f"update privacy.requests set {sets} where request_id = ?", [status, *times.values(), self.request_id]
        )

    def step(self, step: Step) -> None:
        self.execute(
            "insert into privacy.request_steps values (?, ?, ?, ?, ?, ?)",
            [self.request_id, step.name, step.status, step.rows_affected, json.dumps(step.detail), _now()],
        )


def _suppression_hashes(settings: Settings, subject: Subject) -> set[str]:
    identifiers = subject.all_identifiers() | {("customer_id", c) for c in subject.customer_ids}
    return hasher_for(settings.duckdb_path).hashes_of(identifiers)


def run_request(
    settings: Settings,
    request_type: RequestType | str,
    identifier: str,
    *,
    env: Mapping[str, str] | None = None,
    rebuild: bool = True,
    audit_uncompressed: bool = False,
    erase_destinations: Callable | None = None,
) -> RequestReport:
    """Run one request to the end and return what it did. `rebuild` runs `dbt build` after a change so
    that profiles and segments follow; `audit_uncompressed` compacts the warehouse without compression
    (a byte search of the file can then be trusted); `erase_destinations(settings, subject, env)` replaces
    the calls to the declared syncs' destinations (tests)."""
    request_type = RequestType(str(request_type).lower())
    kind, value = parse_identifier(identifier)
    request_id = uuid.uuid4().hex[:16]
    hasher = hasher_for(settings.duckdb_path)
    identifier_hash = hasher.hashes(kind, value)[0]
    request_log = _Log(settings, request_id)
    request_log.execute(
        "insert into privacy.requests (request_id, request_type, identifier_type, identifier_hash, status, "
        "received_at) values (?, ?, ?, ?, 'received', ?)",
        [request_id, request_type.value, kind, identifier_hash, _now()],
    )
    report = RequestReport(request_id, request_type, "running", 0)
    request_log.status("running", started_at=_now())
    try:
        _run(
            settings,
            request_type,
            identifier,
            report,
            request_log,
            env,
            rebuild,
            audit_uncompressed,
            erase_destinations,
            identifier_hash,
        )
    except Exception as exc:
        report.status = "failed"
        request_log.execute(
            "update privacy.requests set status = 'failed', finished_at = ?, detail = ? where request_id = ?",
            [_now(), json.dumps({"error": type(exc).__name__}), request_id],
        )
        raise
    failed = [s for s in report.steps if s.status in ("failed", "partial")]
    failed += [d for d in report.destinations if d.status == "failed"]
    report.status = "partial" if failed else "done"
    request_log.execute(
        "update privacy.requests set status = ?, finished_at = ?, customers_matched = ? where request_id = ?",
        [report.status, _now(), report.customers_matched, request_id],
    )
    return report


def _run(
    settings,
    request_type,
    identifier,
    report,
    request_log,
    env,
    rebuild,
    audit_uncompressed,
    erase_destinations,
    identifier_hash,
) -> None:
    def record(step: Step) -> None:
        report.steps.append(step)
        request_log.step(step)

    if request_type == RequestType.UNSUPPRESS:
        con = duckdb.connect(str(settings.duckdb_path))
        try:
            (n,) = con.execute(
                """
                delete from privacy.suppressions where request_id in (
                    select request_id from privacy.suppressions where identifier_hash = ?
                )
                """,
                [identifier_hash],
            ).fetchone()
        finally:
            con.close()
        record(Step("unsuppress", "done", n))
        if rebuild:
            record(_rebuild(settings))
        return

    con = duckdb.connect(str(settings.duckdb_path))
    try:
        subject = find_subject(con, identifier)
        report.customers_matched = len(subject.customer_ids)
        if request_type.suppresses:
            hashes = sorted(_suppression_hashes(settings, subject))
            con.execute(
                "insert or ignore into privacy.suppressions select unnest(?::varchar[]), ?, ?",
                [hashes, report.request_id, _now()],
            )
            record(Step("suppress", "done", len(hashes), {"identifier_hashes": len(hashes)}))
        if request_type.deletes:
            values = erase.SweepValues.of(subject)
            raw = erase.delete_raw_records(con, subject)
            record(Step("delete_raw_records", "done", sum(raw.values()), raw))
            derived = erase.delete_customer_rows(con, subject.customer_ids)
            for table, n in erase.delete_source_record_rows(con, subject).items():
                derived[table] = derived.get(table, 0) + n
            record(Step("delete_derived_rows", "done", sum(derived.values()), derived))
            swept, redacted = erase.sweep_values(con, values)
            record(Step("sweep_values", "done", sum(swept.values()), swept))
            record(Step("redact_shared_values", "done", sum(redacted.values()), redacted))
    finally:
        con.close()

    if request_type.deletes:
        landing = erase.scrub_landing(settings.landing_dir, values)
        record(Step("scrub_landing", "done", sum(landing.values()), landing))
        lake = erase.scrub_lake(settings.lake, values)
        record(Step("scrub_lake", "done", sum(lake.values()), lake))
        deleted, pending = erase.scrub_dlt_folders(settings.pipelines_dir, values)
        status = "partial" if pending else "done"
        record(Step("scrub_dlt_folders", status, deleted, {"files_deleted": deleted, "pending_files": pending}))
        report.destinations = _erase_destinations(settings, subject, env, erase_destinations, request_log)
    if rebuild:
        record(_rebuild(settings))
    if request_type.deletes:
        erase.compact_warehouse(settings.duckdb_path, uncompressed=audit_uncompressed)
        record(Step("compact_warehouse", "done", 0))


def _rebuild(settings: Settings) -> Step:
    from cdp.build import run_dbt
    from cdp.errors import BuildError

    try:
        run_dbt(settings, "build", quiet=True)
    except BuildError as exc:
        return Step("dbt_build", "failed", 0, {"error": str(exc)[:500]})
    return Step("dbt_build", "done", 0)


def _erase_destinations(settings, subject: Subject, env, erase_destinations, request_log) -> list:
    from activation.destinations.base import ErasureSubject

    person = ErasureSubject(
        customer_ids=tuple(sorted(subject.customer_ids)),
        emails=tuple(sorted(subject.emails)),
        phones=tuple(sorted(subject.phones)),
    )
    if erase_destinations is None:
        from activation.erasure import erase_declared

        results = erase_declared(settings, person, env if env is not None else os.environ)
    else:
        results = erase_destinations(settings, person, env)
    for result in results:
        request_log.execute(
            "insert or replace into privacy.request_destinations values (?, ?, ?, ?, ?, ?)",
            [request_log.request_id, result.destination, result.status, result.attempts, result.detail, _now()],
        )
    return results


__all__ = ["PrivacyError", "RequestReport", "RequestType", "run_request"]
