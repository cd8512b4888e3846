"""Meta Custom Audiences-style destination: audience members added and removed by hashed identifiers.

Identifiers are normalised, then SHA-256 hex: email trimmed and lower-cased; phone as digits only with
the country code (E.164 without the `+`). Requests carry at most 10,000 rows (`POST` adds, `DELETE`
removes, `/{audience_id}/users`); the batch's idempotency key becomes the upload session id, which the
API uses to drop a replayed batch. Fields: `email` and/or `phone`; a row with neither fails alone.

`erase` removes a person from the audience with the same `DELETE`, one row per identifier the CDP holds
(so a member added under another email/phone pairing is still matched), in a fresh upload session: a
session id derived from the content would be dropped as a replay when the same person is erased again.
Meta does not say whether anyone matched, so a success is always `done`.
"""

import hashlib
import random
import re
import time
from collections.abc import Mapping
from typing import Any

import requests

from activation.destinations import secret
from activation.destinations.base import (
    ERASURE_POLICY,
    Batch,
    BatchResult,
    DestinationBase,
    ErasureResult,
    ErasureSubject,
    call_for_erasure,
    summarise_erasure,
)
from activation.errors import PermanentError, RateLimitedError, RetryableError, SyncConfigError
from activation.resilience import RetryPolicy, Sleep
from activation.syncs import Sync

MAX_BATCH = 10_000
SCHEMA = ["EMAIL_SHA256", "PHONE_SHA256"]
THROTTLING_CODES = {4, 17, 32, 613, 80003}


def normalise_email(value: Any) -> str | None:
    text = str(value).strip().lower() if value is not None else ""
    return text or None


def normalise_phone(value: Any) -> str | None:
    digits = re.sub(r"\D", "", str(value)) if value is not None else ""
    return digits.lstrip("0") or None


def sha256(value: str | None) -> str:
    return hashlib.sha256(value.encode()).hexdigest() if value else ""


def hashed_row(fields: Mapping[str, Any]) -> list[str]:
    return [sha256(normalise_email(fields.get("email"))), sha256(normalise_phone(fields.get("phone")))]


class MetaAudienceDestination(DestinationBase):
    name = "meta_audiences"

    def __init__(
        self,
        base_url: str,
        access_token: str,
        audience_id: str,
        max_batch_size: int = MAX_BATCH,
        timeout_s: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.audience_id = audience_id
        self.max_batch_size = min(max_batch_size, MAX_BATCH)
        self.timeout_s = timeout_s
        self.rate_limit_key = f"meta:{self.base_url}:{hashlib.sha256(access_token.encode()).hexdigest()[:8]}"
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {access_token}"

    def external_id(self, fields: dict[str, Any]) -> str | None:
        row = hashed_row(fields or {})
        return ",".join(row) if any(row) else None

    def send(self, batch: Batch) -> BatchResult:
        if batch.operation not in ("add", "upsert", "remove", "delete"):
            raise PermanentError(f"operation `{batch.operation}` is not supported by custom audiences")
        result = BatchResult()
        data = []
        for record in batch.records:
            row = hashed_row(record.fields) if record.fields else (record.external_id or ",").split(",")
            if not any(row):
                result.failed[record.key] = "no email or phone to match on"
                continue
            data.append(row)
            result.external_ids[record.key] = ",".join(row)
        if not data:
            return result
        body = {
            "payload": {"schema": SCHEMA, "data": data},
            "session": {"session_id": int(batch.idempotency_key[:15], 16), "batch_seq": 1, "last_batch_flag": True},
        }
        self._users("DELETE" if batch.operation in ("remove", "delete") else "POST", body)
        return result

    def _users(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._session.request(
                method, f"{self.base_url}/v19.0/{self.audience_id}/users", json=body, timeout=self.timeout_s
            )
        except requests.RequestException as exc:
            raise RetryableError(f"{method} users failed: {type(exc).__name__}") from exc
        answer = response.json() if response.content else {}
        error = answer.get("error") or {}
        if response.status_code == 429 or error.get("code") in THROTTLING_CODES:
            retry_after = response.headers.get("Retry-After")
            raise RateLimitedError(f"throttled (code {error.get('code')})", float(retry_after) if retry_after else None)
        if response.status_code >= 500:
            raise RetryableError(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise PermanentError(f"HTTP {response.status_code}: {error.get('type', '')} {error.get('code', '')}")
        return answer

    @property
    def erasure_scope(self) -> str:
        """Syncs whose destinations share this scope erase from the same audience: one call serves them all."""
        return f"{self.rate_limit_key}:{self.audience_id}"

    def erase(
        self, subject: ErasureSubject, *, sleep: Sleep = time.sleep, policy: RetryPolicy = ERASURE_POLICY
    ) -> ErasureResult:
        emails = {sha256(normalise_email(e)) for e in subject.emails} - {""}
        phones = {sha256(normalise_phone(p)) for p in subject.phones} - {""}
        data = [[h, ""] for h in sorted(emails)] + [["", h] for h in sorted(phones)]
        if not data:
            return summarise_erasure(self.name, [], [], 0)
        body = {
            "payload": {"schema": SCHEMA, "data": data},
            # fresh per erasure, the same across its retries (Meta drops a replayed session, which is safe)
            "session": {"session_id": random.getrandbits(53), "batch_seq": 1, "last_batch_flag": True},
        }
        attempts = [0]
        answer, error = call_for_erasure(lambda: self._users("DELETE", body), policy, sleep, attempts)
        if error is not None:
            return summarise_erasure(self.name, [], [error], attempts[0])
        invalid = int(answer.get("num_invalid_entries") or 0)
        detail = f"{answer.get('num_received', len(data))} identifiers received, {invalid} invalid"
        status = "failed" if invalid else "done"
        return ErasureResult(self.name, status, attempts[0], detail)

    def close(self) -> None:
        self._session.close()


def create(sync: Sync, env: Mapping[str, str]) -> MetaAudienceDestination:
    options = sync.options
    if not {"email", "phone"} & set(sync.fields):
        raise SyncConfigError(f"Sync `{sync.name}`: a custom audience needs a field `email` or `phone`")
    base_url = options.get("base_url") or env.get(options.get("base_url_env", ""), "")
    if not base_url or not options.get("audience_id"):
        raise SyncConfigError(f"Sync `{sync.name}`: a custom audience needs `base_url` and `audience_id`")
    return MetaAudienceDestination(
        base_url,
        secret(options, env, "access_token_env", f"Sync `{sync.name}`"),
        str(options["audience_id"]),
        int(options.get("batch_size", MAX_BATCH)),
    )
