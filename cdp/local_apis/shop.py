"""A local stand-in for a Shopify-like webshop API, serving the shop landing files.

It enforces the contract of docs/data-contracts.md ("Local shop API") so that ingestion is written
against the behaviour of a real platform: token auth, bounded page sizes, an opaque cursor in the
`Link` header that may not be combined with filters, and a per-token rate limit.

It serves `customers.jsonl` and `orders.jsonl` of the folder it is given (`data/landing/shop/`).
The landing files are re-read when they change on disk (size or modification time), so a re-export
shows up without a restart, as updates do on a real platform.
"""

import base64
import binascii
import bisect
import json
import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cdp.errors import ConfigError
from cdp.local_apis.background import serve_in_thread

API_PREFIX = "/admin/api/2024-01"
RESOURCES = ("customers", "orders")
ACCESS_TOKEN_HEADER = "X-Shop-Access-Token"
DEFAULT_LIMIT = 50
MAX_LIMIT = 250
ALLOWED_PARAMS = ("limit", "updated_at_min", "page_info")
DEFAULT_PORT = 8765

log = logging.getLogger(__name__)

# (has a parsable updated_at, updated_at in epoch microseconds, integer id, line number in the file).
# Records whose updated_at cannot be parsed sort first and are only served without `updated_at_min`.
SortKey = tuple[int, int, int, int]


class _BadRequest(Exception):
    """A request the API refuses with 400; the message is sent back as `errors`."""


