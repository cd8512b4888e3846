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
            if error is not None:
                self.recent.forget(ids, number)
                future.set_exception(error)
            else:
                future.set_result(None)

    # -- requests ------------------------------------------------------------------------------------

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
        if new_lines:
            number = self.spool.submit(b"".join(new_lines), len(new_lines))
            future = asyncio.get_running_loop().create_future()
            self._pending[number] = (future, new_ids)
            for message_id in new_ids:
                recent.add(message_id, number)
            waits.append(future)
        for future in waits:
            # shield: a client hanging up must not cancel a commit other requests wait for
            await asyncio.shield(future)


def _monotonic_of(wall_time: float) -> float:
    import time

    return time.monotonic() - (time.time() - wall_time)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge("request_too_large", f"The body is {declared} bytes; the limit here is {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge("request_too_large", f"The body is over the limit of {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "").lower()
    if encoding == "gzip":
        body = _gunzip(body, limit)
    elif encoding not in ("", "identity"):
        raise BadRequest("unsupported_encoding", f"Content-Encoding `{encoding}` is not supported; use gzip")
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


def create_app(config: CollectorConfig) -> Starlette:
    collector = Collector(config)

    def single(event_type: str):
        async def endpoint(request: Request) -> Response:
            try:
                authorization = request.headers.get("authorization")
                key_name = collector.key_name(authorization) if authorization else None
                body = await _read_body(request, config.max_event_bytes)
                event = ev.parse_json(body)
                if key_name is None:
                    key_name = collector.key_name(None, event.get("writeKey") if isinstance(event, dict) else None)
                ev.check_event(event, event_type)
                had_id = bool(event.get("messageId"))
                received_at, received_text = _now()
                ev.stamp(event, event_type, received_at, received_text, key_name)
                await collector.accept([ev.to_line(event)], [event["messageId"] if had_id else None])
            except CollectError as exc:
                return _error(exc)
            except SpoolError as exc:
                return _error(ServiceUnavailable("spool_unavailable", str(exc)))
            return Response(_OK, media_type="application/json")

        return endpoint

    async def batch(request: Request) -> Response:
        try:
            authorization = request.headers.get("authorization")
            key_name = collector.key_name(authorization) if authorization else None
            body = await _read_body(request, config.max_batch_bytes)
            parsed = ev.parse_json(body)
            if key_name is None:
                key_name = collector.key_name(None, parsed.get("writeKey") if isinstance(parsed, dict) else None)
            events, shared = ev.batch_events(parsed)
            measure = len(body) > config.max_event_bytes  # a smaller body cannot hold an event over the limit
            received_at, received_text = _now()
            lines: list[bytes] = []
            ids: list[str | None] = []
            for index, event in enumerate(events):
                try:
                    event_type = ev.event_type_of(event)
                    ev.check_event(event, event_type)
                    if measure and len(orjson.dumps(event)) > config.max_event_bytes:
                        raise BadRequest("event_too_large", f"The event is over {config.max_event_bytes} bytes")
                except BadRequest as exc:
                    raise BadRequest(exc.code, f"batch[{index}]: {exc.message}") from None
                had_id = bool(event.get("messageId"))
                ev.stamp(event, event_type, received_at, received_text, key_name, shared)
                lines.append(ev.to_line(event))
                ids.append(event["messageId"] if had_id else None)
            await collector.accept(lines, ids)
        except CollectError as exc:
            return _error(exc)
        except SpoolError as exc:
            return _error(ServiceUnavailable("spool_unavailable", str(exc)))
        return Response(_OK, media_type="application/json")

    async def health(request: Request) -> Response:
        stats = collector.spool.stats
        body = {"ok": True, "events": stats.events, "groups": stats.groups, "duplicates": collector.duplicates}
        return Response(orjson.dumps(body), media_type="application/json")

    routes = [
        Route(path, single(event_type), methods=["POST"])
        for event_type, paths in SINGLE_ROUTES.items()
        for path in paths
    ]
    routes += [Route(path, batch, methods=["POST"]) for path in BATCH_ROUTES]
    routes.append(Route("/health", health, methods=["GET"]))

    @asynccontextmanager
    async def lifespan(app: Starlette):
        collector.start()
        try:
            yield
        finally:
            await asyncio.to_thread(collector.stop)

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.collector = collector
    return app
