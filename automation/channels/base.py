"""The one small interface every channel implements."""

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Delivery:
    firing_id: str  # the idempotency key: the same on every retry of this message
    flow: str
    step: str
    customer_id: str
    message: dict[str, Any]  # to, subject, body, url, unsubscribe_url


class Channel(Protocol):
    name: str

    def send(self, delivery: Delivery) -> None:
        """Deliver, or raise `ChannelError` (retryable or not). Returning means acknowledged."""
