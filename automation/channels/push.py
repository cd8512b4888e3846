"""Web push (RFC 8030) with VAPID (RFC 8292), through pywebpush: the payload is encrypted per RFC 8291
(aes128gcm) to each of the customer's browser subscriptions. The firing id is the `Topic`, so a push
service holds at most one undelivered copy of a message. A subscription answered `404`/`410` is expired:
it is removed and never tried again."""

import json
import sqlite3

import requests
from pywebpush import WebPushException, webpush

from automation.channels.base import Delivery
from automation.errors import ChannelError, SubscriptionGone


class PushChannel:
    name = "web_push"

    def __init__(self, conn: sqlite3.Connection, vapid_private_key: str, subject: str, ttl_s: int = 86400):
        self.conn = conn  # the flows store: subscriptions live there
        self._key = vapid_private_key
        self.claims = {"sub": subject}
        self.ttl_s = ttl_s

    def send(self, delivery: Delivery) -> None:
        subscriptions = self.conn.execute(
            "select endpoint, p256dh, auth from push_subscriptions where customer_id = ? order by endpoint",
            [delivery.customer_id],
        ).fetchall()
        if not subscriptions:
            raise SubscriptionGone("no push subscription left")
        payload = json.dumps({k: v for k, v in delivery.message.items() if k in ("body", "url", "subject")})
        delivered, gone = 0, 0
        for endpoint, p256dh, auth in subscriptions:
            info = {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}
            try:
                webpush(
                    info,
                    payload,
                    vapid_private_key=self._key,
                    vapid_claims=dict(self.claims),
                    ttl=self.ttl_s,
                    headers={"Topic": delivery.firing_id, "Urgency": "normal"},
                    timeout=10,
                )
                delivered += 1
            except WebPushException as exc:
                status = exc.response.status_code if exc.response is not None else None
                if status in (404, 410):
                    self.conn.execute("delete from push_subscriptions where endpoint = ?", [endpoint])
                    gone += 1
                    continue
                if status == 429 or status is None or status >= 500:
                    retry = exc.response.headers.get("Retry-After") if exc.response is not None else None
                    raise ChannelError(f"push service HTTP {status}", retry_after_s=float(retry or 0) or None) from exc
                raise ChannelError(f"push service HTTP {status}", retryable=False) from exc
            except requests.RequestException as exc:
                raise ChannelError(f"push failed: {type(exc).__name__}") from exc
        if not delivered:
            raise SubscriptionGone(f"{gone} subscription(s) expired and removed")
