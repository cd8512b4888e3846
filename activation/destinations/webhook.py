"""Webhook destination: JSON batches POSTed to a URL, signed per the Standard Webhooks scheme.

Headers: `webhook-id` (the batch's idempotency key: the same on every retry, so receivers drop
duplicates), `webhook-timestamp` (Unix seconds) and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of
`{id}.{timestamp}.{body}` with the secret, given as `whsec_<base64>`).
"""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping

import requests

from activation.destinations import secret
from activation.destinations.base import Batch, BatchResult, DestinationBase, json_default
from activation.errors import PermanentError, RateLimitedError, RetryableError, SyncConfigError
from activation.syncs import Sync


def secret_bytes(secret_value: str) -> bytes:
    value = secret_value.removeprefix("whsec_")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise SyncConfigError("Webhook signing secret must be `whsec_` followed by base64") from exc


def sign(secret_value: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one message."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret_value), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def retry_after_s(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class WebhookDestination(DestinationBase):
    name = "webhook"

    def __init__(self, url: str, signing_secret: str, max_batch_size: int = 500, timeout_s: float = 10.0) -> None:
        secret_bytes(signing_secret)  # fail early on a malformed secret
        self.url = url
        self._secret = signing_secret
        self.max_batch_size = max_batch_size
        self.timeout_s = timeout_s
        self.rate_limit_key = f"webhook:{url}"
        self._session = requests.Session()

    def send(self, batch: Batch) -> BatchResult:
        body = json.dumps(
            {
                "type": f"cdp.sync.{batch.operation}",
                "sync": batch.sync_name,
                "operation": batch.operation,
                "records": [{"key": r.key, "fields": r.fields} for r in batch.records],
            },
            default=json_default,
            separators=(",", ":"),
        ).encode()
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": batch.idempotency_key,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self._secret, batch.idempotency_key, timestamp, body),
        }
        try:
            response = self._session.post(self.url, data=body, headers=headers, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise RetryableError(f"POST failed: {type(exc).__name__}") from exc
        if response.status_code == 429:
            raise RateLimitedError("HTTP 429", retry_after_s(response))
        if response.status_code >= 500 or response.status_code == 408:
            raise RetryableError(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise PermanentError(f"HTTP {response.status_code}")
        return BatchResult()

    def close(self) -> None:
        self._session.close()


def create(sync: Sync, env: Mapping[str, str]) -> WebhookDestination:
    options = sync.options
    url = options.get("url") or (env.get(options["url_env"]) if options.get("url_env") else None)
    if not url:
        raise SyncConfigError("Webhook destination needs `url` or `url_env`")
    return WebhookDestination(
        url,
        secret(options, env, "secret_env", "Webhook destination"),
        int(options.get("batch_size", 500)),
        float(options.get("timeout_s", 10.0)),
    )
