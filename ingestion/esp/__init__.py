"""Email service provider: the subscriber list and the email events (sends, opens, clicks, ...)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
from dlt.extract import DltResource

from ingestion.common.landing_tables import load_landing_table
from ingestion.esp import helpers, settings


@dlt.source(name=settings.SOURCE_NAME)
def esp_source(landing_dir: Path = dlt.config.value) -> list[DltResource]:
    """The subscriber export and the daily event files under `landing_dir`."""
    return [subscribers(landing_dir), events(landing_dir)]


@dlt.resource(name=settings.SUBSCRIBERS_TABLE, primary_key="subscriber_id", write_disposition="merge")
def subscribers(landing_dir: Path) -> Iterator[Any]:
    """Subscribers, one row per `subscriber_id`.

    Merge: a subscriber's status changes (unsubscribed, cleaned), and the export is rewritten whole.
    """
    yield from load_landing_table(helpers.SUBSCRIBERS, landing_dir)


@dlt.resource(name=settings.EVENTS_TABLE, primary_key="event_id", write_disposition="merge")
def events(landing_dir: Path) -> Iterator[Any]:
    """Email events, one row per `event_id`.

    Merge, not append, although events never change: the provider's webhooks deliver at least once,
    so an event can come again in a later file; merging on `event_id` keeps one row per event.
    """
    yield from load_landing_table(helpers.EVENTS, landing_dir)
