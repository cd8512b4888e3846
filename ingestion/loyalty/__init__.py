"""Loyalty programme: CSV exports of the members, keyed by loyalty card number."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
from dlt.extract import DltResource

from ingestion.common.landing_tables import load_landing_table
from ingestion.loyalty import helpers, settings


@dlt.source(name=settings.SOURCE_NAME)
def loyalty_source(landing_dir: Path = dlt.config.value) -> DltResource:
    """The members exports under `landing_dir`."""
    return members(landing_dir)


@dlt.resource(name=settings.MEMBERS_TABLE, primary_key="card_number", write_disposition="merge")
def members(landing_dir: Path) -> Iterator[Any]:
    """Members, one row per `card_number`.

    Merge: a member's tier, points and contact details change, and later exports repeat the member.
    """
    yield from load_landing_table(helpers.MEMBERS, landing_dir)
