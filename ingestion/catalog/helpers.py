"""How a catalogue product becomes a row of `raw_catalog.products`.

`price` is flattened with `__` as dlt names it; the amount stays the decimal string the catalogue
exports (staging casts it).
"""

from ingestion.catalog import settings
from ingestion.common.records import Column, RawTable

PRODUCTS = RawTable(
    source=settings.SOURCE_NAME,
    name=settings.PRODUCTS_TABLE,
    key="sku",
    reader="json_array",
    pattern=settings.PRODUCTS_PATTERN,
    columns=(
        Column("sku", "$.sku"),
        Column("name", "$.name"),
        Column("category", "$.category"),
        Column("brand", "$.brand"),
        Column("price__amount", "$.price.amount"),
        Column("price__currency", "$.price.currency"),
        Column("stock", "$.stock", "BIGINT"),
        Column("is_active", "$.is_active", "BOOLEAN"),
        Column("updated_at", "$.updated_at", "TIMESTAMPTZ"),
    ),
)
