"""A local stand-in for Twilio's Messages API that enforces its contract: the account path, HTTP Basic
auth with the account SID and token, form-encoded `To`/`From`/`Body`, E.164 numbers, a rate limit
answered `429` with `Retry-After`, Twilio's error JSON (`code`, `message`, `more_info`, `status`) and
the idempotency token (a repeated token returns the first message, sends nothing new)."""

import base64
import re
import time
import uuid
from collections import deque
from urllib.parse import parse_qs

from automation.testing.http_server import LocalServer, Reply

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages\.json$")


def _error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return status, headers or {}, body


class SmsApi(LocalServer):
    def __init__(self, account_sid: str, auth_token: str, rate_per_s: float = 0.0, burst: int = 10) -> None:
        super().__init__()
        self.account_sid, self.auth_token = account_sid, auth_token
        self.rate_per_s, self.burst = rate_per_s, burst
        self._tokens, self._updated = float(burst), time.monotonic()
        self.unsubscribed: set[str] = set()
        self.messages: dict[str, dict[str, str]] = {}  # sid -> message, one per idempotency token
        self._by_token: dict[str, str] = {}
        self.requests = 0
        self.faults: deque[int] = deque()  # HTTP statuses to answer next (500, 429)

    def _authorised(self, headers) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return headers.get("Authorization", "") == f"Basic {expected}"

    def _take_token(self) -> bool:
        if self.rate_per_s <= 0:
            return True
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate_per_s)
        self._updated = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    def handle(self, method: str, path: str, headers, raw: bytes) -> Reply:
        with self.lock:
            self.requests += 1
            match = PATH.match(path)
            if method != "POST" or not match:
                return _error(404, 20404, "The requested resource was not found")
            if match.group(1) != self.account_sid or not self._authorised(headers):
                return _error(401, 20003, "Authentication Error - invalid username")
            if self.faults:
                status = self.faults.popleft()
                return _error(status, 20429 if status == 429 else 20500, "injected", {"Retry-After": "1"})
            if not self._take_token():
                return _error(429, 20429, "Too Many Requests", {"Retry-After": "1"})
            if "application/x-www-form-urlencoded" not in headers.get("Content-Type", ""):
                return _error(400, 21601, "Request body must be form-encoded")
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            for field in ("To", "From", "Body"):
                if not form.get(field):
                    return _error(400, 21604 if field == "To" else 21602, f"A '{field}' parameter is required.")
            if not E164.match(form["To"]):
                return _error(400, 21211, f"The 'To' number {form['To']} is not a valid phone number.")
            if form["To"] in self.unsubscribed:
                return _error(400, 21610, "Attempt to send to unsubscribed recipient")
            if len(form["Body"]) > 1600:
                return _error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
            token = headers.get("I-Twilio-Idempotency-Token")
            if token and token in self._by_token:
                return 201, {}, self.messages[self._by_token[token]]
            sid = "SM" + uuid.uuid4().hex
            message = {
                "sid": sid,
                "account_sid": self.account_sid,
                "to": form["To"],
                "from": form["From"],
                "body": form["Body"],
                "status": "queued",
                "num_segments": str(1 + len(form["Body"]) // 160),
            }
            self.messages[sid] = message
            if token:
                self._by_token[token] = sid
            return 201, {}, message
