"""Errors of the activation engine and its destinations (part of the project's CdpError hierarchy)."""

from cdp.errors import CdpError


class ActivationError(CdpError):
    """A sync could not be planned or run."""


class SyncConfigError(ActivationError):
    """A sync declaration is missing something or names something unknown."""


class DestinationError(ActivationError):
    """A destination refused or failed a whole batch. Messages never carry record values (no PII)."""


class RetryableError(DestinationError):
    """The batch may succeed if sent again (5xx, timeout, dropped connection)."""


class RateLimitedError(RetryableError):
    """The destination asked us to slow down (HTTP 429); waiting does not spend a retry attempt."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PermanentError(DestinationError):
    """Sending the same batch again would fail the same way (4xx other than 429, bad config)."""
