"""The errors of automation flows: one base class, messages that name the value, the file and line."""

from pathlib import Path


class FlowError(Exception):
    """Base class of every error automation raises."""


class FlowDefinitionError(FlowError):
    """A flow file that is not valid: names the file, the line and what would be valid."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else f"{self.path}"
        super().__init__(f"{where}: {message}")


class ChannelError(FlowError):
    """A send failed. `retryable` errors are tried again later; the others mark the send failed."""

    def __init__(self, message: str, retryable: bool = True, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after_s = retry_after_s


class SubscriptionGone(ChannelError):
    """The destination says the address is gone for good (web push 410): remove it, do not retry."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)
