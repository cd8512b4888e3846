"""The profile API: a Starlette app that reads only the serving store, through read-only connections.

Handlers are async and share one read-only SQLite connection per process: lookups are primary-key reads
of a few hundred microseconds, cheaper than a hop to a thread pool. Run more processes to use more cores.
"""

import hmac
import json
import os
import sqlite3
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from cdp.errors import ConfigError
from serving import lookup
from serving.changes import MAX_CHANGES_PER_PAGE, read_changes
from serving.openapi import docs_html, openapi_spec
from serving.personalization import (
    DEFAULT_CONFIG_PATH,
    PersonalizationConfig,
    decide,
    default_answer,
    has_consent,
    load_config,
)
from serving.store import RECENT_EVENTS_PER_CUSTOMER, connect_reader

TOKENS_ENV = "CDP_PROFILE_API_TOKENS"
ORIGINS_ENV = "CDP_PROFILE_API_ORIGINS"
DEFAULT_EVENTS_LIMIT = 20
DEFAULT_PORT = 8766


@dataclass(frozen=True)
class ApiSettings:
    store: Path
    tokens: tuple[str, ...]
    allowed_origins: tuple[str, ...] = ()
    personalization: Path = DEFAULT_CONFIG_PATH


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def api_settings_from_env(store: Path) -> ApiSettings:
    """Tokens from CDP_PROFILE_API_TOKENS and browser origins from CDP_PROFILE_API_ORIGINS (comma-separated)."""
    tokens = _split(os.environ.get(TOKENS_ENV))
    if not tokens:
        raise ConfigError(f"Set {TOKENS_ENV} to one or more comma-separated tokens that server-side clients send")
    return ApiSettings(store=store, tokens=tokens, allowed_origins=_split(os.environ.get(ORIGINS_ENV)))


class _ApiError(Exception):
    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail = status, error, detail


def _error(status: int, error: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)


def _json(text: str, headers: dict[str, str] | None = None) -> Response:
    return Response(text, media_type="application/json", headers=headers)


