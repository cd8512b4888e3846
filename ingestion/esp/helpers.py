"""How ESP subscribers and email events become rows of `raw_esp.subscribers` and `raw_esp.events`.

Fields keep their names from the files, except the event's `type`, renamed `event_type`.
"""

from ingestion.common.records import Column, RawTable
from ingestion.esp import settings

SUBSCRIBERS = RawTable(
    source=settings.SOURCE_NAME,
    name=settings.SUBSCRIBERS_TABLE,
    key="subscriber_id",
    reader="jsonl",
    pattern=settings.SUBSCRIBERS_PATTERN,
    columns=(
        Column("subscriber_id", "$.subscriber_id"),
        Column("email", "$.email"),
        Column("status", "$.status"),
        Column("list_id", "$.list_id"),
        Column("language", "$.language"),
        Column("country", "$.country"),
        Column("opted_in_at", "$.opted_in_at", "TIMESTAMPTZ"),
        Column("unsubscribed_at", "$.unsubscribed_at", "TIMESTAMPTZ"),
        Column("updated_at", "$.updated_at", "TIMESTAMPTZ"),
    ),
)

EVENTS = RawTable(
    source=settings.SOURCE_NAME,
    name=settings.EVENTS_TABLE,
    key="event_id",
    reader="jsonl",
    pattern=settings.EVENTS_PATTERN,
    columns=(
        Column("event_id", "$.event_id"),
        Column("subscriber_id", "$.subscriber_id"),
        Column("email", "$.email"),
        Column("campaign_id", "$.campaign_id"),
        Column("campaign_name", "$.campaign_name"),
        Column("event_type", "$.type"),
        Column("occurred_at", "$.occurred_at", "TIMESTAMPTZ"),
        Column("url", "$.url"),
        Column("bounce_type", "$.bounce_type"),
    ),
)
