"""Churn and value models beat their naive baselines in a backtest on the demo data, and the dbt Python
model scores every buyer.

The demo data spans two years, so the value backtest here uses a 180-day horizon (train at end - 360
days, predict at end - 180, compare with what was spent by the end); the benchmark
(benchmarks/customer360_predictions.py) runs the full 12-month horizon on three years of data."""

from datetime import datetime

import pytest

from cdp.predict import backtest_predictions
from tests.conftest import DEMO_END_DATE


@pytest.fixture(scope="module")
def backtest(demo_warehouse):
    import duckdb

    conn = duckdb.connect(str(demo_warehouse.duckdb_path))
    try:
        orders = conn.sql("select * from intermediate.int_orders_unioned").to_arrow_table()
        events = conn.sql("select * from intermediate.int_customer_events_unioned").to_arrow_table()
    finally:
        conn.close()
    end = datetime.combine(DEMO_END_DATE, datetime.min.time())
    return backtest_predictions(orders, events, end, value_horizon_days=180)


def test_churn_model_beats_the_recency_rule(backtest):
    assert backtest.churn_customers > 100
    assert 0 < backtest.churn_rate < 1
    assert backtest.churn_auc > backtest.churn_auc_recency_baseline, backtest.lines()


def test_value_model_beats_the_historical_average(backtest):
    assert backtest.value_customers > 100
    assert backtest.value_mae_eur < backtest.value_mae_historical_average_eur, backtest.lines()


def test_customer_predictions_scores_every_buyer_with_a_probability(demo_db):
    buyers, scored, out_of_range = demo_db.execute(
        """
        select
            (select count(*) from marts.customer_profiles where orders_count > 0),
            (select count(*) from marts.customer_predictions),
            (select count(*) from marts.customer_predictions
             where churn_probability not between 0 and 1 or predicted_value_12m_eur < 0)
        """
    ).fetchone()
    assert scored == buyers > 0
    assert out_of_range == 0


def test_models_are_trained_before_they_score(demo_db):
    bad = demo_db.execute(
        """
        select count(*) from marts.customer_predictions
        where churn_model_trained_as_of >= scored_as_of or value_model_trained_as_of >= churn_model_trained_as_of
        """
    ).fetchone()[0]
    assert bad == 0
