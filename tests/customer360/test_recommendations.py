"""Recommendations: in stock, not already bought, with a reason; and on each customer's held-out last
order they hit more often than the most bought products.

Both run on a copy of the demo warehouse whose recommendations are rebuilt with the last orders held out:
the check of stock reads the catalogue view, so it must see the same catalogue the mart was built from."""

import duckdb
import pytest

from cdp.predict.recommendations import build_holdout_recommendations, recommendation_hit_rates
from tests.customer360.conftest import copy_warehouse


@pytest.fixture(scope="module")
def holdout_db(demo_warehouse, tmp_path_factory):
    settings = copy_warehouse(demo_warehouse, tmp_path_factory.mktemp("holdout") / "warehouse.duckdb")
    build_holdout_recommendations(settings)
    conn = duckdb.connect(str(settings.duckdb_path))
    yield conn
    conn.close()


def test_recommendations_are_in_stock_new_to_the_customer_and_explained(holdout_db):
    bad = holdout_db.execute(
        """
        select count(*)
        from marts.customer_product_recommendations as recs
        inner join staging.stg_catalog__products as products on recs.sku = products.sku
        left join intermediate.int_customer_product_interactions as already
            on recs.customer_id = already.customer_id and recs.sku = already.sku and already.is_bought
        where not products.is_active or products.stock_quantity <= 0 or already.sku is not null
            or recs.reason is null
            or (recs.recommendation_source = 'co_occurrence' and recs.because_of_sku is null)
        """
    ).fetchone()[0]
    most = holdout_db.execute(
        "select max(n) from (select count(*) as n from marts.customer_product_recommendations group by customer_id)"
    ).fetchone()[0]
    assert bad == 0
    assert most == 10


def test_co_occurrence_beats_popularity_on_held_out_last_orders(holdout_db):
    hit_rates = recommendation_hit_rates(holdout_db)
    assert hit_rates.customers > 50
    assert hit_rates.model > hit_rates.popularity, hit_rates.lines()
