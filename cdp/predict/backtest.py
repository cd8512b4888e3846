"""Backtests of the churn and value models against naive baselines, on data whose future is known.

Churn: predictions made at T = end - 90 days (model trained at T - 90 days) against what happened in
(T, end]; AUC of the model vs the recency rule (longer since the last order = likelier to churn).
Value: predictions made at T = end - horizon (model trained at T - horizon) against revenue in (T, end];
mean absolute error of the model vs the historical average (the customer's average yearly revenue so
far, scaled to the horizon).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sklearn.metrics import roc_auc_score

from cdp.config import Settings
from cdp.predict.features import customer_features
from cdp.predict.models import CHURN_HORIZON_DAYS, VALUE_HORIZON_DAYS, feature_matrix, fit_churn, fit_value
from cdp.warehouse import connect


@dataclass(frozen=True)
class PredictionBacktest:
    churn_customers: int
    churn_rate: float
    churn_auc: float
    churn_auc_recency_baseline: float
    value_customers: int
    value_mae_eur: float
    value_mae_historical_average_eur: float
    value_horizon_days: int

    def lines(self) -> list[str]:
        return [
            f"churn: {self.churn_customers} customers, {self.churn_rate:.0%} churned; "
            f"AUC model {self.churn_auc:.3f} vs recency baseline {self.churn_auc_recency_baseline:.3f}",
            f"value ({self.value_horizon_days} days): {self.value_customers} customers; MAE model "
            f"{self.value_mae_eur:.2f} EUR vs historical average {self.value_mae_historical_average_eur:.2f} EUR",
        ]


def backtest_predictions(
    orders, events, end: datetime, value_horizon_days: int = VALUE_HORIZON_DAYS
) -> PredictionBacktest:
    """Backtest both models on data that reaches `end` (exclusive end of the data)."""
    churn_at = end - timedelta(days=CHURN_HORIZON_DAYS)
    churn_model = fit_churn(orders, events, churn_at - timedelta(days=CHURN_HORIZON_DAYS))
    test = customer_features(orders, events, churn_at, CHURN_HORIZON_DAYS, value_horizon_days)
    churned = np.asarray(test["churned"], dtype=int)
    churn_scores = churn_model.predict_proba(feature_matrix(test))[:, 1]
    recency = np.asarray(test["recency_days"], dtype=float)

    value_at = end - timedelta(days=value_horizon_days)
    value_model = fit_value(orders, events, value_at - timedelta(days=value_horizon_days), value_horizon_days)
    value_test = customer_features(orders, events, value_at, CHURN_HORIZON_DAYS, value_horizon_days)
    actual = np.asarray(value_test["future_value_eur"], dtype=float)
    predicted = value_model.predict(feature_matrix(value_test))
    revenue = np.asarray(value_test["revenue_eur"], dtype=float)
    tenure_days = np.maximum(np.asarray(value_test["tenure_days"], dtype=float), value_horizon_days)
    historical_average = revenue / tenure_days * value_horizon_days

    return PredictionBacktest(
        churn_customers=len(churned),
        churn_rate=float(churned.mean()),
        churn_auc=float(roc_auc_score(churned, churn_scores)),
        churn_auc_recency_baseline=float(roc_auc_score(churned, recency)),
        value_customers=len(actual),
        value_mae_eur=float(np.abs(predicted - actual).mean()),
        value_mae_historical_average_eur=float(np.abs(historical_average - actual).mean()),
        value_horizon_days=value_horizon_days,
    )


def backtest_warehouse(
    settings: Settings, end: datetime | None = None, value_horizon_days: int = VALUE_HORIZON_DAYS
) -> PredictionBacktest:
    """backtest_predictions on a built warehouse; `end` defaults to the newest event's time."""
    with connect(settings, read_only=True) as conn:
        orders = conn.sql("select * from intermediate.int_orders_unioned").to_arrow_table()
        events = conn.sql("select * from intermediate.int_customer_events_unioned").to_arrow_table()
        if end is None:
            end = conn.execute("select max(occurred_at) from intermediate.int_customer_events_unioned").fetchone()[0]
    return backtest_predictions(orders, events, end, value_horizon_days)
