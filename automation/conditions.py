"""Property filters (`where:`) on event properties and profile conditions (`profile:`, `branch.if`)."""

from collections.abc import Mapping, Set
from typing import Any

_MISSING = object()


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if op == "exists":
        return (actual is not _MISSING and actual is not None) == bool(expected)
    if actual is _MISSING or actual is None:
        return op in ("ne", "not_in")
    if op == "eq":
        return actual == expected
    if op == "ne":
        return actual != expected
    if op == "in":
        return actual in expected
    if op == "not_in":
        return actual not in expected
    try:
        if op == "gt":
            return actual > expected
        if op == "gte":
            return actual >= expected
        if op == "lt":
            return actual < expected
        if op == "lte":
            return actual <= expected
    except TypeError:  # a string compared with a number: not a match
        return False
    raise ValueError(f"Unknown operator `{op}`")


def matches(values: Mapping[str, Any], where: Mapping[str, Any] | None) -> bool:
    """True when every `where` entry holds for `values` (a plain value means equals)."""
    for name, test in (where or {}).items():
        actual = values.get(name, _MISSING)
        tests = test.items() if isinstance(test, Mapping) else [("eq", test)]
        if not all(_compare(op, actual, expected) for op, expected in tests):
            return False
    return True


def holds(condition: Mapping[str, Any] | None, profile: Mapping[str, Any], segments: Set[str]) -> bool:
    """A profile condition on traits and segment memberships (all/any/not combine them)."""
    if not condition:
        return True
    ((kind, value),) = condition.items()
    if kind == "all":
        return all(holds(c, profile, segments) for c in value)
    if kind == "any":
        return any(holds(c, profile, segments) for c in value)
    if kind == "not":
        return not holds(value, profile, segments)
    if kind == "traits":
        return matches(profile, value)
    if kind == "in_segment":
        return value in segments
    if kind == "not_in_segment":
        return value not in segments
    raise ValueError(f"Unknown condition `{kind}`")
