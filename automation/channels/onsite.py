"""On-site: a flow's message becomes a content decision the profile API's browser-safe endpoint serves
(`GET /v1/personalize` answers it in `onsite` for the visitor's customer while it is fresh).

The message is a content id, not text: what the page shows for it is the site's business, and the answer
goes to a browser, so it must not carry personal data. The rendered body must therefore look like an id
(`cart_reminder`, `cart_reminder:NH-KNT-1055`); anything else fails the send, not retried. Each firing is
one row keyed on its firing id: a resend after a crash rewrites the same row (exactly once).
"""

import re
import sqlite3
import time
from pathlib import Path

from automation.channels.base import Delivery
from automation.errors import ChannelError

CONTENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")
DEFAULT_TTL_S = 24 * 3600.0

SCHEMA = """
create table if not exists onsite_messages (
    firing_id text primary key,
    customer_id text not null,
    flow text not null,
    content_id text not null,
    created_at real not null,
    expires_at real not null
);
create index if not exists onsite_messages_by_customer on onsite_messages (customer_id, expires_at);
"""


class OnsiteChannel:
    name = "onsite"

    def __init__(self, serving_store: Path, ttl_s: float = DEFAULT_TTL_S) -> None:
        self.store = Path(serving_store)
        self.ttl_s = ttl_s

    def send(self, delivery: Delivery) -> None:
        content_id = str(delivery.message.get("body", "")).strip()
        if not CONTENT_ID.match(content_id):
            raise ChannelError(
                "an on-site message must render to a content id (letters, digits, `_.:-`, at most 80), "
                "not text: the browser gets it",
                retryable=False,
            )
        now = time.time()
        try:
            conn = sqlite3.connect(self.store, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise ChannelError(f"serving store not writable: {exc}") from exc
        try:
            conn.executescript(SCHEMA)
            conn.execute("begin immediate")
            conn.execute("delete from onsite_messages where expires_at < ?", [now])
            conn.execute(
                "insert into onsite_messages values (?, ?, ?, ?, ?, ?) on conflict (firing_id) do update set"
                " content_id = excluded.content_id, expires_at = excluded.expires_at",
                [delivery.firing_id, delivery.customer_id, delivery.flow, content_id, now, now + self.ttl_s],
            )
            conn.execute("commit")
        except sqlite3.Error as exc:
            raise ChannelError(f"serving store write failed: {exc}") from exc
        finally:
            conn.close()
