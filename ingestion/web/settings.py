"""Where the web events land and what they are called in the warehouse."""

SOURCE_NAME = "web"
EVENTS_TABLE = "events"
# One file per day of `receivedAt`, e.g. events/2026-03-01.jsonl
EVENTS_PATTERN = "events/*.jsonl"
