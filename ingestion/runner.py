"""Run the dlt pipeline of one source into the warehouse: one pipeline and one dataset per source.

Each source package `ingestion/<name>/` exposes `<name>_source(...)`, a `@dlt.source`. The keyword
arguments it gets are decided here, from the settings, so that the CLI and the tests call one function.
"""

import importlib
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import dlt

from cdp.config import Settings
from cdp.errors import IngestionError, UnknownSourceError
from cdp.privacy.hashing import hasher_for
from ingestion.common.suppression import add_suppression_steps

SOURCE_NAMES = ("catalog", "shop", "web", "pos", "crm", "esp", "support", "loyalty", "ads", "social")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShopApi:
    """Where the webshop API answers and the token it wants."""

    base_url: str
    access_token: str


@dataclass(frozen=True)
class MetaApi:
    """Where the Meta Graph API answers (ads insights, lead ads), the token and the ad account."""

    base_url: str
    access_token: str
    account_id: str


@dataclass
class SourceRun:
    source: str
    seconds: float
    rows_by_table: dict[str, int] = field(default_factory=dict)

    @property
    def rows_loaded(self) -> int:
        return sum(n for table, n in self.rows_by_table.items() if not table.startswith("_"))

    @property
    def rows_quarantined(self) -> int:
        return self.rows_by_table.get("_quarantine", 0)


def dataset_name(source: str) -> str:
    return f"raw_{source}"


def _source_kwargs(
    name: str, settings: Settings, shop_api: ShopApi | None, meta_api: MetaApi | None = None
) -> dict[str, Any]:
    if name in ("ads", "social"):
        # without a local API, base_url, access_token (and account_id) come from dlt config / secrets
        api = {} if meta_api is None else {"base_url": meta_api.base_url, "access_token": meta_api.access_token}
        if name == "ads" and meta_api is not None:
            api["account_id"] = meta_api.account_id
        return {**api, "landing_dir": settings.landing_dir / name}
    if name == "shop":
        if shop_api is None:
            return {}  # base_url and access_token come from dlt config / secrets
        return {"base_url": shop_api.base_url, "access_token": shop_api.access_token}
    if name == "pos":
        return {"credentials": f"sqlite:///{settings.landing_dir / 'pos' / 'pos.sqlite'}"}
    return {"landing_dir": settings.landing_dir / name}


def make_source(
    name: str, settings: Settings, shop_api: ShopApi | None = None, meta_api: MetaApi | None = None
) -> Any:
    """The dlt source object of `name`, configured for this installation."""
    if name not in SOURCE_NAMES:
        raise UnknownSourceError(name, list(SOURCE_NAMES))
    module = importlib.import_module(f"ingestion.{name}")
    factory = getattr(module, f"{name}_source")
    return factory(**_source_kwargs(name, settings, shop_api, meta_api))


DESTINATIONS = ("warehouse", "lake")


def make_pipeline(name: str, settings: Settings, destination: str = "warehouse") -> dlt.Pipeline:
    """The dlt pipeline of source `name`: into the DuckDB warehouse, or as Parquet files into the lake
    (`<lake>/raw_<name>/<table>/`), which Spark reads. Each destination keeps its own pipeline state, so
    both can be loaded from the same landing files."""
    if destination == "warehouse":
        settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        target = dlt.destinations.duckdb(str(settings.duckdb_path))
        pipeline_name = f"cdp_{name}"
    elif destination == "lake":
        settings.lake.mkdir(parents=True, exist_ok=True)
        # plain Parquet has no merge: dlt appends; give the destination a table_format (delta) for merge
        target = dlt.destinations.filesystem(settings.lake.as_uri())
        pipeline_name = f"cdp_lake_{name}"
    else:
        raise IngestionError(f"Unknown destination `{destination}`; valid: {', '.join(DESTINATIONS)}")
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=target,
        dataset_name=dataset_name(name),
        pipelines_dir=str(settings.pipelines_dir),
    )


# Loaded data does not linger outside the warehouse: dlt deletes a package's data files once they are
# loaded and empties the merge staging dataset (`raw_<source>_staging`) after the merge. A person's
# data then lives in fewer places, all of which a deletion request reaches. Settings a user made win.
_LOADER_DEFAULTS = {"LOAD__DELETE_COMPLETED_JOBS": "true", "LOAD__TRUNCATE_STAGING_DATASET": "true"}


@contextmanager
def _loader_defaults() -> Iterator[None]:
    added = [name for name in _LOADER_DEFAULTS if name not in os.environ]
    os.environ.update({name: _LOADER_DEFAULTS[name] for name in added})
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def suppression_list(settings: Settings) -> set[str]:
    """The keyed hashes of suppressed identifiers, read from the warehouse (empty when there is none)."""
    import duckdb

    from cdp.privacy.store import suppressed_hashes

    if not settings.duckdb_path.exists():
        return set()
    con = duckdb.connect(str(settings.duckdb_path))
    try:
        return suppressed_hashes(con)
    finally:
        con.close()


def run_source(
    name: str,
    settings: Settings,
    shop_api: ShopApi | None = None,
    destination: str = "warehouse",
    meta_api: MetaApi | None = None,
) -> SourceRun:
    """Extract, normalise and load one source; returns the rows written per table. Records of
    suppressed people are dropped on the way and counted in `_load_stats.rows_suppressed`."""
    started = time.perf_counter()
    suppressed = suppression_list(settings)
    pipeline = make_pipeline(name, settings, destination)
    source = make_source(name, settings, shop_api, meta_api)
    if suppressed:
        add_suppression_steps(source, name, hasher_for(settings.duckdb_path), suppressed)
    try:
        with _loader_defaults():
            if pipeline.has_pending_data:
                # a run that crashed left packages behind: dlt's run() would load only those and skip the
                # source's new data, so finish them first (each event still loads once: merge on keys)
                pipeline.run()
            pipeline.run(source, loader_file_format="parquet" if destination == "lake" else None)
    except Exception as exc:  # dlt wraps every step failure; keep the cause readable
        raise IngestionError(f"Loading source `{name}` failed: {exc}") from exc
    normalize_info = pipeline.last_trace.last_normalize_info
    rows = {}
    if normalize_info is not None:
        rows = {t: n for t, n in normalize_info.row_counts.items() if not t.startswith("_dlt")}
    run = SourceRun(name, time.perf_counter() - started, rows)
    log.info("loaded source %s: %s rows in %.1fs", name, run.rows_loaded, run.seconds)
    return run
