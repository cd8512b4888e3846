"""How a helpdesk ticket becomes a row of `raw_support.tickets`.

Nested objects are flattened with `__`, as dlt names them (`requester__email`,
`satisfaction_rating__score`); the ticket `id` is the helpdesk's integer id.
"""

from ingestion.common.records import Column, RawTable
from ingestion.support import settings

TICKETS = RawTable(
    source=settings.SOURCE_NAME,
    name=settings.TICKETS_TABLE,
    key="id",
    reader="json_array",
    pattern=settings.TICKETS_PATTERN,
    columns=(
        Column("id", "$.id", "BIGINT"),
        Column("requester__email", "$.requester.email"),
        Column("requester__phone", "$.requester.phone"),
        Column("requester__name", "$.requester.name"),
        Column("channel", "$.channel"),
        Column("subject", "$.subject"),
        Column("status", "$.status"),
        Column("priority", "$.priority"),
        Column("created_at", "$.created_at", "TIMESTAMPTZ"),
        Column("updated_at", "$.updated_at", "TIMESTAMPTZ"),
        Column("satisfaction_rating__score", "$.satisfaction_rating.score", "BIGINT"),
        Column("satisfaction_rating__submitted_at", "$.satisfaction_rating.submitted_at", "TIMESTAMPTZ"),
    ),
)
