"""How a row of a loyalty members export becomes a row of `raw_loyalty.members` (columns as in the file)."""

from ingestion.common.records import RawTable, csv_column
from ingestion.loyalty import settings

MEMBERS = RawTable(
    source=settings.SOURCE_NAME,
    name=settings.MEMBERS_TABLE,
    key="card_number",
    reader="csv",
    pattern=settings.MEMBERS_PATTERN,
    columns=(
        csv_column("card_number", "card_number"),
        csv_column("email", "email"),
        csv_column("phone", "phone"),
        csv_column("first_name", "first_name"),
        csv_column("last_name", "last_name"),
        csv_column("tier", "tier"),
        csv_column("points_balance", "points_balance", "BIGINT"),
        csv_column("joined_at", "joined_at", "TIMESTAMPTZ"),
        csv_column("updated_at", "updated_at", "TIMESTAMPTZ"),
        csv_column("country", "country"),
        csv_column("home_store_id", "home_store_id"),
        # for the birthday voucher and the nearest store: text as exported (staging parses the date)
        csv_column("birth_date", "birth_date"),
        csv_column("postcode", "postcode"),
    ),
)
