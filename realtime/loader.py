"""The micro-batch loader (`cdp serve load`): closed spool files into the warehouse, every few seconds.

Each batch:

1. moves the spool's closed files into the web source's landing folder (`landing/web/events/`,
   renamed `spool-<name>.jsonl`; a rename on one file system is atomic, so a file is in exactly one
   of the two places whatever happens);
2. runs the web source's dlt pipeline, which reads only files it has not loaded (their fingerprints are
   in dlt's state, committed in the same load as the rows) and merges on `message_id`: a crash at any
   point loads each event exactly once — the next batch loads what the crashed one did not commit;
3. optionally runs `dbt build` (the identity graph redoes only the part the batch touched), then
   publishes what changed to the profile API's serving store (`serving.publish`), which the API reads
   without touching the warehouse.

The loader is the warehouse's single writer: it holds the writer lock (`cdp.lock`) while it runs, so a
`cdp run` or `cdp build` started meanwhile is told who holds the warehouse instead of failing in DuckDB.
"""

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cdp.config import Settings
from cdp.lock import warehouse_lock

log = logging.getLogger(__name__)

SPOOL_PREFIX = "spool-"


@dataclass
class BatchResult:
    files_moved: int
    rows_loaded: int
    seconds_load: float
    seconds_build: float = 0.0
    seconds_publish: float = 0.0
    rows_published: int = 0


def move_closed_files(spool_dir: Path, landing_dir: Path) -> int:
    """Move every closed spool file into the web landing folder; returns how many moved."""
    closed = Path(spool_dir) / "closed"
    target = Path(landing_dir) / "web" / "events"
    target.mkdir(parents=True, exist_ok=True)
    moved = 0
    for path in sorted(closed.glob("*.jsonl")) if closed.is_dir() else []:
        os.replace(path, target / f"{SPOOL_PREFIX}{path.name}")
        moved += 1
    return moved


def load_batch(settings: Settings, spool_dir: Path, build: bool = False, publish: bool = False) -> BatchResult:
    """One micro-batch: move closed files, load them, optionally build and publish. The caller holds the
    lock."""
    from ingestion.runner import run_source

    started = time.perf_counter()
    moved = move_closed_files(spool_dir, settings.landing_dir)
    run = run_source("web", settings)
    result = BatchResult(moved, run.rows_by_table.get("events", 0), time.perf_counter() - started)
    if build and (moved or result.rows_loaded):
        from cdp.build import run_dbt

        started = time.perf_counter()
        run_dbt(settings, "build", quiet=True)
        result.seconds_build = time.perf_counter() - started
        if publish:
            from serving import publish as publish_store

            started = time.perf_counter()
            published = publish_store(settings)
            result.rows_published = sum(t.upserted + t.deleted for t in published.tables.values())
            result.seconds_publish = time.perf_counter() - started
    return result


def serve_load(
    settings: Settings,
    spool_dir: Path,
    interval_s: float = 15.0,
    build: bool = True,
    publish: bool = True,
    batches: int | None = None,
    on_batch: Callable[[BatchResult], None] | None = None,
) -> None:
    """Load a batch every `interval_s` seconds (`batches` of them, or until interrupted), holding the
    warehouse's writer lock throughout."""
    with warehouse_lock(settings.duckdb_path, "cdp serve load"):
        done = 0
        while batches is None or done < batches:
            started = time.monotonic()
            result = load_batch(settings, spool_dir, build=build, publish=publish)
            log.info(
                "batch: %d files, %d rows in %.1fs (build %.1fs)",
                result.files_moved,
                result.rows_loaded,
                result.seconds_load,
                result.seconds_build,
            )
            if on_batch is not None:
                on_batch(result)
            done += 1
            if batches is None or done < batches:
                time.sleep(max(0.0, interval_s - (time.monotonic() - started)))
