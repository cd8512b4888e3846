"""Webhooks for anything else: one JSON message per POST, signed per Standard Webhooks (`webhook-id` is
the firing id, so a receiver that drops ids it has seen processes each message once)."""

import json
import time

import requests

from activation.destinations.webhook import retry_after_s, secret_bytes, sign
from automation.channels.base import Delivery
from automation.errors import ChannelError


class WebhookChannel:
    name = "webhook"

    def __init__(self, url: str, signing_secret: str, timeout_s: float = 10.0) -> None:
        secret_bytes(signing_secret)  # a malformed secret fails at start, not at the first send
        self.url = url
        self._secret = signing_secret
        self.timeout_s = timeout_s
        self._session = requests.Session()

    def send(self, delivery: Delivery) -> None:
        body = json.dumps(
            {
                "type": "cdp.flow.message",
                "id": delivery.firing_id,
                "flow": delivery.flow,
                "step": delivery.step,
                "customer_id": delivery.customer_id,
                "message": {k: v for k, v in delivery.message.items() if k != "to"},
            },
            separators=(",", ":"),
        ).encode()
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": delivery.firing_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self._secret, delivery.firing_id, timestamp, body),
        }
        try:
            response = self._session.post(self.url, data=body, headers=headers, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise ChannelError(f"POST failed: {type(exc).__name__}") from exc
        if response.status_code == 429:
            raise ChannelError("HTTP 429", retry_after_s=retry_after_s(response))
        if response.status_code >= 500 or response.status_code == 408:
            raise ChannelError(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise ChannelError(f"HTTP {response.status_code}", retryable=False)