def create_app(settings: ApiSettings) -> Starlette:
    tokens = [t.encode() for t in settings.tokens]
    origins = frozenset(settings.allowed_origins)
    config: PersonalizationConfig = load_config(settings.personalization)
    spec = openapi_spec()
    docs_page = docs_html(spec)
    default_personalization = json.dumps(default_answer(config), separators=(",", ":"))
    conn_holder: list[sqlite3.Connection] = []

    def conn() -> sqlite3.Connection:
        if not conn_holder:
            conn_holder.append(connect_reader(settings.store))
        return conn_holder[0]

    @contextmanager
    def snapshot():
        """One read transaction, so the reads of one request see one publish."""
        c = conn()
        c.execute("begin")
        try:
            yield c
        finally:
            c.execute("commit")

    def authorized(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not presented:
            return False
        given = presented.strip().encode()
        # compare with every token, not stopping at a match, so timing does not reveal which one
        return any([hmac.compare_digest(given, token) for token in tokens])

    def parse_identifier(raw: str) -> tuple[str, str]:
        identifier_type, sep, value = raw.partition(":")
        if not sep or not value.strip():
            raise _ApiError(400, "bad_identifier", f"`{raw}` is not `<identifier_type>:<value>`")
        if identifier_type not in lookup.IDENTIFIER_TYPES:
            raise _ApiError(
                400,
                "unknown_identifier_type",
                f"`{identifier_type}` is not an identifier type; valid: {', '.join(lookup.IDENTIFIER_TYPES)}",
            )
        return identifier_type, value

    def profile_endpoint(handler: Callable[[Request, sqlite3.Connection, str], Response]):
        async def endpoint(request: Request) -> Response:
            if not authorized(request):
                return _error(
                    401, "unauthorized", "send `Authorization: Bearer <token>`", {"WWW-Authenticate": "Bearer"}
                )
            raw = request.path_params["identifier"]
            try:
                identifier_type, value = parse_identifier(raw)
                with snapshot() as c:
                    customer_id = lookup.resolve(c, identifier_type, value)
                    if customer_id is None:
                        raise _ApiError(404, "not_found", f"no customer with identifier `{raw}`")
                    return handler(request, c, customer_id)
            except _ApiError as exc:
                return _error(exc.status, exc.error, exc.detail)

        return endpoint

    def profile(request: Request, c: sqlite3.Connection, customer_id: str) -> Response:
        body = lookup.document_text(c, "profiles", customer_id)
        if body is None:  # an identifier row without its profile: not published together, so not served
            raise _ApiError(404, "not_found", f"no profile for customer `{customer_id}`")
        fields = _split(request.query_params.get("fields"))
        if fields:
            traits = json.loads(body)
            unknown = [f for f in fields if f not in traits]
            if unknown:
                raise _ApiError(
                    400, "unknown_field", f"`{', '.join(unknown)}` not in the profile; valid: {', '.join(traits)}"
                )
            body = json.dumps({f: traits[f] for f in fields}, separators=(",", ":"))
        return _json(f'{{"customer_id":{json.dumps(customer_id)},"traits":{body}}}')

    def listing(table: str, limit: Callable[[Request], int | None] = lambda r: None):
        def handler(request: Request, c: sqlite3.Connection, customer_id: str) -> Response:
            n = limit(request)
            body = lookup.document_text(c, table, customer_id) or "[]"
            if n is not None:
                body = json.dumps(json.loads(body)[:n], separators=(",", ":"))
            return _json(f'{{"customer_id":{json.dumps(customer_id)},"items":{body}}}')

        return handler

    def events_limit(request: Request) -> int:
        raw = request.query_params.get("limit", str(DEFAULT_EVENTS_LIMIT))
        if not raw.isdigit() or not 1 <= int(raw) <= RECENT_EVENTS_PER_CUSTOMER:
            raise _ApiError(400, "bad_limit", f"limit `{raw}` must be 1 to {RECENT_EVENTS_PER_CUSTOMER}")
        return int(raw)

    def cors_headers(request: Request) -> dict[str, str]:
        origin = request.headers.get("origin")
        headers = {"Vary": "Origin", "Cache-Control": "private, no-store"}
        if origin and origin in origins:
            headers["Access-Control-Allow-Origin"] = origin
        return headers

    async def personalize(request: Request) -> Response:
        headers = cors_headers(request)
        anonymous_id = request.query_params.get("anonymousId", "").strip()
        if not anonymous_id:
            return _error(400, "bad_request", "`anonymousId` is required", headers)
        with snapshot() as c:
            customer_id = lookup.resolve(c, "anonymous_id", anonymous_id)
            if customer_id is None or not has_consent(lookup.document(c, "consents", customer_id)):
                return _json(default_personalization, headers)
            answer = decide(
                config,
                lookup.document(c, "profiles", customer_id, {}),
                lookup.document(c, "segments", customer_id, []),
                lookup.document(c, "recommendations", customer_id, []),
            )
            answer["onsite"] = lookup.onsite_content(c, customer_id)
        return _json(json.dumps(answer, separators=(",", ":")), headers)

    async def personalize_preflight(request: Request) -> Response:
        headers = cors_headers(request)
        if "Access-Control-Allow-Origin" not in headers:
            return Response(status_code=403, headers=headers)
        headers.update({"Access-Control-Allow-Methods": "GET", "Access-Control-Max-Age": "600"})
        return Response(status_code=204, headers=headers)

    async def changes(request: Request) -> Response:
        if not authorized(request):
            return _error(401, "unauthorized", "send `Authorization: Bearer <token>`", {"WWW-Authenticate": "Bearer"})
        after, limit = request.query_params.get("after", "0"), request.query_params.get("limit", "100")
        if not after.isdigit():
            return _error(400, "bad_after", f"after `{after}` must be a change's seq (0 or more)")
        if not limit.isdigit() or not 1 <= int(limit) <= MAX_CHANGES_PER_PAGE:
            return _error(400, "bad_limit", f"limit `{limit}` must be 1 to {MAX_CHANGES_PER_PAGE}")
        with snapshot() as c:
            items = read_changes(c, int(after), int(limit))
        next_after = items[-1]["seq"] if items else int(after)
        return JSONResponse({"items": items, "next_after": next_after})

    async def health(request: Request) -> Response:
        with snapshot() as c:
            return JSONResponse({"status": "ok", "last_publish": lookup.last_publish(c)})

    async def openapi(request: Request) -> Response:
        return JSONResponse(spec)

    async def docs(request: Request) -> Response:
        return HTMLResponse(docs_page)

    async def not_found(request: Request, exc: Exception) -> Response:
        return _error(404, "not_found", f"no endpoint `{request.url.path}`; see /docs")

    routes: Iterable[Route] = [
        Route("/v1/profiles/{identifier}", profile_endpoint(profile)),
        Route("/v1/profiles/{identifier}/segments", profile_endpoint(listing("segments"))),
        Route("/v1/profiles/{identifier}/recommendations", profile_endpoint(listing("recommendations"))),
        Route("/v1/profiles/{identifier}/events", profile_endpoint(listing("events", events_limit))),
        Route("/v1/personalize", personalize, methods=["GET"]),
        Route("/v1/personalize", personalize_preflight, methods=["OPTIONS"]),
        Route("/v1/changes", changes),
        Route("/health", health),
        Route("/openapi.json", openapi),
        Route("/docs", docs),
    ]
    app = Starlette(routes=list(routes), exception_handlers={404: not_found})
    return app


def run_profile_api(settings: ApiSettings, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
    import uvicorn

    connect_reader(settings.store).close()  # fail now, with a message, when there is no store yet
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", access_log=False)
