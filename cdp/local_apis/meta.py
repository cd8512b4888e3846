"""A local stand-in for the Meta Graph API (Marketing API insights and Lead Ads leads).

It serves the landing files the generator writes for the ad platform: `ads/meta/insights.jsonl` (daily
ad-level insights of one ad account) and `social/leads.jsonl` (leads by id), and enforces the parts of
the real contract an ingestion depends on (docs/data-contracts.md, "Local Meta API"):

- `GET /v{version}/act_{account_id}/insights` with `access_token`, `fields`, `level=ad`,
  `time_increment=1`, `time_range={"since","until"}`, `limit` (max 500) and cursor paging: the answer
  is `{"data": [...], "paging": {"cursors": {"before", "after"}, "next"}}`; `next` is the same request
  with `after`.
- `GET /v{version}/{lead_id}` with `access_token` (and optional `fields`): one lead with `field_data`.
- Errors are `{"error": {"message", "type", "code", "fbtrace_id"}}`: code 190 (`OAuthException`) for a
  missing or wrong token, 100 for a bad parameter or an unknown object, 17 (user request limit) when the
  token's rate limit is spent; the status is 400 as the Graph API sends it (403 for a wrong account).

The access token is given in `access_token` or as `Authorization: Bearer`. Files are re-read when they
change on disk.
"""

import base64
import binascii
import json
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
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

API_VERSION = "v19.0"
DEFAULT_LIMIT = 25
MAX_LIMIT = 500
INSIGHTS_PARAMS = ("access_token", "fields", "level", "time_increment", "time_range", "limit", "after")
LEAD_PARAMS = ("access_token", "fields")
# The insight fields this account can answer (a subset of the real list).
INSIGHT_FIELDS = (
    "account_id", "account_currency", "campaign_id", "campaign_name", "adset_id", "adset_name", "ad_id",
    "ad_name", "objective", "date_start", "date_stop", "impressions", "clicks", "spend", "actions",
)
LEAD_FIELDS = (
    "id", "created_time", "ad_id", "ad_name", "adset_id", "adset_name", "campaign_id", "campaign_name",
    "form_id", "platform", "is_organic", "field_data", "custom_disclaimer_responses",
)
DEFAULT_LEAD_FIELDS = ("id", "created_time", "field_data")
# Meta caps a time_range at 37 months back.
MAX_RANGE_DAYS = 37 * 31
DEFAULT_PORT = 8767

log = logging.getLogger(__name__)


class GraphError(Exception):
    """An error the API answers as `{"error": {...}}`."""

    def __init__(self, message: str, code: int = 100, error_type: str = "OAuthException", status: int = 400):
        super().__init__(message)
        self.code = code
        self.error_type = error_type
        self.status = status

    def response(self) -> JSONResponse:
        body = {"error": {"message": str(self), "type": self.error_type, "code": self.code,
                          "fbtrace_id": secrets.token_urlsafe(9)}}
        return JSONResponse(body, status_code=self.status)


def _bad_param(message: str) -> GraphError:
    return GraphError(f"(#100) {message}", 100, "OAuthException")


@dataclass
class _File:
    fingerprint: str | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    is_sorted: bool = False


class _Store:
    """The landing files behind the API, re-read when their size or modification time changes."""

    def __init__(self, landing_dir: Path) -> None:
        self.insights_path = landing_dir / "ads" / "meta" / "insights.jsonl"
        self.leads_path = landing_dir / "social" / "leads.jsonl"
        self._files: dict[Path, _File] = {}
        self._leads: dict[str, dict[str, Any]] = {}
        self._leads_fp: str | None = None
        self._lock = threading.Lock()

    def _read(self, path: Path) -> _File:
        try:
            stat = path.stat()
            fingerprint = f"{stat.st_size}:{stat.st_mtime_ns}"
        except FileNotFoundError:
            fingerprint = "missing"
        current = self._files.get(path)
        if current is not None and current.fingerprint == fingerprint:
            return current
        rows = []
        if fingerprint != "missing":
            with path.open(encoding="utf-8") as lines:
                for line_no, line in enumerate(lines, start=1):
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError:
                        log.warning("%s:%d is not JSON; not served", path, line_no)
                        continue
                    if isinstance(row, dict):
                        rows.append(row)
        current = _File(fingerprint, rows)
        self._files[path] = current
        return current

    def insights(self) -> list[dict[str, Any]]:
        with self._lock:
            current = self._read(self.insights_path)
            if not current.is_sorted:  # cursor positions index this order
                current.rows.sort(key=lambda r: (str(r.get("date_start")), str(r.get("ad_id"))))
                current.is_sorted = True
            return current.rows

    def lead(self, lead_id: str) -> dict[str, Any] | None:
        with self._lock:
            current = self._read(self.leads_path)
            if current.fingerprint != self._leads_fp:
                self._leads = {str(r.get("id")): r for r in current.rows}
                self._leads_fp = current.fingerprint
            return self._leads.get(lead_id)


