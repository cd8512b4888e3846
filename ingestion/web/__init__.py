"""Web and app behaviour: Segment spec events exported as one JSONL file per day."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
from dlt.extract import DltResource

from ingestion.common.landing_tables import load_landing_table
from ingestion.web import helpers, settings


@dlt.source(name=settings.SOURCE_NAME)
def web_source(landing_dir: Path = dlt.config.value) -> DltResource:
    """The Segment events under `landing_dir/events/`."""
    return events(landing_dir)


@dlt.resource(name=settings.EVENTS_TABLE, primary_key="message_id", write_disposition="merge")
def events(landing_dir: Path) -> Iterator[Any]:
    """Segment events, one row per `messageId`.

    Merge, not append, although events never change: Segment delivers at least once, so the same
    `messageId` can come again in a later file; merging on it keeps one row per event.
    """
    yield from load_landing_table(helpers.EVENTS, landing_dir)
