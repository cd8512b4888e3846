"""Predictions on the Customer 360: churn propensity and 12-month value (scikit-learn), with backtests
against naive baselines, and the hit-rate evaluation of product recommendations.

The dbt Python model `customer_predictions` calls `score_customers`; tests and benchmarks call the
`backtest_*` and `recommendation_hit_rates` functions. Nothing here imports the CLI.
"""

from cdp.predict.backtest import PredictionBacktest, backtest_predictions, backtest_warehouse
from cdp.predict.models import CHURN_HORIZON_DAYS, VALUE_HORIZON_DAYS, score_customers
from cdp.predict.recommendations import HitRates, recommendation_hit_rates

__all__ = [
    "CHURN_HORIZON_DAYS",
    "VALUE_HORIZON_DAYS",
    "HitRates",
    "PredictionBacktest",
    "backtest_predictions",
    "backtest_warehouse",
    "recommendation_hit_rates",
    "score_customers",
]
