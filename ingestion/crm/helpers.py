"""How a row of a HubSpot-style contacts export becomes a row of `raw_crm.contacts`.

The export's headers are renamed to the contract's snake_case columns; values are kept as exported
(emails and phones are normalised in staging, not here).
"""

from ingestion.common.records import RawTable, csv_column
from ingestion.crm import settings

CONTACTS = RawTable(
    source=settings.SOURCE_NAME,
    name=settings.CONTACTS_TABLE,
    key="contact_id",
    reader="csv",
    pattern=settings.CONTACTS_PATTERN,
    columns=(
        csv_column("contact_id", "Contact ID"),
        csv_column("email", "Email"),
        csv_column("secondary_email", "Secondary Email"),
        csv_column("phone", "Phone Number"),
        csv_column("mobile_phone", "Mobile Phone Number"),
        csv_column("first_name", "First Name"),
        csv_column("last_name", "Last Name"),
        csv_column("company", "Company Name"),
        csv_column("lifecycle_stage", "Lifecycle Stage"),
        csv_column("country", "Country"),
        csv_column("email_opt_out", "Unsubscribed from all email", "BOOLEAN"),
        csv_column("created_at", "Create Date", "TIMESTAMPTZ"),
        csv_column("updated_at", "Last Modified Date", "TIMESTAMPTZ"),
        # personal data typed in by sales: kept as text, as exported (staging parses the date)
        csv_column("date_of_birth", "Date of Birth"),
        csv_column("street_address", "Street Address"),
        csv_column("postal_code", "Postal Code"),
        csv_column("city", "City"),
    ),
)
