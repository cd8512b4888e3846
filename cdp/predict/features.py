"""Per-customer features and outcomes at a cutoff, from orders and timeline events only up to it.

Inputs are Arrow tables (or anything DuckDB can scan) with at least these columns:
orders: customer_id, ordered_at, net_amount_eur, is_return, order_channel (int_orders_unioned);
events: customer_id, occurred_at, source, event_type (int_customer_events_unioned).
"""

from datetime import datetime

import duckdb

FEATURES = [
    "recency_days",
    "tenure_days",
    "count_orders",
    "count_orders_90d",
    "count_orders_365d",
    "revenue_eur",
    "revenue_365d_eur",
    "average_order_value_eur",
    "store_share",
    "web_events_30d",
    "web_events_90d",
    "days_since_web",
    "email_opens_90d",
]

# Every aggregate reads only rows at or before the cutoff: the features a model is trained on are the
# ones it would have seen that day.
_FEATURES_SQL = """
with
known_orders as (
    select * from orders
    where customer_id is not null and ordered_at <= $cutoff
),
buyers as (
    select
        customer_id,
        date_diff('day', max(ordered_at) filter (where not is_return), $cutoff) as recency_days,
        date_diff('day', min(ordered_at) filter (where not is_return), $cutoff) as tenure_days,
        count(*) filter (where not is_return) as count_orders,
        count(*) filter (where not is_return and ordered_at > $cutoff - interval 90 day) as count_orders_90d,
        count(*) filter (where not is_return and ordered_at > $cutoff - interval 365 day) as count_orders_365d,
        coalesce(sum(net_amount_eur), 0) as revenue_eur,
        coalesce(sum(net_amount_eur) filter (where ordered_at > $cutoff - interval 365 day), 0)
            as revenue_365d_eur,
        coalesce(sum(net_amount_eur), 0) / greatest(count(*) filter (where not is_return), 1)
            as average_order_value_eur,
        avg(case when order_channel = 'store' then 1.0 else 0.0 end) as store_share
    from known_orders
    group by customer_id
    having count(*) filter (where not is_return) > 0
),
engagement as (
    select
        customer_id,
        count(*) filter (where source = 'web' and occurred_at > $cutoff - interval 30 day) as web_events_30d,
        count(*) filter (where source = 'web' and occurred_at > $cutoff - interval 90 day) as web_events_90d,
        date_diff('day', max(occurred_at) filter (where source = 'web'), $cutoff) as days_since_web,
        count(*) filter (where event_type = 'email_open' and occurred_at > $cutoff - interval 90 day)
            as email_opens_90d
    from events
    where customer_id is not null and occurred_at <= $cutoff
    group by customer_id
),
outcomes as (
    select
        customer_id,
        count(*) filter (
            where not is_return and ordered_at > $cutoff and ordered_at <= $cutoff + to_days($churn_days)
        ) as orders_next_churn_horizon,
        coalesce(sum(net_amount_eur) filter (
            where ordered_at > $cutoff and ordered_at <= $cutoff + to_days($value_days)
        ), 0) as revenue_next_value_horizon_eur
    from orders
    where customer_id is not null
    group by customer_id
)
select
    buyers.customer_id,
    buyers.recency_days,
    buyers.tenure_days,
    buyers.count_orders,
    buyers.count_orders_90d,
    buyers.count_orders_365d,
    buyers.revenue_eur,
    buyers.revenue_365d_eur,
    buyers.average_order_value_eur,
    buyers.store_share,
    coalesce(engagement.web_events_30d, 0) as web_events_30d,
    coalesce(engagement.web_events_90d, 0) as web_events_90d,
    coalesce(engagement.days_since_web, 9999) as days_since_web,
    coalesce(engagement.email_opens_90d, 0) as email_opens_90d,
    coalesce(outcomes.orders_next_churn_horizon, 0) = 0 as churned,
    coalesce(outcomes.revenue_next_value_horizon_eur, 0) as future_value_eur
from buyers
left join engagement on buyers.customer_id = engagement.customer_id
left join outcomes on buyers.customer_id = outcomes.customer_id
order by buyers.customer_id
"""


def customer_features(orders, events, cutoff: datetime, churn_days: int, value_days: int) -> dict[str, list]:
    """One entry per customer who had bought by `cutoff`: FEATURES as of the cutoff, and what happened
    after it (`churned`: no order in the next `churn_days`; `future_value_eur`: revenue in the next
    `value_days`). Outcomes are only meaningful when the data reaches that far past the cutoff."""
    conn = duckdb.connect()
    try:
        conn.register("orders", orders)
        conn.register("events", events)
        rel = conn.execute(
            _FEATURES_SQL,
            {"cutoff": cutoff, "churn_days": churn_days, "value_days": value_days},
        )
        columns = [d[0] for d in rel.description]
        rows = rel.fetchall()
    finally:
        conn.close()
    return {name: [row[i] for row in rows] for i, name in enumerate(columns)}
