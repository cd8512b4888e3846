"""A webhook receiver that verifies Standard Webhooks signatures (and the timestamp tolerance) and drops
messages whose `webhook-id` it has already processed, as the scheme asks receivers to do."""

import base64
import hashlib
import hmac
import time
from typing import Any

from activation.testing.fake_server import Reply, StandIn

TOLERANCE_S = 300


class WebhookReceiver(StandIn):
    def __init__(self, signing_secret: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._key = base64.b64decode(signing_secret.removeprefix("whsec_"))
        self.messages: dict[str, dict[str, Any]] = {}  # webhook-id -> payload, once each
        self.deliveries = 0
        self.rows: dict[str, dict[str, Any]] = {}  # the receiver's copy: key -> fields

    def authorised(self, headers) -> bool:
        return True  # checked in handle(), which needs the raw body

    def verify(self, headers, raw: bytes) -> bool:
        msg_id, timestamp = headers.get("webhook-id"), headers.get("webhook-timestamp")
        signatures = (headers.get("webhook-signature") or "").split()
        if not msg_id or not timestamp or not signatures:
            return False
        if abs(time.time() - int(timestamp)) > TOLERANCE_S:
            return False
        expected = base64.b64encode(
            hmac.new(self._key, f"{msg_id}.{timestamp}.".encode() + raw, hashlib.sha256).digest()
        ).decode()
        return any(hmac.compare_digest(sig.partition(",")[2], expected) for sig in signatures if sig.startswith("v1,"))

    def handle(self, method: str, path: str, headers, body: Any) -> Reply:
        if method != "POST" or not self.verify(headers, self.raw_body):
            return self.problem(401, "Unauthorized", "bad signature")
        self.deliveries += 1
        msg_id = headers["webhook-id"]
        if msg_id not in self.messages:
            self.messages[msg_id] = body
            for record in body["records"]:
                if body["operation"] in ("delete", "remove"):
                    self.rows.pop(record["key"], None)
                else:
                    self.rows[record["key"]] = record["fields"]
        return Reply(204)
