"""Constants of the social source: Lead Ads webhook files, the lead request, column hints."""

from typing import Any

SOURCE_NAME = "social"
LEADS_TABLE = "leads"
API_VERSION = "v19.0"
# Webhook notifications (`object: page`, `field: leadgen`) as the receiving endpoint writes them, one
# file per day, e.g. webhooks/2026-03-01.jsonl.
WEBHOOK_PATTERN = "webhooks/*.jsonl"
LEAD_FIELDS = (
    "id", "created_time", "ad_id", "ad_name", "adset_id", "adset_name", "campaign_id", "campaign_name",
    "form_id", "platform", "is_organic", "field_data", "custom_disclaimer_responses",
)
# Lead form questions kept as columns; every answer stays in `field_data_json`.
FIELD_COLUMNS = {"email": "email", "phone_number": "phone_number", "full_name": "full_name"}
# The form's consent checkbox (`custom_disclaimer_responses`) that asks for marketing permission.
CONSENT_CHECKBOX = "marketing_opt_in"
# The Graph API code for an object that does not exist (any more): such a lead is quarantined.
MISSING_OBJECT = 100

LEAD_COLUMNS: dict[str, Any] = {
    name: {"name": name, "data_type": data_type, "nullable": name != "lead_id"}
    for name, data_type in {
        "lead_id": "text", "created_time": "timestamp", "form_id": "text", "ad_id": "text", "ad_name": "text",
        "adset_id": "text", "campaign_id": "text", "campaign_name": "text", "page_id": "text", "platform": "text",
        "is_organic": "bool", "email": "text", "phone_number": "text", "full_name": "text",
        "has_marketing_consent": "bool", "field_data_json": "text", "notified_at": "timestamp",
        "_file_name": "text",
    }.items()
}
