"""Why the collector refuses a request: one exception per HTTP answer, each with a stable `code`."""

from cdp.errors import CdpError


class CollectError(CdpError):
    """A request the collector refuses; `status` is the HTTP status, `code` the reason clients can match."""

    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class BadRequest(CollectError):
    """400: the body is not JSON, not an object, has a wrong type, misses a required field, or an event
    inside a batch is over the per-event limit."""


class Unauthorized(CollectError):
    """401: no write key, or one the collector does not know."""

    status = 401


class PayloadTooLarge(CollectError):
    """413: the request body on the wire is over the endpoint's limit (32 KB, batch 500 KB)."""

    status = 413


class ServiceUnavailable(CollectError):
    """503: the spool could not make the events durable; the client should retry."""

    status = 503


class SpoolError(CdpError):
    """The spool could not make events durable (disk full, I/O error); the request gets 503."""
