"""Product catalogue: every product, exported as one JSON array."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
from dlt.extract import DltResource

from ingestion.catalog import helpers, settings
from ingestion.common.landing_tables import load_landing_table


@dlt.source(name=settings.SOURCE_NAME)
def catalog_source(landing_dir: Path = dlt.config.value) -> DltResource:
    """The catalogue export under `landing_dir`."""
    return products(landing_dir)


@dlt.resource(name=settings.PRODUCTS_TABLE, primary_key="sku", write_disposition="merge")
def products(landing_dir: Path) -> Iterator[Any]:
    """Products, one row per `sku`.

    Merge: prices, stock and the active flag change, and the export is rewritten whole.
    """
    yield from load_landing_table(helpers.PRODUCTS, landing_dir)