class _RateLimit:
    """`calls` calls per token per `window_s` seconds (a simplification of Meta's rolling-hour score)."""

    def __init__(self, calls: int | None, window_s: float) -> None:
        self.calls = calls
        self.window_s = window_s
        self._seen: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def allow(self, token: str) -> bool:
        if self.calls is None:
            return True
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._seen.get(token, []) if now - t < self.window_s]
            allowed = len(recent) < self.calls
            if allowed:
                recent.append(now)
            self._seen[token] = recent
            return allowed


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.query_params.get("access_token")


def _check_params(request: Request, allowed: tuple[str, ...]) -> None:
    params = request.query_params
    unknown = sorted(set(params.keys()) - set(allowed))
    if unknown:
        raise _bad_param(f"Unknown parameter(s) {unknown}; allowed: {list(allowed)}")
    repeated = sorted(name for name in params.keys() if len(params.getlist(name)) > 1)
    if repeated:
        raise _bad_param(f"Parameter(s) {repeated} given more than once")


def _fields(raw: str | None, allowed: tuple[str, ...], default: tuple[str, ...]) -> list[str]:
    if raw is None:
        return list(default)
    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in names if name not in allowed]
    if unknown or not names:
        raise _bad_param(f"Tried accessing nonexisting field(s) {unknown or [raw]}; valid: {list(allowed)}")
    return names


def _time_range(raw: str | None) -> tuple[str, str]:
    if raw is None:
        raise _bad_param("`time_range` is required: {\"since\":\"YYYY-MM-DD\",\"until\":\"YYYY-MM-DD\"}")
    try:
        value = json.loads(raw)
        since, until = date.fromisoformat(value["since"]), date.fromisoformat(value["until"])
    except (ValueError, KeyError, TypeError):
        raise _bad_param(
            f"`time_range` must be {{\"since\":\"YYYY-MM-DD\",\"until\":\"YYYY-MM-DD\"}}, got `{raw}`"
        ) from None
    if since > until:
        raise _bad_param(f"`time_range` since {since} is after until {until}")
    if (until - since).days > MAX_RANGE_DAYS:
        raise _bad_param(f"`time_range` spans more than {MAX_RANGE_DAYS} days")
    return since.isoformat(), until.isoformat()


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise _bad_param(f"`limit` must be an integer from 1 to {MAX_LIMIT}, got `{raw}`") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise _bad_param(f"`limit` must be from 1 to {MAX_LIMIT}, got `{raw}`")
    return limit


def _encode_cursor(position: int, since: str, until: str) -> str:
    raw = json.dumps({"p": position, "s": since, "u": until}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, since: str, until: str) -> int:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        position = int(value["p"])
        if (value["s"], value["u"]) != (since, until) or position < 0:
            raise ValueError(value)
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise _bad_param(f"Invalid cursor `after`: `{cursor}` (it belongs to the same time_range)") from None
    return position


def _insights(request: Request, account_id: str, store: _Store, own_account: str | None) -> Response:
    params = request.query_params
    _check_params(request, INSIGHTS_PARAMS)
    level = params.get("level", "ad")
    if level != "ad":
        raise _bad_param(f"`level` must be `ad` on this account, got `{level}`")
    if params.get("time_increment", "1") != "1":
        raise _bad_param(f"`time_increment` must be 1 (daily), got `{params.get('time_increment')}`")
    fields_ = _fields(params.get("fields"), INSIGHT_FIELDS, ("date_start", "date_stop", "impressions", "spend"))
    since, until = _time_range(params.get("time_range"))
    limit = _limit(params.get("limit"))
    rows = store.insights()
    if own_account is not None and account_id != own_account:
        raise GraphError(f"(#200) Ad account owner has NOT grant ads_read permission on act_{account_id}",
                         200, "OAuthException", 403)
    matching = [r for r in rows if since <= str(r.get("date_start")) <= until]
    start = _decode_cursor(params["after"], since, until) if "after" in params else 0
    page = matching[start:start + limit]
    data = [{name: row.get(name) for name in fields_} for row in page]
    body: dict[str, Any] = {"data": data}
    if page:
        end = start + len(page)
        body["paging"] = {"cursors": {"before": _encode_cursor(start, since, until),
                                      "after": _encode_cursor(end, since, until)}}
        if end < len(matching):
            query = {k: v for k, v in params.items() if k not in ("after", "access_token")}
            query["after"] = _encode_cursor(end, since, until)
            if "access_token" in params:
                query["access_token"] = params["access_token"]
            body["paging"]["next"] = str(request.url.replace(query=urlencode(query)))
    return JSONResponse(body)


