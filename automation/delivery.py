"""The sender: delivers pending outbox rows through their channel and marks them on acknowledgement.

At least once from here, exactly once at a destination that dedupes: a crash after a channel accepted a
message and before the row is marked sends it again on restart, with the same firing id as the
idempotency key (SMTP `Message-ID`, `webhook-id`, Twilio idempotency token, push `Topic`). Retryable
errors back off (or wait the `Retry-After` asked); a row that fails `max_attempts` times, or for good,
is marked `failed` with the error. Consent is checked again before each attempt: a grant withdrawn since
the decision suppresses the send. One sender per flows store.
"""

import json
import logging
import sqlite3
import threading
from collections.abc import Callable

from automation.channels.base import Channel, Delivery
from automation.errors import ChannelError, SubscriptionGone
from automation.policy import has_consent
from automation.sources import Customers

log = logging.getLogger(__name__)


class Sender:
    def __init__(
        self,
        conn: sqlite3.Connection,
        channels: dict[str, Channel],
        clock: Callable[[], float],
        customers: Customers | None = None,
        purposes: dict[tuple[str, str], str] | None = None,
        max_attempts: int = 8,
        batch_size: int = 100,
    ) -> None:
        self.conn = conn
        self.channels = channels
        self.clock = clock
        self.customers = customers
        self.purposes = purposes or {}  # (flow, step) -> purpose, for the consent check
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        self.sent = 0
        self.failed = 0

    def run(self, stop: threading.Event, idle_s: float = 0.05) -> None:
        while not stop.is_set():
            if self.run_once() == 0:
                stop.wait(idle_s)

    def run_once(self) -> int:
        now = self.clock()
        rows = self.conn.execute(
            "select firing_id, flow, step, customer_id, channel, message, attempts from outbox"
            " where status = 'pending' and due_at <= ? order by due_at, rowid limit ?",
            [now, self.batch_size],
        ).fetchall()
        for firing_id, flow, step, customer_id, channel_name, message, attempts in rows:
            self._deliver(firing_id, flow, step, customer_id, channel_name, json.loads(message), attempts)
        return len(rows)

    def _settle(self, firing_id: str, status: str, reason: str | None = None, error: str | None = None) -> None:
        self.conn.execute(
            "update outbox set status = ?, reason = coalesce(?, reason), error = ?, message = null,"
            " settled_at = ?, attempts = attempts + 1 where firing_id = ? and status = 'pending'",
            [status, reason, error, self.clock(), firing_id],
        )

    def _deliver(self, firing_id, flow, step, customer_id, channel_name, message, attempts) -> None:
        channel = self.channels.get(channel_name)
        if channel is None:
            self._settle(firing_id, "failed", error=f"channel `{channel_name}` is not configured")
            self.failed += 1
            return
        purpose = self.purposes.get((flow, step))
        if self.customers is not None and purpose and channel_name != "webhook":
            if not has_consent(self.customers.consents(customer_id), purpose, channel_name):
                self._settle(firing_id, "suppressed", reason="consent")
                return
        try:
            channel.send(Delivery(firing_id, flow, step, customer_id, message))
        except SubscriptionGone as exc:
            self._settle(firing_id, "failed", error=str(exc))
            self.failed += 1
        except ChannelError as exc:
            if not exc.retryable or attempts + 1 >= self.max_attempts:
                self._settle(firing_id, "failed", error=str(exc))
                self.failed += 1
                return
            delay = exc.retry_after_s or min(2.0**attempts, 300.0)
            self.conn.execute(
                "update outbox set attempts = attempts + 1, due_at = ?, error = ? where firing_id = ?",
                [self.clock() + delay, str(exc), firing_id],
            )
            log.info("send %s on %s retried in %.1fs: %s", firing_id, channel_name, delay, exc)
        else:
            self._settle(firing_id, "sent")
            self.sent += 1
