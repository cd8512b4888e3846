"""Constants of the ads source: the Meta Marketing API request, paging, restatement, landing files, column hints."""

from typing import Any

SOURCE_NAME = "ads"
META_TABLE = "meta_insights"
GOOGLE_TABLE = "google_ads_campaigns"

# Meta Marketing API
API_VERSION = "v19.0"
PAGE_SIZE = 500  # the insights edge's maximum
INSIGHT_FIELDS = (
    "account_id", "account_currency", "campaign_id", "campaign_name", "adset_id", "adset_name", "ad_id",
    "ad_name", "objective", "date_start", "date_stop", "impressions", "clicks", "spend", "actions",
)
# The first run reads as far back as the API keeps insights (37 months).
INITIAL_LOOKBACK_DAYS = 37 * 30
# Meta restates a day's figures for as long as conversions can still be attributed to it (28-day click
# window), so each run re-reads that many days before the last day it loaded; unchanged rows are dropped.
RESTATEMENT_DAYS = 28
# Long ranges are asked for in chunks, as the synchronous insights call times out on big accounts.
CHUNK_DAYS = 90
# Action types kept as columns; the whole list stays in `actions_json`.
ACTION_COLUMNS = {"link_click": "link_clicks", "lead": "leads"}

# Google Ads: a monthly campaign report export (GAQL field names), the current month rewritten daily.
GOOGLE_PATTERN = "google_ads/campaign_report_*.csv"
GOOGLE_HEADER = (
    "campaign.id", "campaign.name", "campaign.status", "segments.date", "customer.currency_code",
    "metrics.cost_micros", "metrics.clicks", "metrics.impressions", "metrics.conversions",
)


# Declared so that every contract column exists with its type even when a run has only nulls in it.
def _columns(types: dict[str, str], key: tuple[str, ...]) -> dict[str, Any]:
    return {
        name: {"name": name, "data_type": data_type, "nullable": name not in key} for name, data_type in types.items()
    }


META_COLUMNS = _columns({
    "ad_id": "text", "date_start": "date", "account_id": "text", "account_currency": "text",
    "campaign_id": "text", "campaign_name": "text", "adset_id": "text", "adset_name": "text", "ad_name": "text",
    "objective": "text", "impressions": "bigint", "clicks": "bigint",
    # a decimal string in the account currency, as the API sends it; staging casts it
    "spend": "text", "link_clicks": "bigint", "leads": "bigint", "actions_json": "text",
}, ("ad_id", "date_start"))
GOOGLE_COLUMNS = _columns({
    "campaign_id": "text", "report_date": "date", "campaign_name": "text", "campaign_status": "text",
    "currency_code": "text", "cost_micros": "bigint", "clicks": "bigint", "impressions": "bigint",
    "conversions": "double", "_file_name": "text",
}, ("campaign_id", "report_date"))