def _lead(request: Request, lead_id: str, store: _Store) -> Response:
    _check_params(request, LEAD_PARAMS)
    fields_ = _fields(request.query_params.get("fields"), LEAD_FIELDS, DEFAULT_LEAD_FIELDS)
    lead = store.lead(lead_id)
    if lead is None:
        raise GraphError(
            f"Unsupported get request. Object with ID '{lead_id}' does not exist, cannot be loaded due to "
            "missing permissions, or does not support this operation", 100, "GraphMethodException")
    return JSONResponse({name: lead[name] for name in fields_ if name in lead})


def create_app(
    landing_dir: Path, access_token: str, account_id: str | None = None, calls_per_window: int | None = 200,
    window_s: float = 60.0,
) -> Starlette:
    """The Graph API over `landing_dir` (`data/landing/`, holding `ads/meta/` and `social/`).
    `account_id` restricts insights to one ad account; `calls_per_window=None` switches the limit off."""
    landing = Path(landing_dir)
    if not landing.is_dir():
        raise ConfigError(f"Landing folder `{landing}` does not exist; generate the landing data first")
    if not access_token:
        raise ConfigError("The Meta API needs a non-empty access token")
    store = _Store(landing)
    limit = _RateLimit(calls_per_window, window_s)

    def guarded(handler):
        async def handle(request: Request) -> Response:
            version = request.path_params["version"]
            try:
                if version != API_VERSION:
                    raise GraphError(f"Unknown path components: /{version}; this API answers {API_VERSION}",
                                     2635, "OAuthException")
                token = _token(request)
                if token != access_token:
                    raise GraphError(
                        "Invalid OAuth access token - Cannot parse access token" if token
                        else "An active access token must be used to query information about the current user.",
                        190, "OAuthException")
                if not limit.allow(token):
                    raise GraphError("(#17) User request limit reached", 17, "OAuthException")
                return handler(request)
            except GraphError as exc:
                return exc.response()

        return handle

    def insights(request: Request) -> Response:
        return _insights(request, request.path_params["account"], store, account_id)

    def lead(request: Request) -> Response:
        lead_id = request.path_params["object_id"]
        if not lead_id.isdigit():
            raise _bad_param(f"`{lead_id}` is not a node id")
        return _lead(request, lead_id, store)

    routes = [
        Route("/{version}/act_{account}/insights", guarded(insights), methods=["GET"]),
        Route("/{version}/{object_id}", guarded(lead), methods=["GET"]),
    ]
    return Starlette(routes=routes)


@contextmanager
def serve_meta_api(
    landing_dir: Path, access_token: str, port: int = 0, host: str = "127.0.0.1", **app_kwargs: Any
) -> Iterator[str]:
    """Run the Meta API over `landing_dir` (`data/landing/`) in a background thread; yields its base URL
    (`http://127.0.0.1:<port>`; the version path is part of each request). `port=0` picks a free port."""
    with serve_in_thread(create_app(landing_dir, access_token, **app_kwargs), "local Meta API", port, host) as base_url:
        yield base_url


def run_meta_api(
    landing_dir: Path, access_token: str, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
    calls_per_window: int | None = 200,
) -> None:
    """Serve the Meta API over `landing_dir` until interrupted (`cdp serve meta-api`)."""
    app = create_app(landing_dir, access_token, calls_per_window=calls_per_window)
    uvicorn.run(app, host=host, port=port, log_level="info", lifespan="off")


__all__ = ["API_VERSION", "create_app", "run_meta_api", "serve_meta_api"]
