"""CRM contacts: HubSpot-style CSV exports of the contacts modified since the previous export."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
from dlt.extract import DltResource

from ingestion.common.landing_tables import load_landing_table
from ingestion.crm import helpers, settings


@dlt.source(name=settings.SOURCE_NAME)
def crm_source(landing_dir: Path = dlt.config.value) -> DltResource:
    """The contacts exports under `landing_dir`."""
    return contacts(landing_dir)


@dlt.resource(name=settings.CONTACTS_TABLE, primary_key="contact_id", write_disposition="merge")
def contacts(landing_dir: Path) -> Iterator[Any]:
    """CRM contacts, one row per `Contact ID`.

    Merge: contacts change, and each export repeats the contacts modified since the last one, so a
    later export replaces the earlier version of a contact.
    """
    yield from load_landing_table(helpers.CONTACTS, landing_dir)
