"""Recent messageIds, so that a client's retry is acknowledged without being spooled a second time.

An id is remembered from the moment its event is queued for the spool, with the number of the group
commit that writes it: a retry that arrives before that commit is durable waits for the same commit
rather than being acknowledged early. Ids are forgotten after `window_s` or when more than `max_ids` are
held (oldest first), whichever comes first, so memory stays bounded (about 150 bytes per id). When a
commit fails, its ids are forgotten again so that a retry is spooled.

This is best effort by design: a retry that comes after its id was forgotten, or after a restart once the
spool files holding it were consumed, is spooled again. The loader merges on messageId, which makes the
warehouse exact (see docs/realtime.md).
"""

import time
from collections import deque
from collections.abc import Iterable


class RecentIds:
    def __init__(self, window_s: float = 24 * 3600.0, max_ids: int = 2_000_000) -> None:
        self.window_s = window_s
        self.max_ids = max_ids
        self._commit_of: dict[str, int] = {}
        self._order: deque[tuple[float, str]] = deque()

    def __len__(self) -> int:
        return len(self._commit_of)

    def commit_of(self, message_id: str) -> int | None:
        """The commit that wrote (or will write) `message_id`, or None when it was not seen recently."""
        return self._commit_of.get(message_id)

    def add(self, message_id: str, commit: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._commit_of[message_id] = commit
        self._order.append((now, message_id))
        self._expire(now)

    def add_many(self, message_ids: Iterable[str], commit: int, seen_at: float) -> None:
        """Ids read back from the spool at start-up; `seen_at` on the monotonic clock (may be negative)."""
        for message_id in message_ids:
            self._commit_of[message_id] = commit
            self._order.append((seen_at, message_id))
        self._expire(time.monotonic())

    def forget(self, message_ids: Iterable[str], commit: int) -> None:
        """Forget ids whose commit failed (only those still pointing at that commit)."""
        for message_id in message_ids:
            if self._commit_of.get(message_id) == commit:
                del self._commit_of[message_id]

    def _expire(self, now: float) -> None:
        order, commit_of = self._order, self._commit_of
        oldest = now - self.window_s
        while order and (order[0][0] < oldest or len(order) > self.max_ids):
            # An id re-added after a failed commit has two entries; the older one expiring forgets it a
            # little early, which the loader's merge on messageId covers.
            commit_of.pop(order.popleft()[1], None)