def parse_utc_timestamp(value: Any) -> datetime | None:
    """`value` as an aware datetime if it is an ISO 8601 timestamp with an offset, else None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _epoch_us(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _sort_key(record: dict[str, Any], line_no: int) -> SortKey:
    updated_at = parse_utc_timestamp(record.get("updated_at"))
    record_id = record.get("id")
    id_key = record_id if isinstance(record_id, int) and not isinstance(record_id, bool) else -1
    if updated_at is None:
        return (0, 0, id_key, line_no)
    return (1, _epoch_us(updated_at), id_key, line_no)


@dataclass
class _Collection:
    """The records of one landing file, sorted by (updated_at, id), with the JSON text of each."""

    fingerprint: str | None = None
    keys: list[SortKey] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)


def _read_collection(path: Path, fingerprint: str) -> _Collection:
    latest: dict[Any, tuple[SortKey, str]] = {}
    anonymous: list[tuple[SortKey, str]] = []
    with path.open(encoding="utf-8") as lines:
        for line_no, line in enumerate(lines, start=1):
            text = line.strip()
            if not text:
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError:
                log.warning("%s:%d is not JSON; not served", path, line_no)
                continue
            if not isinstance(record, dict):
                log.warning("%s:%d is not a JSON object; not served", path, line_no)
                continue
            key = _sort_key(record, line_no)
            record_id = record.get("id")
            if record_id is None or isinstance(record_id, (dict, list)):
                anonymous.append((key, text))
                continue
            # A platform holds one current state per record: a later version replaces an earlier one.
            previous = latest.get(record_id)
            if previous is None or previous[0][:2] <= key[:2]:
                latest[record_id] = (key, text)
    entries = sorted([*latest.values(), *anonymous])
    return _Collection(fingerprint, [k for k, _ in entries], [b for _, b in entries])


class _LandingStore:
    """Serves `<shop_dir>/<resource>.jsonl`, re-reading a file when it changes."""

    def __init__(self, shop_dir: Path) -> None:
        self.shop_dir = shop_dir
        self._collections: dict[str, _Collection] = {name: _Collection() for name in RESOURCES}

    def get(self, resource: str) -> _Collection:
        path = self.shop_dir / f"{resource}.jsonl"
        try:
            stat = path.stat()
            fingerprint = f"{stat.st_size}:{stat.st_mtime_ns}"
        except FileNotFoundError:
            fingerprint = "missing"
        current = self._collections[resource]
        if current.fingerprint != fingerprint:
            current = (
                _Collection(fingerprint) if fingerprint == "missing" else _read_collection(path, fingerprint)
            )
            self._collections[resource] = current
        return current


class _TokenBucket:
    """`rate_per_s` requests per second per token with bursts of `burst`; None rate means no limit."""

    def __init__(self, rate_per_s: float | None, burst: int) -> None:
        if rate_per_s is not None and rate_per_s <= 0:
            raise ConfigError(f"Shop API rate limit must be positive requests per second, got `{rate_per_s}`")
        if burst < 1:
            raise ConfigError(f"Shop API burst must be at least 1 request, got `{burst}`")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}  # token -> (tokens left, at monotonic time)

    def take(self, token: str) -> float | None:
        """Spend one request of `token`; returns None if allowed, else the seconds to wait."""
        if self.rate_per_s is None:
            return None
        now = time.monotonic()
        tokens, at = self._buckets.get(token, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate_per_s)
        if tokens >= 1:
            self._buckets[token] = (tokens - 1, now)
            return None
        self._buckets[token] = (tokens, now)
        return (1 - tokens) / self.rate_per_s


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errors": message}, status_code=status, headers=headers)


def _encode_cursor(resource: str, last: SortKey, updated_at_min_us: int | None) -> str:
    raw = json.dumps({"r": resource, "k": list(last), "m": updated_at_min_us}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(resource: str, page_info: str) -> tuple[SortKey, int | None]:
    try:
        padded = page_info + "=" * (-len(page_info) % 4)
        cursor = json.loads(base64.urlsafe_b64decode(padded.encode()))
        last = tuple(int(part) for part in cursor["k"])
        minimum = cursor["m"]
        if cursor["r"] != resource or len(last) != 4 or not (minimum is None or isinstance(minimum, int)):
            raise ValueError(cursor)
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise _BadRequest(f"Invalid `page_info` for {resource}: `{page_info}`") from None
    return last, minimum  # type: ignore[return-value]


def _parse_limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError:
        raise _BadRequest(f"`limit` must be an integer from 1 to {MAX_LIMIT}, got `{value}`") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise _BadRequest(f"`limit` must be from 1 to {MAX_LIMIT}, got `{value}`")
    return limit


def _parse_updated_at_min(value: str) -> int:
    moment = parse_utc_timestamp(value)
    if moment is None:
        raise _BadRequest(
            f"`updated_at_min` must be an ISO 8601 timestamp with an offset (e.g. 2026-03-01T00:00:00Z), "
            f"got `{value}`"
        )
    return _epoch_us(moment)


def _page(request: Request, resource: str, store: _LandingStore) -> Response:
    params = request.query_params
    unknown = sorted(set(params.keys()) - set(ALLOWED_PARAMS))
    if unknown:
        raise _BadRequest(f"Unknown query parameter(s) {unknown}; allowed: {list(ALLOWED_PARAMS)}")
    repeated = [name for name in ALLOWED_PARAMS if len(params.getlist(name)) > 1]
    if repeated:
        raise _BadRequest(f"Query parameter(s) {repeated} given more than once")
    limit = _parse_limit(params.get("limit"))
    collection = store.get(resource)
    page_info = params.get("page_info")
    if page_info is not None:
        filters = sorted(set(params.keys()) - {"limit", "page_info"})
        if filters:
            raise _BadRequest(f"`page_info` cannot be combined with other parameters than `limit`: {filters}")
        last, updated_at_min_us = _decode_cursor(resource, page_info)
        start = bisect.bisect_right(collection.keys, last)
    else:
        raw_min = params.get("updated_at_min")
        updated_at_min_us = None if raw_min is None else _parse_updated_at_min(raw_min)
        start = 0
    if updated_at_min_us is not None:
        start = max(start, bisect.bisect_left(collection.keys, (1, updated_at_min_us)))
    end = min(start + limit, len(collection.keys))
    # the records are kept as their JSON text: a page is joined, not re-serialised
    records = ",".join(collection.bodies[start:end])
    body = f'{{"{resource}":[{records}]}}'
    headers = {}
    if end < len(collection.keys):
        cursor = _encode_cursor(resource, collection.keys[end - 1], updated_at_min_us)
        next_url = request.url.replace(query=urlencode({"page_info": cursor, "limit": limit}))
        headers["Link"] = f'<{next_url}>; rel="next"'
    return Response(body, media_type="application/json", headers=headers)


def create_app(
    landing_dir: Path, access_token: str, rate_per_s: float | None = 2.0, burst: int = 40
) -> Starlette:
    """The shop API over `landing_dir` (the shop's landing folder, `data/landing/shop/`, holding
    `customers.jsonl` and `orders.jsonl`); `rate_per_s=None` switches the rate limit off."""
    shop_dir = Path(landing_dir)
    if not shop_dir.is_dir():
        raise ConfigError(f"Shop landing folder `{shop_dir}` does not exist; generate the landing data first")
    if not access_token:
        raise ConfigError("The shop API needs a non-empty access token")
    store = _LandingStore(shop_dir)
    bucket = _TokenBucket(rate_per_s, burst)

    def endpoint(resource: str):
        async def handle(request: Request) -> Response:
            token = request.headers.get(ACCESS_TOKEN_HEADER)
            if token != access_token:
                problem = "missing" if token is None else "invalid"
                return _error(401, f"[API] {problem} access token in header `{ACCESS_TOKEN_HEADER}`")
            wait_s = bucket.take(token)
            if wait_s is not None:
                retry_after = f"{math.ceil(wait_s * 10) / 10:.1f}"  # seconds, as Shopify sends it
                return _error(
                    429,
                    f"Exceeded {bucket.rate_per_s:g} calls per second for api client; retry later",
                    {"Retry-After": retry_after},
                )
            try:
                return _page(request, resource, store)
            except _BadRequest as exc:
                return _error(400, str(exc))

        return handle

    routes = [Route(f"{API_PREFIX}/{name}.json", endpoint(name), methods=["GET"]) for name in RESOURCES]
    return Starlette(routes=routes)


@contextmanager
def serve_shop_api(
    landing_dir: Path, access_token: str, port: int = 0, host: str = "127.0.0.1", **app_kwargs: Any
) -> Iterator[str]:
    """Run the shop API over `landing_dir` (`data/landing/shop/`) in a background thread; yields its base
    URL, e.g. `http://127.0.0.1:53121`.

    `port=0` picks a free port. `app_kwargs` go to `create_app` (`rate_per_s`, `burst`).
    """
    with serve_in_thread(create_app(landing_dir, access_token, **app_kwargs), "local shop API", port, host) as base_url:
        yield base_url


def run_shop_api(
    landing_dir: Path,
    access_token: str,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    rate_per_s: float | None = 2.0,
    burst: int = 40,
) -> None:
    """Serve the shop API over `landing_dir` (`data/landing/shop/`) until interrupted (`cdp serve shop-api`)."""
    app = create_app(landing_dir, access_token, rate_per_s=rate_per_s, burst=burst)
    uvicorn.run(app, host=host, port=port, log_level="info", lifespan="off")


__all__ = ["create_app", "parse_utc_timestamp", "run_shop_api", "serve_shop_api"]
