"""The `data` query parameter of the pixel and of tracked links: a Segment event as base64 JSON."""

import base64
import binascii
from typing import Any

from realtime import events as ev
from realtime.errors import BadRequest, PayloadTooLarge

# Standard and URL-safe alphabets are both accepted, with or without padding; a `+` that reached us as a
# space (an unencoded `+` in a query string) is read back as `+`.
_TO_STANDARD = str.maketrans({"-": "+", "_": "/", " ": "+"})


def decode_data(value: str | None, max_event_bytes: int) -> dict[str, Any]:
    """The event object encoded in `value`; 400 when it is missing, not base64, not JSON or not an
    object, 413 when it is over the per-event limit."""
    if not value:
        raise BadRequest("missing_data", "Send the event as base64 JSON in the `data` query parameter")
    if len(value) > (max_event_bytes * 4) // 3 + 4:
        raise PayloadTooLarge("request_too_large", f"The `data` parameter is over the limit of {max_event_bytes} bytes")
    text = value.strip().translate(_TO_STANDARD)
    text += "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("invalid_base64", "The `data` parameter is not base64 (standard or URL-safe)") from None
    parsed = ev.parse_json(raw)
    if not isinstance(parsed, dict):
        raise BadRequest("invalid_event", "The `data` parameter must encode a JSON object (one event)")
    return parsed
