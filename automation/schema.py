"""The JSON Schema of a flow file (`flows/<name>.yml`) and of the shared policy (`flows/_policy.yml`)."""

from automation.durations import PATTERN as DURATION

_DURATION = {"type": "string", "pattern": DURATION}
_TIME_OF_DAY = {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$"}
_NAME = {"type": "string", "minLength": 1}
CHANNELS = ("email", "sms", "web_push", "webhook", "onsite")

# A property filter: {property: value} (equals) or {property: {op: value}}.
_FILTER = {
    "type": "object",
    "additionalProperties": {
        "anyOf": [
            {"type": ["string", "number", "boolean", "null"]},
            {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": False,
                "properties": {op: {} for op in ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "exists")},
            },
        ]
    },
}

# A profile condition: traits, segments, combined with all/any/not.
_CONDITION = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 1,
    "properties": {
        "all": {"type": "array", "items": {"$ref": "#/$defs/condition"}, "minItems": 1},
        "any": {"type": "array", "items": {"$ref": "#/$defs/condition"}, "minItems": 1},
        "not": {"$ref": "#/$defs/condition"},
        "traits": _FILTER,
        "in_segment": _NAME,
        "not_in_segment": _NAME,
    },
    "additionalProperties": False,
}

_EVENTS = {"type": "array", "items": _NAME, "minItems": 1}

_TRIGGERS = [
    {
        "properties": {
            "type": {"const": "event"},
            "event": _NAME,
            "where": _FILTER,
            "profile": {"$ref": "#/$defs/condition"},
            "key": _NAME,
        },
        "required": ["type", "event"],
    },
    {
        "properties": {
            "type": {"const": "absence"},
            "event": _NAME,
            "where": _FILTER,
            "profile": {"$ref": "#/$defs/condition"},
            "missing": _NAME,
            "key": _NAME,
            "within": _DURATION,
        },
        "required": ["type", "event", "missing", "key", "within"],
    },
    {
        "properties": {"type": {"const": "inactivity"}, "events": _EVENTS, "for": _DURATION},
        "required": ["type", "events", "for"],
    },
    {
        "properties": {"type": {"const": "returned"}, "events": _EVENTS, "after": _DURATION},
        "required": ["type", "events", "after"],
    },
    {
        "properties": {"type": {"enum": ["segment_entered", "segment_exited"]}, "segment": _NAME},
        "required": ["type", "segment"],
    },
    {
        "properties": {
            "type": {"const": "trait_changed"},
            "trait": _NAME,
            "to": {"type": "array", "minItems": 1},
            "crosses": {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 1,
                "additionalProperties": False,
                "properties": {"above": {"type": "number"}, "below": {"type": "number"}},
            },
            "up_in": {"type": "array", "minItems": 2},
        },
        "required": ["type", "trait"],
    },
    {
        "properties": {
            "type": {"const": "restock"},
            "viewed_within": _DURATION,
            "view_event": _NAME,
        },
        "required": ["type", "viewed_within"],
    },
]
for _trigger in _TRIGGERS:
    _trigger["additionalProperties"] = False

_STEP = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$"},
        "wait": {
            "anyOf": [
                _DURATION,
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"until": _TIME_OF_DAY, "at_least": _DURATION},
                    "required": ["until"],
                },
            ]
        },
        "branch": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"if": {"$ref": "#/$defs/condition"}, "goto": _NAME},
            "required": ["if", "goto"],
        },
        "send": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "channel": {"enum": list(CHANNELS)},
                "purpose": _NAME,
                "subject": {"type": "string"},
                "body": {"type": "string", "minLength": 1},
                "url": {"type": "string"},
            },
            "required": ["channel", "body"],
        },
        "exit": {"const": True},
    },
    "required": ["id"],
    "additionalProperties": False,
    "minProperties": 2,
    "maxProperties": 2,
}

FLOW_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {"condition": _CONDITION},
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "version", "trigger", "steps"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$"},
        "version": {"type": "integer", "minimum": 1},
        "description": {"type": "string"},
        "enabled": {"type": "boolean"},
        "trigger": {"type": "object", "required": ["type"], "oneOf": _TRIGGERS},
        "entry": {"enum": ["once", "once_per_key", "again_after_exit"]},
        "exit": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "goal": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"event": _NAME, "where": _FILTER, "same_key": {"type": "boolean"}},
                    "required": ["event"],
                },
                "segment_exited": _NAME,
            },
        },
        "steps": {"type": "array", "items": _STEP, "minItems": 1},
    },
}

POLICY_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "caps": {
            "type": "object",
            "propertyNames": {"enum": [*CHANNELS, "all"]},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"max": {"type": "integer", "minimum": 0}, "per": _DURATION},
                "required": ["max", "per"],
            },
        },
        "quiet_hours": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "start": _TIME_OF_DAY,
                "end": _TIME_OF_DAY,
                "channels": {"type": "array", "items": {"enum": list(CHANNELS)}},
            },
            "required": ["start", "end", "channels"],
        },
        "default_timezone": {"type": "string"},
        "timezone_trait": {"type": "string"},
        "unsubscribe_url": {"type": "string"},
    },
}
