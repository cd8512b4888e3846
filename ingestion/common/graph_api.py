"""A small client for the Meta Graph API, shared by the ads (insights) and social (leads) sources.

Errors come as `{"error": {"message", "type", "code"}}`: a bad token (190) stops the run with a message
naming the setting; rate limits (4, 17, 32, 613, 80000+) and temporary errors are retried with backoff,
as are 5xx answers and connection errors; anything else raises `GraphApiError` with the code, so that a
caller can treat e.g. a missing object (100) as a record to quarantine. The token never appears in a
message: it travels in the `Authorization` header, not in the URL.
"""

import logging
import time
from typing import Any

import requests

from cdp.errors import IngestionError

REQUEST_TIMEOUT_S = 30
MAX_ATTEMPTS = 6
MAX_RETRY_WAIT_S = 60.0
BACKOFF_BASE_S = 1.0
TOKEN_ERROR = 190
RETRY_CODES = frozenset({1, 2, 4, 17, 32, 613, *range(80000, 80015)})

log = logging.getLogger(__name__)
_sleep = time.sleep  # replaced in tests


class GraphApiError(IngestionError):
    """The Graph API refused a request; `code` is its error code (100: bad parameter or unknown object)."""

    def __init__(self, message: str, code: int | None, status: int):
        super().__init__(message)
        self.code = code
        self.status = status


def _error(response: requests.Response) -> tuple[int | None, str]:
    try:
        error = response.json()["error"]
        return int(error.get("code")), str(error.get("message", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, response.text[:200]


def make_session(access_token: str) -> requests.Session:
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {access_token}", "Accept": "application/json"})
    return session


def get(session: requests.Session, url: str, params: dict[str, Any] | None, setting: str) -> dict[str, Any]:
    """GET `url` and return its JSON object; `setting` names the token's config key in messages."""
    where = url.split("?")[0]
    for attempt in range(MAX_ATTEMPTS):
        last_try = attempt == MAX_ATTEMPTS - 1
        wait = min(BACKOFF_BASE_S * 2**attempt, MAX_RETRY_WAIT_S)
        try:
            response = session.get(url, params=params, timeout=REQUEST_TIMEOUT_S)
        except (requests.ConnectionError, requests.Timeout) as exc:
            if last_try:
                raise IngestionError(f"Graph API at `{where}` unreachable after {attempt + 1} attempts: {exc}") from exc
            _sleep(wait)
            continue
        if response.status_code == 200:
            try:
                body = response.json()
            except ValueError as exc:
                raise IngestionError(f"Graph API at `{where}` answered a body that is not JSON") from exc
            if not isinstance(body, dict):
                raise IngestionError(f"Graph API at `{where}` answered JSON that is not an object")
            return body
        code, message = _error(response)
        if code == TOKEN_ERROR:
            raise IngestionError(f"Graph API refused the access token (190: {message}); check `{setting}`")
        if code in RETRY_CODES or response.status_code >= 500:
            if last_try:
                raise IngestionError(
                    f"Graph API at `{where}` still answers {response.status_code} (code {code}) after "
                    f"{attempt + 1} attempts: {message}"
                )
            log.info("Graph API answered %s (code %s); retrying in %.1fs", response.status_code, code, wait)
            _sleep(wait)
            continue
        raise GraphApiError(
            f"Graph API refused `{where}` ({response.status_code}, code {code}): {message}", code,
            response.status_code,
        )
    raise AssertionError("unreachable")
