"""SMS through a Twilio-style Messages API: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form
fields `To`, `From`, `Body`, HTTP Basic auth (account SID and auth token), the firing id in
`I-Twilio-Idempotency-Token`. Errors are JSON `{code, message, more_info, status}`: 429 is retried after
`Retry-After`; 21211 (invalid `To`), 21610 (recipient unsubscribed) and 20003 (auth) are not."""

import requests

from activation.destinations.webhook import retry_after_s
from automation.channels.base import Delivery
from automation.errors import ChannelError

PERMANENT_CODES = {20003: "authentication failed", 21211: "invalid To number", 21610: "recipient unsubscribed"}


class SmsChannel:
    name = "sms"

    def __init__(self, base_url: str, account_sid: str, auth_token: str, sender: str, timeout_s: float = 10.0):
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._auth = (account_sid, auth_token)
        self.sender = sender
        self.timeout_s = timeout_s
        self._session = requests.Session()

    def send(self, delivery: Delivery) -> None:
        form = {"To": delivery.message["to"], "From": self.sender, "Body": delivery.message.get("body", "")}
        try:
            response = self._session.post(
                self.url,
                data=form,
                auth=self._auth,
                headers={"I-Twilio-Idempotency-Token": delivery.firing_id},
                timeout=self.timeout_s,
            )
        except requests.RequestException as exc:
            raise ChannelError(f"POST failed: {type(exc).__name__}") from exc
        if response.status_code in (200, 201):
            return
        try:
            code = int(response.json().get("code") or 0)
        except ValueError:
            code = 0
        if response.status_code == 429:
            raise ChannelError(f"HTTP 429 (code {code})", retry_after_s=retry_after_s(response))
        if code in PERMANENT_CODES or (400 <= response.status_code < 500 and response.status_code != 408):
            reason = PERMANENT_CODES.get(code, f"HTTP {response.status_code}")
            raise ChannelError(f"{reason} (code {code})", retryable=False)
        raise ChannelError(f"HTTP {response.status_code} (code {code})")
