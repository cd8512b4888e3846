"""Customer support: helpdesk tickets exported as a JSON array per month."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
from dlt.extract import DltResource

from ingestion.common.landing_tables import load_landing_table
from ingestion.support import helpers, settings


@dlt.source(name=settings.SOURCE_NAME)
def support_source(landing_dir: Path = dlt.config.value) -> DltResource:
    """The monthly ticket exports under `landing_dir`."""
    return tickets(landing_dir)


@dlt.resource(name=settings.TICKETS_TABLE, primary_key="id", write_disposition="merge")
def tickets(landing_dir: Path) -> Iterator[Any]:
    """Tickets, one row per ticket `id`.

    Merge: a ticket changes status and gets its satisfaction rating after it is first exported, and a
    month's file is re-exported while the month is open.
    """
    yield from load_landing_table(helpers.TICKETS, landing_dir)
