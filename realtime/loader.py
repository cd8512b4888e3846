"""The micro-batch loader (`cdp serve load`): closed spool files into the warehouse, every few seconds.

Each batch:

1. moves the spool's closed files into the web source's landing folder (`landing/web/events/`,
   renamed `spool-<name>.jsonl`; a rename on one file system is atomic, so a file is in exactly one
   of the two places whatever happens);
2. runs the web source's dlt pipeline, which reads only files it has not loaded (their fingerprints are
   in dlt's state, committed in the same load as the rows) and merges on `message_id`: a crash at any
   point loads each event exactly once — the next batch loads what the crashed one did not commit;
3. with `publish`, puts the new events on the profiles of the customers they belong to at once (the
   fast path, `serving.publish_new_events`: no dbt run in between);
4. with `build`, runs the dbt models downstream of the web events (selector `micro_batch` in
   selectors.yml: identity — which redoes only the part of the graph the batch touched —, customer 360
   and segments, without model training or data tests), and every `full_build_every_s` a whole
   `dbt build` with its tests; then publishes what changed to the profile API's serving store
   (`serving.publish`), which also records the trait and segment changes (`serving.changes`).

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
MICRO_BATCH_SELECTOR = "micro_batch"
FULL_BUILD_EVERY_S = 3600.0


@dataclass
class BatchResult:
    files_moved: int
    rows_loaded: int
    seconds_load: float
    seconds_build: float = 0.0
    seconds_publish: float = 0.0
    rows_published: int = 0
    events_fast_published: int = 0
    changes: int = 0
    full_build: bool = False


def move_closed_files(spool_dir: Path, landing_dir: Path) -> list[str]:
    """Move every closed spool file into the web landing folder; returns their names there, relative to
    the web source's folder (`events/spool-<name>.jsonl`, as the raw table's `_file_name` has them)."""
    closed = Path(spool_dir) / "closed"
    target = Path(landing_dir) / "web" / "events"
    target.mkdir(parents=True, exist_ok=True)
    moved = []
    for path in sorted(closed.glob("*.jsonl")) if closed.is_dir() else []:
        name = f"{SPOOL_PREFIX}{path.name}"
        os.replace(path, target / name)
        moved.append(f"events/{name}")
    return moved


class Builder:
    """Runs dbt for the loader: parses the project once per process (each batch reuses the manifest), and
    decides between the micro-batch selection and a whole build with tests."""

    def __init__(self, settings: Settings, full_build_every_s: float = FULL_BUILD_EVERY_S) -> None:
        self.settings = settings
        self.full_build_every_s = full_build_every_s
        self.last_full_build = time.monotonic()
        self._manifest = None

    def build(self) -> bool:
        """One dbt run; returns whether it was a whole `dbt build`."""
        from cdp.build import parse, run_dbt

        if self._manifest is None:
            self._manifest = parse(self.settings)
        full = time.monotonic() - self.last_full_build >= self.full_build_every_s
        if full:
            run_dbt(self.settings, "build", quiet=True, manifest=self._manifest)
            self.last_full_build = time.monotonic()
        else:
            run_dbt(self.settings, "run", ["--selector", MICRO_BATCH_SELECTOR], quiet=True, manifest=self._manifest)
        return full


def load_batch(
    settings: Settings,
    spool_dir: Path,
    build: bool = False,
    publish: bool = False,
    builder: Builder | None = None,
) -> BatchResult:
    """One micro-batch: move closed files, load them, optionally publish their events at once, build and
    publish. Without a `builder`, `build` runs the micro-batch selection with a fresh parse. The caller
    holds the lock."""
    from ingestion.runner import run_source

    started = time.perf_counter()
    moved = move_closed_files(spool_dir, settings.landing_dir)
    run = run_source("web", settings)
    result = BatchResult(len(moved), run.rows_by_table.get("events", 0), time.perf_counter() - started)
    if publish and moved:
        from serving import publish_new_events

        result.events_fast_published = publish_new_events(settings, moved)
    if build and (moved or result.rows_loaded):
        started = time.perf_counter()
        result.full_build = (builder or Builder(settings, full_build_every_s=float("inf"))).build()
        result.seconds_build = time.perf_counter() - started
        if publish:
            from serving import publish as publish_store

            started = time.perf_counter()
            published = publish_store(settings)
            result.rows_published = published.rows_written
            result.changes = published.changes
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
    full_build_every_s: float = FULL_BUILD_EVERY_S,
) -> None:
    """Load a batch every `interval_s` seconds (`batches` of them, or until interrupted), holding the
    warehouse's writer lock throughout."""
    builder = Builder(settings, full_build_every_s)
    with warehouse_lock(settings.duckdb_path, "cdp serve load"):
        done = 0
        while batches is None or done < batches:
            started = time.monotonic()
            result = load_batch(settings, spool_dir, build=build, publish=publish, builder=builder)
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
