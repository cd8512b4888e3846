"""Where the email service provider's exports land and what they are called in the warehouse."""

SOURCE_NAME = "esp"
SUBSCRIBERS_TABLE = "subscribers"
EVENTS_TABLE = "events"
# A full export of the list, rewritten in place (read again whenever it changes).
SUBSCRIBERS_PATTERN = "subscribers.jsonl"
# One file per day, e.g. events/2026-03-01.jsonl
EVENTS_PATTERN = "events/*.jsonl"
