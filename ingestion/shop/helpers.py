"""Paging, retries, validation and lag-window deduplication for the shop source."""

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt
import requests
from dlt.extract.incremental import Incremental

from cdp.errors import IngestionError
from ingestion.common import TableCounts, finish
from ingestion.shop import settings

log = logging.getLogger(__name__)

SOURCE = "shop"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# -- HTTP -------------------------------------------------------------------------------------------


def make_session(access_token: str) -> requests.Session:
    session = requests.Session()
    session.headers.update({settings.ACCESS_TOKEN_HEADER: access_token, "Accept": "application/json"})
    return session


def _api_error(response: requests.Response) -> str:
    try:
        return str(response.json().get("errors", response.text))
    except (ValueError, AttributeError):
        return response.text[:200]


def _retry_after_s(response: requests.Response, attempt: int) -> float:
    """The server's `Retry-After` in seconds (Shopify sends e.g. `2.0`), else exponential backoff."""
    try:
        wait = float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        wait = settings.BACKOFF_BASE_S * 2**attempt
    return min(max(wait, 0.0), settings.MAX_RETRY_WAIT_S)


_sleep = time.sleep  # replaced in tests


def get_json(session: requests.Session, url: str, params: dict[str, Any] | None = None) -> requests.Response:
    """GET `url`, retrying 429 (after `Retry-After`), 5xx and connection errors a bounded number of times."""
    for attempt in range(settings.MAX_ATTEMPTS):
        last_try = attempt == settings.MAX_ATTEMPTS - 1
        try:
            response = session.get(url, params=params, timeout=settings.REQUEST_TIMEOUT_S)
        except (requests.ConnectionError, requests.Timeout) as exc:
            if last_try:
                raise IngestionError(
                    f"Shop API at `{url}` unreachable after {attempt + 1} attempts: {exc}"
                ) from exc
            _sleep(min(settings.BACKOFF_BASE_S * 2**attempt, settings.MAX_RETRY_WAIT_S))
            continue
        status = response.status_code
        if status == 200:
            return response
        if status == 401:
            raise IngestionError(
                f"Shop API at `{url}` refused the access token (401: {_api_error(response)}); "
                f"check `sources.shop.access_token`"
            )
        if status == 429 or status >= 500:
            if last_try:
                raise IngestionError(
                    f"Shop API at `{url}` still answers {status} after {attempt + 1} attempts: "
                    f"{_api_error(response)}"
                )
            wait = _retry_after_s(response, attempt)
            log.info("shop API answered %s; retrying in %.1fs", status, wait)
            _sleep(wait)
            continue
        raise IngestionError(f"Shop API rejected `{response.url}` ({status}): {_api_error(response)}")
    raise AssertionError("unreachable")


def api_root(base_url: str) -> str:
    """`<base_url>/admin/api/<version>`; a base URL that already ends with the API path is kept."""
    root = base_url.rstrip("/")
    return root if root.endswith(settings.API_PREFIX) else root + settings.API_PREFIX


def iter_pages(
    session: requests.Session, base_url: str, resource: str, updated_at_min: datetime | None
) -> Iterator[list[Any]]:
    """Every page of `resource` changed since `updated_at_min`, following the `Link: rel="next"` cursor."""
    url: str | None = f"{api_root(base_url)}/{settings.ENDPOINTS[resource]}"
    params: dict[str, Any] | None = {"limit": settings.PAGE_SIZE}
    if updated_at_min is not None:
        params["updated_at_min"] = updated_at_min.astimezone(UTC).isoformat()
    while url:
        response = get_json(session, url, params)
        try:
            page = response.json()[resource]
        except (ValueError, KeyError, TypeError) as exc:
            raise IngestionError(f"Shop API page `{response.url}` has no `{resource}` list: {exc}") from exc
        yield page
        # The cursor carries the filter: the next URL is followed as given (adding filters is a 400).
        url = response.links.get("next", {}).get("url")
        params = None


# -- Validation -------------------------------------------------------------------------------------


