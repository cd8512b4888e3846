"""One row per customer who had bought by as_of: churn propensity and predicted 12-month value.

Trained with scikit-learn (cdp.predict) at as_of minus each horizon, scored at as_of (var as_of; unset:
now, or the newest event if the data stops earlier). Runs on DuckDB,
where dbt hands the model a DuckDB connection; other engines skip it (enabled: false in the YAML) and a
run forced there stops with a message saying so.
"""

from datetime import UTC, datetime


def _as_of(value, latest_event: datetime | None) -> datetime:
    # dbt renders the var into the config as text, 'None' when as_of is not set. Unset means now, but no
    # later than the newest event: a warehouse whose data stopped (a demo, a paused source) would
    # otherwise train on an empty last quarter where everybody "churned".
    if value not in (None, "", "None"):
        return datetime.fromisoformat(str(value))
    now = datetime.now(UTC).replace(tzinfo=None)
    return min(now, latest_event) if latest_event is not None else now


def model(dbt, session):
    dbt.config(materialized="table")
    orders = dbt.ref("int_orders_unioned")
    events = dbt.ref("int_customer_events_unioned")
    if not hasattr(orders, "to_arrow_table"):
        raise RuntimeError(
            "customer_predictions trains scikit-learn models in-process and runs on DuckDB only; "
            f"this engine hands Python models a `{type(orders).__name__}`. Skip it with "
            "`--exclude customer_predictions` or score with `cdp.predict.score_customers` outside dbt."
        )
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        from cdp.predict import score_customers
    except ImportError as error:
        raise RuntimeError(
            f"customer_predictions needs scikit-learn and the cdp package ({error}); `pip install -e .`"
        ) from error

    orders, events = orders.to_arrow_table(), events.to_arrow_table()
    as_of = _as_of(dbt.config.get("as_of"), pc.max(events["occurred_at"]).as_py() if events.num_rows else None)
    scores = score_customers(orders, events, as_of)
    return pa.table(
        scores,
        schema=pa.schema(
            [
                ("customer_id", pa.string()),
                ("churn_probability", pa.float64()),
                ("predicted_value_12m_eur", pa.float64()),
                ("scored_as_of", pa.timestamp("us")),
                ("churn_model_trained_as_of", pa.timestamp("us")),
                ("value_model_trained_as_of", pa.timestamp("us")),
            ]
        ),
    )
