"""A webhook receiver that verifies Standard Webhooks signatures and the timestamp tolerance, and keeps
each `webhook-id` once (as the scheme asks receivers to)."""

import base64
import hashlib
import hmac
import json
import time
from collections import deque
from typing import Any

from automation.testing.http_server import LocalServer, Reply

TOLERANCE_S = 300


class WebhookInbox(LocalServer):
    def __init__(self, signing_secret: str) -> None:
        super().__init__()
        self._key = base64.b64decode(signing_secret.removeprefix("whsec_"))
        self.messages: dict[str, dict[str, Any]] = {}
        self.deliveries = 0
        self.rejected = 0
        self.faults: deque[int] = deque()

    def _verify(self, headers, raw: bytes) -> bool:
        msg_id, timestamp = headers.get("webhook-id"), headers.get("webhook-timestamp")
        signatures = (headers.get("webhook-signature") or "").split()
        if not msg_id or not timestamp or not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE_S:
            return False
        digest = hmac.new(self._key, f"{msg_id}.{timestamp}.".encode() + raw, hashlib.sha256).digest()
        expected = base64.b64encode(digest).decode()
        return any(hmac.compare_digest(s.partition(",")[2], expected) for s in signatures if s.startswith("v1,"))

    def handle(self, method: str, path: str, headers, raw: bytes) -> Reply:
        with self.lock:
            if self.faults:
                status = self.faults.popleft()
                return status, {"Retry-After": "1"} if status == 429 else {}, {"error": "injected"}
            if method != "POST" or not self._verify(headers, raw):
                self.rejected += 1
                return 401, {}, {"error": "bad signature"}
            self.deliveries += 1
            self.messages.setdefault(headers["webhook-id"], json.loads(raw))
            return 204, {}, None
