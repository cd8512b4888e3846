"""The GET endpoints of emails and plain links: the tracking pixel and the click redirect.

Both carry one event as base64 JSON in `data`, with the write key inside (`writeKey`, as in Segment's
pixel API), and put it through the same checks, stamping and durable spool as a POST.
"""

import logging
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from realtime import events as ev
from realtime.errors import BadRequest, CollectError, ServiceUnavailable, SpoolError
from realtime.tracker.payload import decode_data
from realtime.tracker.safe_url import checked_target

log = logging.getLogger(__name__)

# The smallest transparent 1x1 GIF (GIF89a, one transparent pixel).
PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
_NO_STORE = {"Cache-Control": "no-store, no-cache, must-revalidate, max-age=0", "Pragma": "no-cache"}
CLICK_EVENT = "Link Clicked"


async def _spool_event(collector: Any, request: Request, event: dict[str, Any], event_type: str) -> None:
    """Check, stamp and spool one event; returns once it is durable."""
    key_name = collector.key_name(None, event.get("writeKey"))
    ev.check_event(event, event_type)
    user_agent = request.headers.get("user-agent")
    context = event.setdefault("context", {})
    if user_agent and isinstance(context, dict):
        context.setdefault("userAgent", user_agent[:512])
    had_id = bool(event.get("messageId"))
    received_at = datetime.now(UTC)
    ev.stamp(event, event_type, received_at, ev.format_time(received_at), key_name)
    await collector.accept([ev.to_line(event)], [event["messageId"] if had_id else None])


def pixel_endpoint(collector: Any):
    """`GET /v1/pixel/<type>?data=...`: 200 and the GIF once the event is durable; on a refusal the same
    GIF (an <img> shows nothing either way) with the refusal's status and its code in `X-Collect-Error`."""

    async def pixel(request: Request) -> Response:
        event_type = request.path_params["event_type"]
        try:
            if event_type not in ev.EVENT_TYPES:
                raise BadRequest("invalid_type", f"The pixel type must be one of {', '.join(ev.EVENT_TYPES)}")
            event = decode_data(request.query_params.get("data"), collector.config.max_event_bytes)
            await _spool_event(collector, request, event, event_type)
        except SpoolError as exc:
            return _gif(ServiceUnavailable("spool_unavailable", str(exc)))
        except CollectError as exc:
            return _gif(exc)
        return _gif(None)

    return pixel


def _gif(error: CollectError | None) -> Response:
    headers = dict(_NO_STORE)
    if error is not None:
        headers["X-Collect-Error"] = error.code
    return Response(
        PIXEL_GIF, status_code=200 if error is None else error.status, headers=headers, media_type="image/gif"
    )


def redirect_endpoint(collector: Any):
    """`GET /v1/r?u=<url>&data=...`: records a track event (`Link Clicked` unless `event` says otherwise,
    with the target in `properties.url`), then answers 302 to the target. The target is checked first:
    a host not on the allowed list is refused (400) whatever the payload. When the spool cannot write, the
    visitor is still sent on (a dead link costs more than one lost click) and the loss is logged."""

    async def redirect(request: Request) -> Response:
        try:
            target = checked_target(request.query_params.get("u"), collector.config.redirect_hosts)
            event = decode_data(request.query_params.get("data"), collector.config.max_event_bytes)
            if event.get("type", "track") != "track":
                raise BadRequest("invalid_type", "A tracked link records a `track` event")
            event["type"] = "track"
            event.setdefault("event", CLICK_EVENT)
            properties = event.setdefault("properties", {})
            if not isinstance(properties, dict):
                raise BadRequest("invalid_field", "`properties` must be a JSON object")
            properties["url"] = target
            await _spool_event(collector, request, event, "track")
        except SpoolError as exc:
            log.warning("click not recorded, redirecting anyway: %s", exc)
        except CollectError as exc:
            body = orjson.dumps({"success": False, "code": exc.code, "message": exc.message})
            return Response(body, status_code=exc.status, headers=_NO_STORE, media_type="application/json")
        return Response(status_code=302, headers={**_NO_STORE, "Location": target, "Referrer-Policy": "no-referrer"})

    return redirect
