"""Stores, receipts and receipt lines from the point-of-sale SQLite export into `raw_pos`."""

from typing import Any

import dlt
from dlt.sources.sql_database import sql_table

from ingestion.pos import helpers, settings


@dlt.source(name="pos")
def pos_source(credentials: str = dlt.secrets.value) -> Any:
    """The POS tables `stores`, `receipts` and `receipt_lines`, read from SQLite as Arrow batches."""
    helpers.check_sqlite_exists(credentials)
    return [pos_table(credentials, name) for name in settings.TABLES]


def pos_table(credentials: str, name: str) -> Any:
    """The `sql_table` resource of POS table `name`, merged on its key.

    Merge, not append: a till re-syncs a receipt when it is corrected (an e-receipt email or loyalty
    card added after payment) and store details change; each keeps one current row. Receipts and
    receipt lines are incremental on `updated_at`; stores (a few dozen rows, no change timestamp) are
    read whole and the unchanged ones dropped.
    """
    spec = settings.TABLES[name]
    incremental = None
    if spec.cursor:
        # No `lag=`: dlt 1.31 cannot step back a 'YYYY-MM-DD HH:MM:SS' text cursor; the loader does it.
        incremental = dlt.sources.incremental(spec.cursor, initial_value=settings.INITIAL_UPDATED_AT)
    return sql_table(
        credentials=credentials,
        table=name,
        backend="pyarrow",
        chunk_size=settings.CHUNK_SIZE,
        incremental=incremental,
        primary_key=spec.primary_key,
        write_disposition="merge",
        table_loader_class=helpers.PosTableLoader,
    )
