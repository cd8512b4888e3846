"""How a Segment event becomes a row of `raw_web.events`: the fields kept as columns and their types.

The fields staging needs are flattened into columns named `<object>_<field>` (the contract's names, one
underscore: `context_ip`, `properties_order_id`); `properties` and `traits` are also kept whole as JSON
text, so that a property nobody flattened yet is not lost.
"""

from ingestion.common.records import Column, RawTable
from ingestion.web import settings

EVENTS = RawTable(
    source=settings.SOURCE_NAME,
    name=settings.EVENTS_TABLE,
    key="message_id",
    reader="jsonl",
    pattern=settings.EVENTS_PATTERN,
    columns=(
        Column("message_id", "$.messageId"),
        Column("type", "$.type"),
        Column("event", "$.event"),
        Column("anonymous_id", "$.anonymousId"),
        Column("user_id", "$.userId"),
        Column("previous_id", "$.previousId"),
        Column("timestamp", "$.timestamp", "TIMESTAMPTZ"),
        Column("sent_at", "$.sentAt", "TIMESTAMPTZ"),
        Column("received_at", "$.receivedAt", "TIMESTAMPTZ"),
        Column("original_timestamp", "$.originalTimestamp", "TIMESTAMPTZ"),
        Column("name", "$.name"),
        Column("context_ip", "$.context.ip"),
        Column("context_user_agent", "$.context.userAgent"),
        Column("context_locale", "$.context.locale"),
        Column("context_device_id", "$.context.device.id"),
        Column("context_device_type", "$.context.device.type"),
        Column("context_page_url", "$.context.page.url"),
        Column("context_page_path", "$.context.page.path"),
        Column("context_page_referrer", "$.context.page.referrer"),
        Column("context_campaign_source", "$.context.campaign.source"),
        Column("context_campaign_medium", "$.context.campaign.medium"),
        Column("context_campaign_name", "$.context.campaign.name"),
        Column("traits_email", "$.traits.email"),
        Column("traits_phone", "$.traits.phone"),
        Column("traits_first_name", "$.traits.first_name"),
        Column("traits_last_name", "$.traits.last_name"),
        Column("properties_product_id", "$.properties.product_id"),
        Column("properties_sku", "$.properties.sku"),
        Column("properties_category", "$.properties.category"),
        # Segment sends prices and quantities as JSON numbers, not decimal strings.
        Column("properties_price", "$.properties.price", "DOUBLE"),
        Column("properties_quantity", "$.properties.quantity", "BIGINT"),
        Column("properties_cart_id", "$.properties.cart_id"),
        Column("properties_order_id", "$.properties.order_id"),
        Column("properties_revenue", "$.properties.revenue", "DOUBLE"),
        Column("properties_currency", "$.properties.currency"),
        Column("properties", "$.properties"),
        Column("traits", "$.traits"),
    ),
)
