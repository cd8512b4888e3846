"""Run the dbt project on Spark: a local Spark session over the Parquet lake that dlt wrote.

dbt-spark's `session` method uses the SparkSession of the current process, so the raw tables are
registered here, in the same process, before dbt runs: each `<lake>/raw_<source>/<table>/` folder of
Parquet files becomes the table `raw_<source>.<table>` that the dbt sources point at. On a cluster
(Thrift or Databricks) the same tables are registered once in the metastore and only profiles change.
"""

import logging
import os
import sys
from pathlib import Path

from cdp.config import Settings
from cdp.errors import ConfigError

log = logging.getLogger(__name__)

# Local session settings; the dbt profile `spark` repeats them for the server-side parameters.
SESSION_CONFIG = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "4",
    "spark.ui.enabled": "false",
    "spark.sql.legacy.createHiveTableByDefault": "false",
}


def spark_session(settings: Settings):
    """The process's SparkSession (created on first use) with its warehouse under the data folder."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # the spark extra is not installed
        raise ConfigError("Spark needs the `spark` extra: pip install -e '.[spark]'") from exc
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    home = settings.duckdb_path.parent / "spark"
    home.mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder.appName("cdp").master("local[2]")
    # a Hive metastore (Derby, in the data folder) keeps the catalog between runs, as a cluster's does
    builder = builder.config("spark.sql.warehouse.dir", str(home / "warehouse"))
    builder = builder.config("spark.sql.catalogImplementation", "hive")
    builder = builder.config(
        "spark.hadoop.javax.jdo.option.ConnectionURL", f"jdbc:derby:;databaseName={home / 'metastore_db'};create=true"
    )
    builder = builder.config("spark.driver.extraJavaOptions", f"-Dderby.system.home={home}")
    builder = builder.config("spark.driver.memory", os.environ.get("CDP_SPARK_DRIVER_MEMORY", "3g"))
    for key, value in SESSION_CONFIG.items():
        builder = builder.config(key, value)
    jar = splink_jar()
    if jar:
        builder = builder.config("spark.jars", jar)
    return builder.enableHiveSupport().getOrCreate()


def splink_jar() -> str | None:
    """The JAR of Scala UDFs (jaro_winkler, damerau_levenshtein, ...) that Splink ships for its Spark backend
    (`cdp match --target spark`), for the session's class path; None without Splink."""
    try:
        from splink.backends.spark import similarity_jar_location
    except ImportError:
        return None
    return similarity_jar_location()


def lake_tables(lake: Path) -> list[tuple[str, str, Path]]:
    """(database, table, folder) of every raw table dlt wrote to the lake as Parquet."""
    found = []
    for dataset in sorted(lake.glob("raw_*")):
        for folder in sorted(p for p in dataset.iterdir() if p.is_dir() and not p.name.startswith("_dlt")):
            if any(folder.glob("*.parquet")):
                found.append((dataset.name, folder.name, folder))
    return found


def register_lake_tables(spark, lake: Path) -> list[str]:
    """Create (or replace) one table per lake folder; returns the qualified names."""
    names = []
    for database, table, folder in lake_tables(lake):
        spark.sql(f"create database if not exists {database}")
        spark.sql(f"drop table if exists {database}.{table}")
        spark.sql(
            f"create table {database}.{table} using parquet "
            f"options (path '{folder.as_posix()}', mergeSchema 'true')"
        )
        names.append(f"{database}.{table}")
    log.info("registered %d lake tables", len(names))
    return names
