"""Probabilistic matching scores the same pairs on DuckDB and on Spark (Splink's Spark backend).

One small generated data set (many fuzzy duplicates) is loaded into the DuckDB warehouse and into the
Parquet lake; each engine builds `int_match_features` with dbt and scores it with the same saved model
(`cdp match` and `cdp match --target spark`). The blocking keys are one SQL on both engines, so the compared
pairs are the same; the scores agree to float precision except where the engines' string similarity
functions differ (DuckDB's jaro_winkler_similarity, the Scala UDF from Splink's JAR on Spark), which can move a
pair across a Jaro-Winkler level: such pairs must stay below the review threshold. Run with `make test-spark`.
"""

import datetime as dt
import shutil

import duckdb
import pytest

from cdp.build import run_dbt
from cdp.config import Settings
from cdp.generate import NoiseConfig, generate
from cdp.matching.model import Thresholds
from cdp.matching.run import CANDIDATES, MODEL_PATH, SCHEMA, match
from cdp.pipeline import ingest

pytestmark = pytest.mark.spark

TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    pytest.importorskip("pyspark", reason="the spark extra is not installed: make test-spark installs it")
    from cdp.matching.spark_match import match_spark
    from cdp.spark import register_lake_tables, spark_session

    root = tmp_path_factory.mktemp("match_parity")
    settings = Settings(duckdb_path=root / "warehouse.duckdb", landing_dir=root / "landing",
                        pipelines_dir=root / "pipelines", lake_dir=root / "lake")
    generate(settings.landing_dir, customers=150, seed=11, end_date=dt.date(2026, 11, 1),
             noise=NoiseConfig(fuzzy_duplicate=0.3))
    ingest(settings)
    ingest(settings, destination="lake")
    # a copy of the saved model: a retrain (the features changed) must not touch the committed one
    model = root / "model.json"
    shutil.copy(MODEL_PATH, model)
    run_dbt(settings, "run", ["--select", "+int_match_features", "--target-path", str(root / "t_duckdb")],
            quiet=True)
    on_duckdb = match(settings, model_path=model)
    spark = spark_session(settings)
    assert register_lake_tables(spark, settings.lake)
    run_dbt(settings, "run", ["--select", "+int_match_features", "--target", "spark",
                              "--target-path", str(root / "t_spark")], quiet=True)
    on_spark = match_spark(settings, spark=spark, model_path=model)
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        duck_rows = conn.execute(
            f"select record_key_l, record_key_r, match_probability, model_id from {SCHEMA}.{CANDIDATES}"
        ).fetchall()
    spark_rows = [tuple(r) for r in spark.sql(
        f"select record_key_l, record_key_r, match_probability, model_id from {SCHEMA}.{CANDIDATES}").collect()]
    return on_duckdb, on_spark, duck_rows, spark_rows


def test_both_engines_score_the_same_records_with_the_same_model(scored):
    on_duckdb, on_spark, duck_rows, spark_rows = scored
    assert on_duckdb.records == on_spark.records > 100
    assert not on_spark.trained, "Spark must reuse the model DuckDB used, not train its own"
    assert on_duckdb.model_id == on_spark.model_id
    assert {r[3] for r in duck_rows} == {r[3] for r in spark_rows} == {on_duckdb.model_id}
    # one blocking SQL on both engines: the same number of compared pairs and of blocks skipped for size
    assert on_duckdb.comparisons == on_spark.comparisons > 0
    assert on_duckdb.skipped == on_spark.skipped


def test_candidate_pairs_and_probabilities_agree(scored):
    _, _, duck_rows, spark_rows = scored
    duck = {(lk, rk): p for lk, rk, p, _ in duck_rows}
    spark = {(lk, rk): p for lk, rk, p, _ in spark_rows}
    review = Thresholds().review
    accepted = [k for k, p in duck.items() if p >= Thresholds().accept]
    assert len(accepted) >= 5, "the fuzzy duplicates should give links to compare"
    common = duck.keys() & spark.keys()
    assert len(common) >= 0.95 * max(len(duck), len(spark))
    differing = {k: (duck[k], spark[k]) for k in common if abs(duck[k] - spark[k]) > TOLERANCE}
    # a pair scored differently, or kept by one engine only, moved across a Jaro-Winkler level: never a link
    # or a review item on either engine
    assert all(max(ps) < review for ps in differing.values()), differing
    only_one = {k: duck.get(k, spark.get(k)) for k in duck.keys() ^ spark.keys()}
    assert all(p < review for p in only_one.values()), only_one
    assert {k for k, p in duck.items() if p >= review} == {k for k, p in spark.items() if p >= review}
