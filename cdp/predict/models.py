"""Churn propensity and 12-month value: scikit-learn models trained on a past cutoff, scored at as_of.

Churn: logistic regression on scaled log features, label "no purchase in the next 90 days".
Value: Poisson regression (log link, so predictions are never negative and a customer's spend scales
multiplicatively with their history), label "revenue in the next 365 days".
Both are trained at as_of minus their horizon, whose outcome is fully known at as_of, then applied to
the features at as_of: nothing after as_of is read.
"""

from datetime import datetime, timedelta

import numpy as np
from sklearn.linear_model import LogisticRegression, PoissonRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from cdp.errors import CdpError
from cdp.predict.features import FEATURES, customer_features

CHURN_HORIZON_DAYS = 90
VALUE_HORIZON_DAYS = 365
MIN_TRAINING_CUSTOMERS = 20


class PredictionError(CdpError):
    """The data cannot train a model (too little history, a single outcome)."""


def feature_matrix(features: dict[str, list]) -> np.ndarray:
    """FEATURES as a matrix; money and counts on a log scale (heavy tails), negatives clipped at 0."""
    columns = [np.asarray(features[name], dtype=float) for name in FEATURES]
    return np.log1p(np.clip(np.column_stack(columns), 0, None)) if columns[0].size else np.empty((0, len(FEATURES)))


def _training_set(orders, events, cutoff: datetime, horizon_days: int, what: str) -> dict[str, list]:
    train = customer_features(orders, events, cutoff, CHURN_HORIZON_DAYS, horizon_days)
    if len(train["customer_id"]) < MIN_TRAINING_CUSTOMERS:
        raise PredictionError(
            f"the {what} model needs at least {MIN_TRAINING_CUSTOMERS} customers who had bought by "
            f"`{cutoff:%Y-%m-%d}` (as_of minus {horizon_days} days); found {len(train['customer_id'])}. "
            "Use a later as_of or more history."
        )
    return train


def fit_churn(orders, events, train_cutoff: datetime):
    """A classifier of P(no order in the CHURN_HORIZON_DAYS after a cutoff), trained at `train_cutoff`."""
    train = _training_set(orders, events, train_cutoff, CHURN_HORIZON_DAYS, "churn")
    labels = np.asarray(train["churned"], dtype=int)
    if labels.min() == labels.max():
        raise PredictionError(
            f"every customer at `{train_cutoff:%Y-%m-%d}` had the same churn outcome; nothing to learn from"
        )
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    return model.fit(feature_matrix(train), labels)


def fit_value(orders, events, train_cutoff: datetime, horizon_days: int = VALUE_HORIZON_DAYS):
    """A regressor of revenue (EUR) in the `horizon_days` after a cutoff, trained at `train_cutoff`."""
    train = _training_set(orders, events, train_cutoff, horizon_days, "value")
    target = np.clip(np.asarray(train["future_value_eur"], dtype=float), 0, None)
    model = make_pipeline(StandardScaler(), PoissonRegressor(alpha=1e-2, max_iter=3000))
    return model.fit(feature_matrix(train), target)


def score_customers(orders, events, as_of: datetime) -> dict[str, list]:
    """One entry per customer who had bought by `as_of`: churn probability and predicted 12-month value,
    from models trained at as_of minus each horizon."""
    churn_cutoff = as_of - timedelta(days=CHURN_HORIZON_DAYS)
    value_cutoff = as_of - timedelta(days=VALUE_HORIZON_DAYS)
    churn_model = fit_churn(orders, events, churn_cutoff)
    value_model = fit_value(orders, events, value_cutoff)
    now = customer_features(orders, events, as_of, CHURN_HORIZON_DAYS, VALUE_HORIZON_DAYS)
    matrix = feature_matrix(now)
    count = len(now["customer_id"])
    return {
        "customer_id": now["customer_id"],
        "churn_probability": [round(float(p), 4) for p in churn_model.predict_proba(matrix)[:, 1]] if count else [],
        "predicted_value_12m_eur": [round(float(v), 2) for v in value_model.predict(matrix)] if count else [],
        "scored_as_of": [as_of] * count,
        "churn_model_trained_as_of": [churn_cutoff] * count,
        "value_model_trained_as_of": [value_cutoff] * count,
    }
