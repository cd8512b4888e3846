"""HubSpot-style contacts destination: batch upsert by email (<= 100 per request), partial results.

`POST /crm/v3/objects/contacts/batch/upsert` answers 200 when every input was applied and 207 with an
`errors` list naming the inputs (by email) it could not apply: only those rows fail. The contact ids it
returns are kept in state, so mirror deletes archive by id (`/batch/archive`) even after the email is
gone from the warehouse. Fields: `email` plus any contact properties.

`erase` is HubSpot's GDPR delete (`POST /crm/v3/objects/contacts/gdpr-delete` by email, one request per
email): the contact and its history go for good, which archiving does not do.
"""

import hashlib
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
    json_default,
    summarise_erasure,
)
from activation.errors import PermanentError, RateLimitedError, RetryableError, SyncConfigError
from activation.resilience import RetryPolicy, Sleep
from activation.syncs import Sync

MAX_BATCH = 100
_EMAIL_IN_TEXT = re.compile(r"\S*@\S*")


class HubSpotDestination(DestinationBase):
    name = "hubspot"

    def __init__(self, base_url: str, token: str, max_batch_size: int = MAX_BATCH, timeout_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_batch_size = min(max_batch_size, MAX_BATCH)
        self.timeout_s = timeout_s
        self.rate_limit_key = f"hubspot:{self.base_url}:{hashlib.sha256(token.encode()).hexdigest()[:8]}"
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {token}"

    def _post(self, path: str, body: Any, answers: tuple[int, ...] = (207,)) -> requests.Response:
        """POST and classify the answer; 4xx statuses in `answers` are returned to the caller, not raised."""
        try:
            response = self._session.post(self.base_url + path, json=body, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise RetryableError(f"POST {path} failed: {type(exc).__name__}") from exc
        if response.status_code == 429:
            retry_after = response.headers.get("Retry-After")
            raise RateLimitedError("HTTP 429", float(retry_after) if retry_after else None)
        if response.status_code >= 500:
            raise RetryableError(f"HTTP {response.status_code}")
        if response.status_code >= 400 and response.status_code not in answers:
            category = (response.json() if response.content else {}).get("category", "")
            raise PermanentError(f"HTTP {response.status_code} {category}".strip())
        return response

    def send(self, batch: Batch) -> BatchResult:
        result = BatchResult()
        if batch.operation in ("delete", "archive"):
            inputs = [{"id": r.external_id} for r in batch.records if r.external_id]
            if inputs:
                self._post("/crm/v3/objects/contacts/batch/archive", {"inputs": inputs})
            return result
        if batch.operation not in ("upsert", "update"):
            raise PermanentError(f"operation `{batch.operation}` is not supported by HubSpot contacts")
        inputs, keys_by_email = [], {}
        for record in batch.records:
            properties = {k: json_default(v) for k, v in (record.fields or {}).items() if v is not None}
            email = str(properties.get("email", "")).strip().lower()
            if not email:
                result.failed[record.key] = "no email"
                continue
            properties["email"] = email
            keys_by_email.setdefault(email, []).append(record.key)
            inputs.append({"idProperty": "email", "id": email, "properties": properties})
        if not inputs:
            return result
        body = self._post("/crm/v3/objects/contacts/batch/upsert", {"inputs": inputs}).json()
        for contact in body.get("results", []):
            email = str((contact.get("properties") or {}).get("email", "")).lower()
            for key in keys_by_email.get(email, []):
                result.external_ids[key] = str(contact.get("id"))
        for error in body.get("errors", []):
            message = _EMAIL_IN_TEXT.sub("<email>", str(error.get("message", "")))
            for email in (error.get("context") or {}).get("ids", []):
                for key in keys_by_email.get(str(email).lower(), []):
                    result.failed[key] = f"{error.get('category', 'error')}: {message}"[:200]
        return result

    @property
    def erasure_scope(self) -> str:
        """Contacts belong to the account (portal): every sync to it erases from the same place."""
        return self.rate_limit_key

    def erase(
        self, subject: ErasureSubject, *, sleep: Sleep = time.sleep, policy: RetryPolicy = ERASURE_POLICY
    ) -> ErasureResult:
        outcomes, errors, attempts = [], [], [0]
        for email in sorted({e.strip().lower() for e in subject.emails if e and e.strip()}):
            body = {"objectId": email, "idProperty": "email"}
            response, error = call_for_erasure(
                lambda body=body: self._post("/crm/v3/objects/contacts/gdpr-delete", body, answers=(404,)),
                policy,
                sleep,
                attempts,
            )
            if error is not None:
                errors.append(error)
            else:  # 204 deleted; 404 no contact with that email: nothing to erase
                outcomes.append("not_found" if response.status_code == 404 else "done")
        return summarise_erasure(self.name, outcomes, errors, attempts[0])

    def close(self) -> None:
        self._session.close()


def create(sync: Sync, env: Mapping[str, str]) -> HubSpotDestination:
    options = sync.options
    if "email" not in sync.fields:
        raise SyncConfigError(f"Sync `{sync.name}`: HubSpot contacts need a field `email`")
    base_url = options.get("base_url") or env.get(options.get("base_url_env", ""), "")
    if not base_url:
        raise SyncConfigError(f"Sync `{sync.name}`: HubSpot contacts need `base_url` or `base_url_env`")
    return HubSpotDestination(
        base_url, secret(options, env, "token_env", f"Sync `{sync.name}`"), int(options.get("batch_size", MAX_BATCH))
    )
