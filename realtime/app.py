"""The Segment HTTP Tracking API over the spool: check, stamp, deduplicate, make durable, then answer.

Endpoints (POST): `/v1/track`, `/v1/identify`, `/v1/page`, `/v1/screen`, `/v1/group`, `/v1/alias`, and
`/v1/batch` (also `/v1/import`), plus analytics.js's short forms `/v1/t`, `/v1/i`, `/v1/p`, `/v1/s`,
`/v1/g`, `/v1/a`, `/v1/b`. `GET /health` says whether the writer is up.

Answers: 200 `{"success": true}` once every event of the request is on disk (fsync); otherwise
`{"success": false, "code": ..., "message": ...}` (the shape Segment's libraries read) with 400 (bad
JSON, wrong type, missing field, an event over 32 KB in a batch), 401 (no or unknown write key), 413 (body
over 32 KB, batch over 500 KB), 503 (the spool could not write). A request is all or nothing: one bad
event refuses the whole batch, so nothing of a refused request reaches the spool.
"""

import asyncio
import base64
import binascii
import logging
import zlib
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from realtime import events as ev
from realtime.config import CollectorConfig
from realtime.dedupe import RecentIds
from realtime.errors import (
    BadRequest,
    CollectError,
    PayloadTooLarge,
    ServiceUnavailable,
    SpoolError,
    Unauthorized,
)
from realtime.spool import Spool
from realtime.tracker import cors_middleware, tracker_routes

log = logging.getLogger(__name__)

SINGLE_ROUTES = {
    "track": ("/v1/track", "/v1/t"),
    "identify": ("/v1/identify", "/v1/i"),
    "page": ("/v1/page", "/v1/p"),
    "screen": ("/v1/screen", "/v1/s"),
    "group": ("/v1/group", "/v1/g"),
    "alias": ("/v1/alias", "/v1/a"),
}
BATCH_ROUTES = ("/v1/batch", "/v1/b", "/v1/import")
_OK = b'{"success":true}'


def _error(exc: CollectError) -> Response:
    body = orjson.dumps({"success": False, "code": exc.code, "message": exc.message})
    return Response(body, status_code=exc.status, media_type="application/json")


