"""Durations as flows write them: `90s`, `30m`, `2h`, `60d`, `1w`."""

import re

from automation.errors import FlowError

PATTERN = r"^[0-9]+(s|m|h|d|w)$"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def seconds(text: str) -> float:
    match = re.match(PATTERN, str(text).strip())
    if not match:
        raise FlowError(f"Duration `{text}` is not a number followed by s, m, h, d or w (e.g. `30m`)")
    return int(str(text).strip()[:-1]) * _UNITS[match.group(1)]