def parse_timestamp(value: Any) -> datetime | None:
    """An aware datetime from an ISO 8601 string with an offset; None if it is anything else."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _timestamp_problem(record: dict[str, Any], name: str, required: bool, where: str = "") -> str | None:
    value = record.get(name)
    if value is None:
        return f"missing `{where}{name}`" if required else None
    parsed = parse_timestamp(value)
    if parsed is None:
        return f"`{where}{name}` is not an ISO 8601 timestamp with an offset: `{value}`"
    record[name] = parsed
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def prepare_record(
    record: Any, timestamps: tuple[str, ...], nullable_objects: tuple[str, ...] = ()
) -> tuple[dict[str, Any] | None, str | None]:
    """A copy of `record` with parsed timestamps, or None and the reason it must be quarantined."""
    if not isinstance(record, dict):
        return None, "not a JSON object"
    clean = {k: v for k, v in record.items() if not (v is None and k in nullable_objects)}
    if clean.get("id") is None:
        return None, "missing `id`"
    if not _is_int(clean["id"]):
        return None, f"`id` is not an integer: `{clean['id']}`"
    for name in timestamps:
        problem = _timestamp_problem(clean, name, required=name in settings.REQUIRED_TIMESTAMPS)
        if problem:
            return None, problem
    return clean, None


def prepare_customer(record: Any) -> tuple[dict[str, Any] | None, str | None]:
    return prepare_record(record, settings.CUSTOMER_TIMESTAMPS, settings.NULLABLE_OBJECTS["customers"])


def prepare_order(record: Any) -> tuple[dict[str, Any] | None, str | None]:
    """As `prepare_record`; line items get the `order_id` the contract promises, refunds parsed dates."""
    clean, reason = prepare_record(record, settings.ORDER_TIMESTAMPS, settings.NULLABLE_OBJECTS["orders"])
    if clean is None:
        return None, reason
    line_items = []
    for item in clean.get("line_items") or []:
        if not isinstance(item, dict):
            return None, "`line_items` holds a value that is not an object"
        line_items.append({**item, "order_id": clean["id"]})
    refunds = []
    for position, refund in enumerate(clean.get("refunds") or []):
        if not isinstance(refund, dict):
            return None, "`refunds` holds a value that is not an object"
        refund = {**refund, "order_id": refund.get("order_id", clean["id"])}
        for name in settings.REFUND_TIMESTAMPS:
            problem = _timestamp_problem(refund, name, required=False, where=f"refunds[{position}].")
            if problem:
                return None, problem
        refunds.append(refund)
    clean["line_items"] = line_items
    clean["refunds"] = refunds
    return clean, None


# -- Lag window -------------------------------------------------------------------------------------


def _epoch_us(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


class LagWindow:
    """The (record key, updated_at) pairs read in the last lag window, kept in the resource state.

    Each run re-reads the window; a record whose key and `updated_at` were already read is a
    re-delivery and is dropped, so a run without changes loads nothing.
    """

    STATE_KEY = "lag_window"

    def __init__(self, lag_seconds: float) -> None:
        self.lag = timedelta(seconds=lag_seconds)
        self._seen: dict[str, int] = dlt.current.resource_state().setdefault(self.STATE_KEY, {})
        self.newest: datetime | None = None

    @staticmethod
    def key(record: Any) -> str:
        record_id = record.get("id") if isinstance(record, dict) else None
        if record_id is not None and not isinstance(record_id, (dict, list)):
            return f"id:{record_id}"
        payload = json.dumps(record, sort_keys=True, default=str).encode()
        return "sha1:" + hashlib.sha1(payload).hexdigest()

    def is_known(self, key: str, updated_at: datetime) -> bool:
        return self._seen.get(key) == _epoch_us(updated_at)

    def remember(self, key: str, updated_at: datetime) -> None:
        self._seen[key] = _epoch_us(updated_at)
        if self.newest is None or updated_at > self.newest:
            self.newest = updated_at

    def prune(self, last_value: datetime) -> None:
        """Forget what the next run will not re-read: anything before `last_value - lag`."""
        cutoff = _epoch_us(last_value - self.lag)
        for key in [k for k, us in self._seen.items() if us < cutoff]:
            del self._seen[key]


# -- Extraction -------------------------------------------------------------------------------------


def read_changed_records(
    base_url: str,
    access_token: str,
    resource: str,
    updated_at: Incremental[datetime],
    prepare: Callable[[Any], tuple[dict[str, Any] | None, str | None]],
) -> Iterator[Any]:
    """Pages of valid records of `resource` changed since the last run, then quarantine and stats.

    The `updated_at` range is applied by the API (`updated_at_min`), so the incremental is advanced
    by hand: it passes rows through unfiltered (the quarantine and stats items have no cursor) and
    its last value is set to the newest `updated_at` read.
    """
    start = updated_at.start_value  # the last value minus the lag, None on the first run
    updated_at.advance(None)
    previous_last = updated_at.get_state().get("last_value")
    window = LagWindow(updated_at.lag or 0)
    counts = TableCounts(SOURCE, resource)
    with make_session(access_token) as session:
        for page in iter_pages(session, base_url, resource, start):
            good = []
            for record in page:
                clean, reason = prepare(record)
                moment = clean["updated_at"] if clean else parse_timestamp(_get(record, "updated_at"))
                key = LagWindow.key(record)
                if moment is not None and window.is_known(key, moment):
                    counts.add(read=1, duplicate=1)
                    continue
                if moment is not None:
                    window.remember(key, moment)
                if clean is None:
                    counts.reject(json.dumps(record, default=str), str(reason))
                else:
                    good.append(clean)
            counts.add(read=len(good), loaded=len(good))
            if good:
                yield good
    last_value = _latest(previous_last, window.newest)
    if last_value is not None:
        updated_at.advance(last_value)
        window.prune(last_value)
    yield from finish(counts)


def _get(record: Any, name: str) -> Any:
    return record.get(name) if isinstance(record, dict) else None


def _latest(previous: Any, newest: datetime | None) -> datetime | None:
    if previous is None:
        return newest
    if isinstance(previous, str):
        previous = parse_timestamp(previous)
    if newest is None or previous >= newest:
        return previous
    return newest