class Collector:
    """The state behind the endpoints: the spool, its writer's progress, the recent messageIds."""

    def __init__(self, config: CollectorConfig) -> None:
        self.config = config
        self.recent = RecentIds(config.dedupe_seconds, config.dedupe_max_ids)
        self.spool = Spool(config.spool_dir, config.rotate_bytes, config.rotate_seconds, self._heard_commit)
        # submission number -> (future resolved when durable, messageIds it carries)
        self._pending: dict[int, tuple[asyncio.Future[None], list[str]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.duplicates = 0
        # Authorization header -> key name, for headers that named a known key (at most a few per key).
        self._known_headers: dict[bytes, str] = {}

    # -- life cycle ----------------------------------------------------------------------------------

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.spool.start()
        for mtime, ids in self.spool.recent_message_ids(self.config.dedupe_seconds, self.config.dedupe_max_ids):
            self.recent.add_many(ids, 0, seen_at=_monotonic_of(mtime))
        log.info("collector writing to %s (%s recent messageIds remembered)", self.config.spool_dir, len(self.recent))

    def stop(self) -> None:
        self.spool.stop()

    def _heard_commit(self, first: int, last: int, error: BaseException | None) -> None:
        # Writer thread: hand over to the event loop, once per group.
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._resolve, first, last, error)

    def _resolve(self, first: int, last: int, error: BaseException | None) -> None:
        for number in range(first, last + 1):
            entry = self._pending.pop(number, None)
            if entry is None:
                continue
            future, ids = entry
            if future.done():  # its request was cancelled (server shutting down)
                continue
            if error is not None:
                self.recent.forget(ids, number)
                future.set_exception(error)
            else:
                future.set_result(None)

    # -- requests ------------------------------------------------------------------------------------

    def key_name_of_header(self, authorization: bytes) -> str:
        name = self._known_headers.get(authorization)
        if name is None:
            name = self.key_name(authorization.decode("latin-1"))
            if len(self._known_headers) < 1024:
                self._known_headers[authorization] = name
        return name

    def key_name(self, authorization: str | None, body_key: Any = None) -> str:
        """The stored name of the write key: HTTP Basic username, else the body's `writeKey`."""
        key = None
        if authorization:
            scheme, _, encoded = authorization.partition(" ")
            if scheme.lower() != "basic":
                raise Unauthorized("invalid_auth", "Send the write key as the username of HTTP Basic auth")
            try:
                key = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                raise Unauthorized("invalid_auth", "The Authorization header is not valid Basic auth") from None
        elif isinstance(body_key, str):
            key = body_key
        if not key:
            raise Unauthorized("missing_write_key", "No write key: send it as the username of HTTP Basic auth")
        name = self.config.write_keys.get(key)
        if name is None:
            raise Unauthorized("invalid_write_key", "The write key is not valid")  # never echo the key
        return name

    async def accept(self, lines: list[bytes], ids: list[str | None]) -> None:
        """Spool `lines` (one per event) unless their messageId was spooled recently; return once all are
        durable. `ids[i]` is None for an id the server generated (never a duplicate)."""
        waits: list[asyncio.Future[None]] = []
        new_lines: list[bytes] = []
        new_ids: list[str] = []
        recent = self.recent
        seen_here: set[str] = set()
        for line, message_id in zip(lines, ids, strict=True):
            if message_id is not None:
                commit = recent.commit_of(message_id)
                if commit is not None or message_id in seen_here:
                    self.duplicates += 1
                    pending = self._pending.get(commit) if commit else None
                    if pending is not None:
                        waits.append(pending[0])  # acknowledge the retry only when the original is durable
                    continue
                seen_here.add(message_id)
                new_ids.append(message_id)
            new_lines.append(line)
        for future in waits:
            # Another request's commit: shield it, so that this request being cancelled cannot cancel it.
            await asyncio.shield(future)
        if new_lines:
            number = self.spool.submit(b"".join(new_lines), len(new_lines))
            future = self._loop.create_future()
            self._pending[number] = (future, new_ids)
            for message_id in new_ids:
                recent.add(message_id, number)
            await future


def _monotonic_of(wall_time: float) -> float:
    import time

    return time.monotonic() - (time.time() - wall_time)


def _headers(scope: dict[str, Any]) -> tuple[bytes | None, bytes | None, bytes | None]:
    authorization = length = encoding = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorization = value
        elif name == b"content-length":
            length = value
        elif name == b"content-encoding":
            encoding = value
    return authorization, length, encoding


async def _read_body(receive: Any, length: bytes | None, encoding: bytes | None, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to be over `limit` (before reading it
    when Content-Length says so), unzipped when sent with `Content-Encoding: gzip`."""
    if length is not None and length.isdigit() and int(length) > limit:
        raise PayloadTooLarge("request_too_large", f"The body is {int(length)} bytes; the limit here is {limit}")
    message = await receive()
    body = message.get("body", b"")
    if message.get("more_body", False):
        chunks, size = [body], len(body)
        while message.get("more_body", False):
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                break
            chunks.append(chunk)
        body = b"".join(chunks)
    if len(body) > limit:
        raise PayloadTooLarge("request_too_large", f"The body is over the limit of {limit} bytes")
    if encoding:
        encoding_text = encoding.decode("latin-1").strip().lower()
        if encoding_text == "gzip":
            return _gunzip(body, limit)
        if encoding_text != "identity":
            raise BadRequest("unsupported_encoding", f"Content-Encoding `{encoding_text}` is not supported; use gzip")
    return body


def _gunzip(body: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise BadRequest("invalid_gzip", f"The body is not valid gzip: {exc}") from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise PayloadTooLarge("request_too_large", f"The unzipped body is over the limit of {limit} bytes")
    return data


def _now() -> tuple[datetime, str]:
    moment = datetime.now(UTC)
    return moment, ev.format_time(moment)


_JSON_HEADERS = [(b"content-type", b"application/json")]
_OK_START = {"type": "http.response.start", "status": 200, "headers": [*_JSON_HEADERS, (b"content-length", b"16")]}
_OK_BODY = {"type": "http.response.body", "body": _OK}


async def _answer(send: Any, error: CollectError | None) -> None:
    if error is None:
        await send(_OK_START)
        await send(_OK_BODY)
        return
    body = orjson.dumps({"success": False, "code": error.code, "message": error.message})
    headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Endpoint:
    """One ingestion endpoint as a plain ASGI app: Starlette routes to it, but a request and a response
    object per call would cost more than everything else the collector does (see docs/realtime.md)."""

    def __init__(self, collector: Collector, event_type: str | None) -> None:
        self.collector = collector
        self.event_type = event_type  # None: a batch
        self.limit = collector.config.max_event_bytes if event_type else collector.config.max_batch_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            await self._handle(scope, receive)
        except CollectError as exc:
            await _answer(send, exc)
        except SpoolError as exc:
            await _answer(send, ServiceUnavailable("spool_unavailable", str(exc)))
        else:
            await _answer(send, None)

    async def _handle(self, scope: dict[str, Any], receive: Any) -> None:
        collector = self.collector
        authorization, length, encoding = _headers(scope)
        key_name = collector.key_name_of_header(authorization) if authorization else None
        body = await _read_body(receive, length, encoding, self.limit)
        parsed = ev.parse_json(body)
        if key_name is None:
            key_name = collector.key_name(None, parsed.get("writeKey") if isinstance(parsed, dict) else None)
        received_at, received_text = _now()
        if self.event_type is not None:
            event_type = self.event_type
            ev.check_event(parsed, event_type)
            had_id = bool(parsed.get("messageId"))
            ev.stamp(parsed, event_type, received_at, received_text, key_name)
            await collector.accept([ev.to_line(parsed)], [parsed["messageId"] if had_id else None])
            return
        events, shared = ev.batch_events(parsed)
        max_event = collector.config.max_event_bytes
        measure = len(body) > max_event  # a smaller body cannot hold an event over the limit
        lines: list[bytes] = []
        ids: list[str | None] = []
        for index, event in enumerate(events):
            try:
                event_type = ev.event_type_of(event)
                ev.check_event(event, event_type)
                if measure and len(orjson.dumps(event)) > max_event:
                    raise BadRequest("event_too_large", f"The event is over {max_event} bytes")
                had_id = bool(event.get("messageId"))
                ev.stamp(event, event_type, received_at, received_text, key_name, shared)
            except BadRequest as exc:
                raise BadRequest(exc.code, f"batch[{index}]: {exc.message}") from None
            lines.append(ev.to_line(event))
            ids.append(event["messageId"] if had_id else None)
        await collector.accept(lines, ids)


def create_app(config: CollectorConfig) -> Starlette:
    collector = Collector(config)

    async def health(request: Request) -> Response:
        stats = collector.spool.stats
        body = {
            "ok": collector.spool.running,
            "events": stats.events,
            "groups": stats.groups,
            "duplicates": collector.duplicates,
        }
        return Response(orjson.dumps(body), status_code=200 if body["ok"] else 503, media_type="application/json")

    routes = [
        Route(path, _Endpoint(collector, event_type), methods=["POST"])
        for event_type, paths in SINGLE_ROUTES.items()
        for path in paths
    ]
    routes += [Route(path, _Endpoint(collector, None), methods=["POST"]) for path in BATCH_ROUTES]
    routes.append(Route("/health", health, methods=["GET"]))
    routes += tracker_routes(collector)  # the browser tracker, pixel and click redirect (realtime/tracker)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        collector.start()
        try:
            yield
        finally:
            await asyncio.to_thread(collector.stop)

    # Browsers on the configured site origins may call the API (analytics.js sends a Basic auth header,
    # so a preflight comes first); without origins, no middleware sits in front of the endpoints.
    middleware = cors_middleware(config.site_origins) if config.site_origins else []
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.state.collector = collector
    return app
