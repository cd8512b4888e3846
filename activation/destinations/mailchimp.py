"""Mailchimp-style audience destination: list members keyed by the MD5 of the lower-cased email.

Adds go through the batch-subscribe endpoint (<= 500 members per request, `update_existing`), with the
other mapped fields as merge fields; a row the API rejects comes back in `errors` and only that row fails.
Removes unsubscribe the member in the same batch call when the warehouse still knows the email (left the
segment, withdrew consent); when only the stored subscriber hash is left, the member is archived with
one DELETE each. Required field: `email_address`.

`erase` deletes a person for good (`POST .../members/{hash}/actions/delete-permanent`, one request per
email): Mailchimp then refuses to re-import that address through the API, so a later sync of the same
email fails that row alone ("permanently deleted and cannot be re-imported") instead of re-adding them.
"""

import hashlib
import re
import time
from collections.abc import Callable, Mapping
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
    Record,
    call_for_erasure,
    json_default,
    summarise_erasure,
)
from activation.errors import PermanentError, RateLimitedError, RetryableError, SyncConfigError
from activation.resilience import RetryPolicy, Sleep
from activation.syncs import Sync

MAX_BATCH = 500
_EMAIL_IN_TEXT = re.compile(r"\S*@\S*")


def subscriber_hash(email: str) -> str:
    return hashlib.md5(email.strip().lower().encode()).hexdigest()  # noqa: S324 - the API's id scheme


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


class MailchimpDestination(DestinationBase):
    name = "mailchimp"

    def __init__(
        self, base_url: str, api_key: str, list_id: str, max_batch_size: int = MAX_BATCH, timeout_s: float = 10.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.list_id = list_id
        self.max_batch_size = min(max_batch_size, MAX_BATCH)
        self.timeout_s = timeout_s
        self.rate_limit_key = f"mailchimp:{self.base_url}:{hashlib.sha256(api_key.encode()).hexdigest()[:8]}"
        self.before_request: Callable[[], None] | None = None  # the engine's rate limiter, for extra requests
        self._session = requests.Session()
        self._session.auth = ("cdp", api_key)

    def external_id(self, fields: dict[str, Any]) -> str | None:
        email = (fields or {}).get("email_address")
        return subscriber_hash(email) if email else None

    def _call(self, method: str, path: str, body: Any = None) -> requests.Response:
        try:
            response = self._session.request(method, self.base_url + path, json=body, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise RetryableError(f"{method} {path.split('/members/')[0]} failed: {type(exc).__name__}") from exc
        if response.status_code == 429:
            raise RateLimitedError("HTTP 429", _retry_after(response))
        if response.status_code >= 500:
            raise RetryableError(f"HTTP {response.status_code}")
        return response

    def send(self, batch: Batch) -> BatchResult:
        if batch.operation not in ("add", "upsert", "remove"):
            raise PermanentError(f"operation `{batch.operation}` is not supported by Mailchimp audiences")
        result = BatchResult()
        status = "unsubscribed" if batch.operation == "remove" else "subscribed"
        with_email: list[Record] = []
        hash_only: list[Record] = []
        for record in batch.records:
            email = (record.fields or {}).get("email_address")
            if email:
                with_email.append(record)
            elif batch.operation == "remove" and record.external_id:
                hash_only.append(record)
            elif batch.operation == "remove":
                pass  # never reached the list with an id we know: nothing to remove
            else:
                result.failed[record.key] = "no email_address"
        if with_email:
            self._subscribe(with_email, status, result)
        for record in hash_only:
            if self.before_request is not None:
                self.before_request()
            response = self._call("DELETE", f"/3.0/lists/{self.list_id}/members/{record.external_id}")
            if response.status_code not in (204, 404):  # 404: not in the list, which is what we want
                result.failed[record.key] = f"HTTP {response.status_code}"
        return result

    def _subscribe(self, records: list[Record], status: str, result: BatchResult) -> None:
        members = []
        keys_by_email: dict[str, list[str]] = {}
        for record in records:
            fields = dict(record.fields or {})
            email = str(fields.pop("email_address")).strip().lower()
            keys_by_email.setdefault(email, []).append(record.key)
            merge_fields = {k.upper(): json_default(v) for k, v in fields.items() if v is not None}
            members.append({"email_address": email, "status": status, "merge_fields": merge_fields})
            result.external_ids[record.key] = subscriber_hash(email)
        response = self._call("POST", f"/3.0/lists/{self.list_id}", {"members": members, "update_existing": True})
        if response.status_code >= 400:
            raise PermanentError(f"HTTP {response.status_code}: {response.json().get('title', '')}")
        for error in response.json().get("errors", []):
            email = str(error.get("email_address", "")).strip().lower()
            for key in keys_by_email.get(email, []):
                # the API may quote the address back: keep error text free of it (the changelog holds no PII)
                text = _EMAIL_IN_TEXT.sub("<email>", str(error.get("error", "")))
                result.failed[key] = f"{error.get('error_code', 'error')}: {text}"[:200]

    @property
    def erasure_scope(self) -> str:
        """Syncs whose destinations share this scope erase from the same list: one call serves them all."""
        return f"{self.rate_limit_key}:{self.list_id}"

    def erase(
        self, subject: ErasureSubject, *, sleep: Sleep = time.sleep, policy: RetryPolicy = ERASURE_POLICY
    ) -> ErasureResult:
        outcomes, errors, attempts = [], [], [0]
        for email in sorted({e.strip().lower() for e in subject.emails if e and e.strip()}):
            path = f"/3.0/lists/{self.list_id}/members/{subscriber_hash(email)}/actions/delete-permanent"
            response, error = call_for_erasure(lambda path=path: self._call("POST", path), policy, sleep, attempts)
            if error is not None:
                errors.append(error)
            elif response.status_code == 204:
                outcomes.append("done")
            elif response.status_code == 404:  # not a member (or already forgotten): nothing to erase
                outcomes.append("not_found")
            else:
                title = (response.json() if response.content else {}).get("title", "")
                errors.append(f"refused: HTTP {response.status_code} {title}".strip())
        return summarise_erasure(self.name, outcomes, errors, attempts[0])

    def close(self) -> None:
        self._session.close()


def create(sync: Sync, env: Mapping[str, str]) -> MailchimpDestination:
    options = sync.options
    if "email_address" not in sync.fields:
        raise SyncConfigError(f"Sync `{sync.name}`: a Mailchimp audience needs a field `email_address`")
    base_url = options.get("base_url") or env.get(options.get("base_url_env", ""), "")
    if not base_url or not options.get("list_id"):
        raise SyncConfigError(f"Sync `{sync.name}`: a Mailchimp audience needs `base_url` and `list_id`")
    return MailchimpDestination(
        base_url,
        secret(options, env, "api_key_env", f"Sync `{sync.name}`"),
        options["list_id"],
        int(options.get("batch_size", MAX_BATCH)),
        float(options.get("timeout_s", 10.0)),
    )
