"""Check a Segment event and stamp it as the spool stores it: pure functions, no I/O.

A spooled event is the event as received, plus what the server decides (as Segment does):
- `receivedAt`: when the collector got the request (UTC, milliseconds, `Z`);
- `timestamp`: the client's `timestamp` corrected for the device's clock skew, when the client said when
  it sent the request: `receivedAt - (sentAt - timestamp)`; the client's own value moves to
  `originalTimestamp`. Without `sentAt` the client's `timestamp` is kept; without either it is `receivedAt`;
- `messageId`: `api-<uuid4>` when the client sent none (such events cannot be deduplicated);
- `keyId`: the name of the write key that sent it; the key itself is never stored (`writeKey` is dropped).
"""

import functools
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from realtime.errors import BadRequest

EVENT_TYPES = ("track", "identify", "page", "screen", "group", "alias")
_OBJECT_FIELDS = ("context", "properties", "traits", "integrations")
# `timestamp` and `sentAt` are checked where they are used, by `stamp`.
_TIMESTAMP_FIELDS = ("originalTimestamp",)
MAX_MESSAGE_ID_CHARS = 256


def parse_json(body: bytes) -> Any:
    """The JSON value of a request body; 400 `invalid_json` when it is not JSON (or not valid UTF-8)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest("invalid_json", f"The body is not valid JSON: {exc}") from None


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@functools.lru_cache(maxsize=4096)  # the events of a batch share its sentAt, often their timestamps too
def _parse_iso(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_time(value: Any, field: str) -> datetime:
    """An ISO 8601 timestamp; one without an offset is read as UTC. 400 `invalid_timestamp` otherwise."""
    if isinstance(value, str):
        moment = _parse_iso(value)
        if moment is not None:
            return moment
    raise BadRequest("invalid_timestamp", f"`{field}` must be an ISO 8601 timestamp, got `{_show(value)}`")


def _show(value: Any) -> str:
    text = orjson.dumps(value).decode() if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."


def _is_id(value: Any) -> bool:
    # Segment ids are strings; numbers are accepted too (some clients send numeric user ids).
    if isinstance(value, str):
        return value != ""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _require_id(event: dict[str, Any], field: str, event_type: str) -> None:
    if field not in event or event[field] is None:
        raise BadRequest("missing_field", f"A `{event_type}` event needs `{field}`")
    if not _is_id(event[field]):
        raise BadRequest("invalid_field", f"`{field}` must be a non-empty string, got `{_show(event[field])}`")


def _require_user(event: dict[str, Any], event_type: str) -> None:
    user_id, anonymous_id = event.get("userId"), event.get("anonymousId")
    if user_id is None and anonymous_id is None:
        raise BadRequest("missing_field", f"A `{event_type}` event needs `userId` or `anonymousId`")
    for field, value in (("userId", user_id), ("anonymousId", anonymous_id)):
        if value is not None and not _is_id(value):
            raise BadRequest("invalid_field", f"`{field}` must be a non-empty string, got `{_show(value)}`")


def check_event(event: Any, event_type: str) -> None:
    """Raise BadRequest when `event` is not a valid Segment event of `event_type`."""
    if not isinstance(event, dict):
        raise BadRequest("invalid_event", f"An event must be a JSON object, got `{_show(event)}`")
    if event_type == "alias":
        _require_id(event, "previousId", "alias")
        _require_id(event, "userId", "alias")
    else:
        _require_user(event, event_type)
    if event_type == "track":
        name = event.get("event")
        if name is None:
            raise BadRequest("missing_field", "A `track` event needs `event`, the name of the action")
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("invalid_field", f"`event` must be a non-empty string, got `{_show(name)}`")
    elif event_type == "group":
        _require_id(event, "groupId", "group")
    elif event_type in ("page", "screen"):
        for field in ("name", "category"):
            if event.get(field) is not None and not isinstance(event[field], str):
                raise BadRequest("invalid_field", f"`{field}` must be a string, got `{_show(event[field])}`")
    for field in _OBJECT_FIELDS:
        value = event.get(field)
        if value is not None and not isinstance(value, dict):
            raise BadRequest("invalid_field", f"`{field}` must be a JSON object, got `{_show(value)}`")
    message_id = event.get("messageId")
    if message_id is not None and not (isinstance(message_id, str) and 0 < len(message_id) <= MAX_MESSAGE_ID_CHARS):
        raise BadRequest(
            "invalid_field",
            f"`messageId` must be a string of 1 to {MAX_MESSAGE_ID_CHARS} characters, got `{_show(message_id)}`",
        )
    for field in _TIMESTAMP_FIELDS:
        if event.get(field) is not None:
            parse_time(event[field], field)


def batch_events(body: Any) -> tuple[list[Any], dict[str, Any]]:
    """The events of a `/v1/batch` body and the fields given once for all of them (sentAt, context, ...)."""
    if not isinstance(body, dict):
        raise BadRequest("invalid_body", f"A batch must be a JSON object with `batch`, got `{_show(body)}`")
    events = body.get("batch")
    if not isinstance(events, list):
        raise BadRequest("invalid_batch", "`batch` must be a JSON array of events")
    if not events:
        raise BadRequest("empty_batch", "`batch` is empty")
    shared = {field: body[field] for field in ("sentAt", "context", "integrations") if body.get(field) is not None}
    if "sentAt" in shared:
        parse_time(shared["sentAt"], "sentAt")
    for field in ("context", "integrations"):
        if field in shared and not isinstance(shared[field], dict):
            raise BadRequest("invalid_field", f"`{field}` must be a JSON object")
    return events, shared


def event_type_of(event: Any) -> str:
    """The `type` of an event inside a batch; 400 when it is missing or not a Segment type."""
    event_type = event.get("type") if isinstance(event, dict) else None
    if event_type not in EVENT_TYPES:
        raise BadRequest("invalid_type", f"`type` must be one of {', '.join(EVENT_TYPES)}, got `{_show(event_type)}`")
    return event_type


def stamp(
    event: dict[str, Any],
    event_type: str,
    received_at: datetime,
    received_at_text: str,
    key_name: str,
    shared: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Add what the server decides to a checked event (in place) and return it; 400 `invalid_timestamp`
    when its `timestamp` or `sentAt` is not a timestamp (so stamp every event before spooling any)."""
    if shared:
        for field, value in shared.items():
            event.setdefault(field, value)
    event.pop("writeKey", None)
    event["type"] = event_type
    if not event.get("messageId"):
        event["messageId"] = f"api-{uuid.uuid4()}"
    client_time = event.get("timestamp")
    sent_at = event.get("sentAt")
    sent_at_time = parse_time(sent_at, "sentAt") if sent_at is not None else None
    if client_time is not None:
        client_moment = parse_time(client_time, "timestamp")
        event.setdefault("originalTimestamp", client_time)
        if sent_at_time is not None:
            event["timestamp"] = format_time(received_at - (sent_at_time - client_moment))
    else:
        event["timestamp"] = received_at_text
    event["receivedAt"] = received_at_text
    event["keyId"] = key_name
    return event


def to_line(event: dict[str, Any]) -> bytes:
    """One spool line: compact JSON, UTF-8 as is (no escaping), ending in a newline."""
    return orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE)
