"""Social: Meta Lead Ads leads, announced by webhook notifications and fetched from the Graph API by id."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
from dlt.extract import DltResource

from ingestion.social import helpers, settings


@dlt.source(name=settings.SOURCE_NAME)
def social_source(
    base_url: str = dlt.config.value, access_token: str = dlt.secrets.value, landing_dir: Path = dlt.config.value
) -> DltResource:
    """The leads announced in the webhook files under `landing_dir/webhooks/`, fetched from `base_url`."""
    return leads(base_url, access_token, landing_dir)


@dlt.resource(name=settings.LEADS_TABLE, primary_key="lead_id", write_disposition="merge",
              columns=settings.LEAD_COLUMNS)
def leads(base_url: str, access_token: str, landing_dir: Path) -> Iterator[Any]:
    """One row per lead. Merge: a lead announced again in a later file (at-least-once delivery) is fetched
    again and replaces itself, so it is loaded once."""
    yield from helpers.read_leads(base_url, access_token, landing_dir)
