"""Hit rate at 10 of customer_product_recommendations on each customer's held-out last order, against
recommending the most bought products.

`build_holdout_recommendations` rebuilds the recommendations of a warehouse with var
`recommendations_holdout_last_order`, so each customer's last order (and what followed it) is unseen;
`recommendation_hit_rates` then counts, over customers with at least two orders, how often one of the
10 recommended products is in that last order, and the same for the 10 most bought products that are in
stock and not already bought (the popularity baseline). Use it on a copy: it rewrites the mart.
"""

from dataclasses import dataclass

from cdp.build import run_dbt
from cdp.config import Settings

K = 10

HOLDOUT_MODELS = "int_customer_product_interactions customer_product_recommendations"

_HIT_RATES_SQL = f"""
with
lines as (
    select customer_id, order_id, ordered_at, sku
    from intermediate.int_order_lines_unioned
    where customer_id is not null and not is_return and sku is not null
),
last_orders as (
    select customer_id, max(ordered_at) as last_ordered_at
    from lines
    group by customer_id
    having count(distinct order_id) >= 2
),
held_out as (
    select distinct lines.customer_id, lines.sku
    from lines
    inner join last_orders
        on lines.customer_id = last_orders.customer_id and lines.ordered_at = last_orders.last_ordered_at
),
interactions as (
    select * from intermediate.int_customer_product_interactions
),
recommended as (
    select customer_id, sku from marts.customer_product_recommendations where recommendation_rank <= {K}
),
popular as (
    select interactions.sku, sum(case when interactions.is_bought then 1 else 0 end) as buyers
    from interactions
    inner join staging.stg_catalog__products as products on interactions.sku = products.sku
    where products.is_active and products.stock_quantity > 0
    group by interactions.sku
    having sum(case when interactions.is_bought then 1 else 0 end) > 0
),
popular_ranked as (
    select
        last_orders.customer_id,
        popular.sku,
        row_number() over (partition by last_orders.customer_id order by popular.buyers desc, popular.sku) as rank
    from last_orders
    cross join popular
    left join interactions as already
        on already.customer_id = last_orders.customer_id and already.sku = popular.sku and already.is_bought
    where already.sku is null
),
hits as (
    select
        last_orders.customer_id,
        exists (
            select 1 from recommended inner join held_out using (customer_id, sku)
            where recommended.customer_id = last_orders.customer_id
        ) as model_hit,
        exists (
            select 1 from popular_ranked inner join held_out using (customer_id, sku)
            where popular_ranked.customer_id = last_orders.customer_id and popular_ranked.rank <= {K}
        ) as popularity_hit
    from last_orders
)
select
    count(*) as customers,
    coalesce(avg(case when model_hit then 1.0 else 0.0 end), 0) as model_hit_rate,
    coalesce(avg(case when popularity_hit then 1.0 else 0.0 end), 0) as popularity_hit_rate
from hits
"""


@dataclass(frozen=True)
class HitRates:
    customers: int
    model: float
    popularity: float

    def lines(self) -> list[str]:
        return [
            f"recommendations: {self.customers} customers with a held-out last order; hit rate @{K} "
            f"co-occurrence {self.model:.3f} vs popularity {self.popularity:.3f}"
        ]


def build_holdout_recommendations(settings: Settings) -> None:
    """Rebuild the recommendation inputs and mart of `settings`' warehouse without each customer's last
    order (dbt var recommendations_holdout_last_order)."""
    run_dbt(
        settings,
        "run",
        ["--select", *HOLDOUT_MODELS.split(), "--vars", "{recommendations_holdout_last_order: true}"],
        quiet=True,
    )


def recommendation_hit_rates(conn) -> HitRates:
    """Hit rates at 10 on a warehouse whose recommendations were built by build_holdout_recommendations."""
    customers, model, popularity = conn.execute(_HIT_RATES_SQL).fetchall()[0]
    return HitRates(customers=int(customers), model=float(model), popularity=float(popularity))
