"""`cdp match --target spark`: score `int_match_features` of the Spark warehouse with Splink's Spark backend
(SparkAPI) on the SparkSession the dbt Spark target uses, and replace `matching.identity_match_candidates`
there, where the dbt source `matching.identity_match_candidates` reads it.

The same saved model (matching/model.json), the same blocking keys (cdp/matching/blocking.py: one SQL for
both engines) and the same output rows as the DuckDB path (cdp/matching/run.py). Splink's Spark comparisons
(Jaro-Winkler, Damerau-Levenshtein) are Scala UDFs from the JAR Splink ships; cdp.spark.spark_session puts
it on the session's class path. Training (no saved model, or `--retrain`) collects the features and trains
on DuckDB, as `cdp match` does, then scores on Spark.
"""

from __future__ import annotations

import copy
import logging
import re
import time
from pathlib import Path

import pandas as pd

from cdp.config import Settings
from cdp.errors import ConfigError
from cdp.matching import blocking
from cdp.matching.model import (
    FEATURES,
    ModelMismatch,
    Thresholds,
    finish,
    load_model,
    model_id,
    save_model,
    train,
    with_rules,
)
from cdp.matching.run import CANDIDATES, KEEP_FLOOR, MODEL_PATH, SCHEMA, MatchResult, candidate_rows

log = logging.getLogger(__name__)

CANDIDATE_SCHEMA = (
    "record_key_l string, record_key_r string, match_probability double, match_weight double,"
    " contributions string, model_id string, scored_at timestamp"
)


def features_relation(spark) -> str | None:
    """`<database>.int_match_features` in the Spark catalog (the dbt Spark target's schema), or None."""
    found = sorted(
        db.name for db in spark.catalog.listDatabases() if spark.catalog.tableExists(f"{db.name}.int_match_features")
    )
    return f"{found[0]}.int_match_features" if found else None


def read_features(spark, relation: str):
    """The features as Splink input on Spark: `unique_id` plus every feature column the table has, as text;
    and the feature columns with at least one value."""
    present = [c for c in FEATURES if c in spark.table(relation).columns]
    select = ", ".join(f"cast({c} as string) as {c}" for c in present)
    df = spark.sql(f"select cast(source_record_key as string) as unique_id, {select} from {relation}")
    counts = df.selectExpr(*[f"count({c}) as {c}" for c in present]).collect()[0].asDict() if present else {}
    return df, [c for c in present if counts[c]]


def _blocked(spark, df, usable: list[str], max_block: int):
    """(keyed Spark frame, rules, comparisons, skipped): the blocking keys built by the same SQL as DuckDB's."""
    keys = blocking.keys_for(usable)
    columns = df.columns
    df.createOrReplaceTempView("cdp_match_features")
    keyed = spark.sql(blocking.keyed_sql("cdp_match_features", columns, keys, max_block)).cache()
    keyed.createOrReplaceTempView("cdp_match_keyed")
    skipped = {}
    if keys:
        for row in spark.sql(blocking.skipped_sql("cdp_match_features", columns, keys, max_block)).collect():
            skipped[row["key_name"]] = (int(row["blocks"]), int(row["pairs"]))
    comparisons = int(spark.sql(blocking.comparisons_sql("cdp_match_keyed", keys)).collect()[0][0])
    return keyed, blocking.rules(keys), comparisons, skipped


def _function_renames() -> dict[str, str]:
    """DuckDB -> Spark names of Splink's string-similarity functions (Spark's are the JAR's UDFs)."""
    from splink.internals.dialects import SplinkDialect

    duckdb, spark = SplinkDialect.from_string("duckdb"), SplinkDialect.from_string("spark")
    out = {}
    for fn in ("levenshtein", "damerau_levenshtein", "jaro", "jaro_winkler"):
        name = f"{fn}_function_name"
        if getattr(duckdb, name) != getattr(spark, name):
            out[getattr(duckdb, name)] = getattr(spark, name)
    return out


def to_spark_sql(condition: str, renames: dict[str, str]) -> str:
    """One saved comparison-level condition (DuckDB SQL) as Spark SQL: identifiers quoted with backticks
    (in Spark "x" is a string), Splink's similarity functions under their Spark names."""
    import sqlglot

    if condition.strip().upper() == "ELSE":
        return condition
    for duck, spark in renames.items():
        condition = re.sub(rf"\b{duck}\s*\(", f"{spark}(", condition, flags=re.IGNORECASE)
    return sqlglot.transpile(condition, read="duckdb", write="spark")[0]


def spark_settings(model: dict) -> dict:
    """The saved model (trained m and u, prior, comparisons) with its SQL conditions in Spark's dialect."""
    renames = _function_renames()
    out = copy.deepcopy(model)
    out["sql_dialect"] = "spark"
    for comparison in out["comparisons"]:
        for level in comparison["comparison_levels"]:
            level["sql_condition"] = to_spark_sql(level["sql_condition"], renames)
    return out


def score_spark(spark, df, usable: list[str], model: dict, threshold: float = KEEP_FLOOR,
                max_block: int = blocking.MAX_BLOCK) -> pd.DataFrame:
    """Splink's SparkAPI over the keyed features: the frame `cdp.matching.model.score` returns."""
    from splink import Linker
    from splink.backends.spark import SparkAPI

    missing = [c for c in model["cdp"]["columns"] if c not in usable]
    if missing:
        raise ModelMismatch(f"the saved model compares {missing}, which the data no longer has: retrain")
    keyed, rules, comparisons, skipped = _blocked(spark, df, usable, max_block)
    # persist (not Splink's default Parquet checkpoints): a local session has no checkpoint folder
    db_api = SparkAPI(spark_session=spark, break_lineage_method="persist")
    settings = with_rules(spark_settings(model), rules, "spark")
    linker = Linker(db_api.register(keyed), settings,
                    log_level=logging.ERROR)
    pairs = linker.inference.predict(threshold_match_probability=threshold).as_pandas_dataframe()
    keyed.unpersist()
    out = finish(pairs, model)
    out.attrs["comparisons"] = comparisons
    out.attrs["skipped"] = skipped
    return out


def write_candidates(spark, rows: pd.DataFrame) -> None:
    spark.sql(f"create database if not exists {SCHEMA}")
    frame = spark.createDataFrame(rows.astype({"match_probability": float, "match_weight": float}),
                                  schema=CANDIDATE_SCHEMA) if len(rows) else spark.createDataFrame([], CANDIDATE_SCHEMA)
    frame.write.mode("overwrite").format("parquet").saveAsTable(f"{SCHEMA}.{CANDIDATES}")


def match_spark(
    settings: Settings,
    spark=None,
    retrain: bool = False,
    model_path: Path = MODEL_PATH,
    thresholds: Thresholds = Thresholds(),
) -> MatchResult:
    """Score the Spark warehouse's match features; trains (on DuckDB) only when there is no saved model,
    when `retrain`, or when the saved model compares columns the data no longer has."""
    started = time.monotonic()
    if spark is None:
        from cdp.spark import spark_session

        spark = spark_session(settings)
    relation = features_relation(spark)
    if relation is None:
        raise ConfigError("no int_match_features in the Spark warehouse: `cdp build --target spark` builds it")
    df, usable = read_features(spark, relation)
    records = df.count()
    model = None if retrain else load_model(model_path)
    trained = False
    result = pd.DataFrame()
    if records >= 2:
        if model is not None:
            try:
                result = score_spark(spark, df, usable, model)
            except ModelMismatch as exc:
                log.warning("%s", exc)
                model = None
        if model is None:
            model = train([df.toPandas()])
            save_model(model, model_path)
            trained = True
            result = score_spark(spark, df, usable, model)
    mid = model_id(model) if model else ""
    rows = candidate_rows(result, mid)
    write_candidates(spark, rows)
    probability = rows["match_probability"] if len(rows) else pd.Series([], dtype=float)
    return MatchResult(
        records=records, comparisons=int(result.attrs.get("comparisons", 0)), candidates=len(rows),
        accepted=int((probability >= thresholds.accept).sum()),
        review=int(((probability >= thresholds.review) & (probability < thresholds.accept)).sum()),
        trained=trained, model_id=mid, seconds=round(time.monotonic() - started, 2),
        skipped=dict(result.attrs.get("skipped", {})),
    )
