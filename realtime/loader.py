"""The micro-batch loader (`cdp serve load`): closed spool files into the warehouse, every few seconds.

Each batch:

1. with `publish`, places the events of the spool's closed files on the profiles of the customers they
   belong to (the fast path, `realtime/fast_path.py`: read from the spool files, not the warehouse, by
   a thread that keeps going while dbt runs, so events show within a second or two of their file closing);
2. moves the closed files into the web source's landing folder (`landing/web/events/`, renamed
   `spool-<name>.jsonl`; a rename on one file system is atomic, so a file is in exactly one of the two
   places whatever happens);
3. runs the web source's dlt pipeline, which reads only files it has not loaded (their fingerprints are
   in dlt's state, committed in the same load as the rows) and merges on `message_id`: a crash at any
   point loads each event exactly once — the next batch loads what the crashed one did not commit;
4. with `build`, runs the dbt models downstream of the web events (selector `micro_batch` in
   selectors.yml: identity — which redoes only the part of the graph the batch touched —, customer 360
   and segments, without model training or data tests) with var `micro_batch_files` naming the files
   loaded since the last successful run, so the per-customer trait tables rewrite only the customers
   those files (and the identity changes they caused) touched (`int_customers_touched`); every
   `full_build_every_s` a whole `dbt build` with its tests; then publishes what changed to the profile
   API's serving store (`serving.publish`), which also records the trait and segment changes
   (`serving.changes`).

The loader is the warehouse's single writer: it holds the writer lock (`cdp.lock`) while it runs, so a
`cdp run` or `cdp build` started meanwhile is told who holds the warehouse instead of failing in DuckDB.
"""

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from cdp.config import Settings
from cdp.lock import warehouse_lock
from realtime.fast_path import SpoolTail

log = logging.getLogger(__name__)

SPOOL_PREFIX = "spool-"
MICRO_BATCH_SELECTOR = "micro_batch"
FIRST_BATCH_SELECTOR = "web_downstream"
FULL_BUILD_EVERY_S = 3600.0
MICRO_BATCH_VAR = "micro_batch_files"
# where the web source's `_file_name` (relative to `landing/web/`) puts a spool file moved by the loader
LANDED_PREFIX = f"events/{SPOOL_PREFIX}"


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
    """Move every closed spool file into the web landing folder (as `spool-<name>`); returns their names."""
    closed = Path(spool_dir) / "closed"
    target = Path(landing_dir) / "web" / "events"
    target.mkdir(parents=True, exist_ok=True)
    moved = []
    for path in sorted(closed.glob("*.jsonl")) if closed.is_dir() else []:
        os.replace(path, target / f"{SPOOL_PREFIX}{path.name}")
        moved.append(path.name)
    return moved


class Builder:
    """Runs dbt for the loader: parses the project once per process (each batch reuses the manifest), and
    decides between the micro-batch selection and a whole build with tests.

    A micro-batch run passes var `micro_batch_files`: the landed names (`_file_name`) of every file loaded
    since the last successful run (a failed run's files stay pending, so the next run covers them). The
    per-customer models read that var in their config (incremental instead of table), which dbt fixes
    when it parses, so micro-batches use a second manifest parsed with the var set. The first run of a
    process and the whole builds run without it: every table rebuilt whole. `extra_vars` go to every run
    (tests and benchmarks pin `as_of` with it)."""

    def __init__(
        self,
        settings: Settings,
        full_build_every_s: float = FULL_BUILD_EVERY_S,
        extra_vars: dict | None = None,
    ) -> None:
        self.settings = settings
        self.full_build_every_s = full_build_every_s
        self.last_full_build = time.monotonic()
        self.extra_vars = dict(extra_vars or {})
        self.pending_files: list[str] = []
        self._manifest = None
        self._batch_manifest = None
        self._ran = False

    def _vars(self, **more) -> list[str]:
        values = {**self.extra_vars, **more}
        return ["--vars", json.dumps(values)] if values else []

    def prepare(self) -> None:
        """Parse both manifests now (else the first micro-batch after the process's first run pays for its
        parse: seconds)."""
        from cdp.build import parse

        if self._manifest is None:
            self._manifest = parse(self.settings, self._vars())
        if self._batch_manifest is None:
            self._batch_manifest = parse(self.settings, self._vars(**{MICRO_BATCH_VAR: []}))

    def build(self, files: list[str] | tuple[str, ...] = ()) -> bool:
        """One dbt run after loading the landed `files`; returns whether it was a whole `dbt build`."""
        from cdp.build import parse, run_dbt

        self.pending_files += [name for name in files if name not in self.pending_files]
        first = self._ran is False
        if self._manifest is None:
            self._manifest = parse(self.settings, self._vars())
        full = time.monotonic() - self.last_full_build >= self.full_build_every_s
        if full:
            self._export_flows()
            run_dbt(self.settings, "build", self._vars(), quiet=True, manifest=self._manifest)
            self.last_full_build = time.monotonic()
        elif first:
            # the first run of a process rebuilds every table whole and (re)creates the views: the project
            # may have changed since the last process, and nothing says what it left half done
            run_dbt(
                self.settings,
                "run",
                ["--selector", FIRST_BATCH_SELECTOR, *self._vars()],
                quiet=True,
                manifest=self._manifest,
            )
        else:
            if self._batch_manifest is None:
                self._batch_manifest = parse(self.settings, self._vars(**{MICRO_BATCH_VAR: []}))
            batch_vars = self._vars(**{MICRO_BATCH_VAR: self.pending_files})
            run_dbt(
                self.settings,
                "run",
                ["--selector", MICRO_BATCH_SELECTOR, *batch_vars],
                quiet=True,
                manifest=self._batch_manifest,
            )
        self.pending_files = []
        self._ran = True
        return full

    def _export_flows(self) -> None:
        """While the loader holds the warehouse nothing else can write it, so the periodic full build also
        copies the automation flows' entries and sends into raw_flows (as `cdp run` does)."""
        from automation.export import export_to_warehouse
        from automation.store import flows_store_path

        if flows_store_path(self.settings).exists():
            export_to_warehouse(self.settings)


def load_batch(
    settings: Settings,
    spool_dir: Path,
    build: bool = False,
    publish: bool = False,
    builder: Builder | None = None,
    tail: SpoolTail | None = None,
) -> BatchResult:
    """One micro-batch: with `publish`, place the closed files' events on known profiles (fast path); move
    the files, load them; with `build`, run dbt and publish. Without a `builder`, `build` parses afresh
    and rebuilds everything downstream of the web events whole (a new builder's first run: nothing says
    what an earlier process left unbuilt). The caller holds the writer lock."""
    from ingestion.runner import run_source
    from serving import store_path

    started = time.perf_counter()
    if publish and tail is None:
        tail = SpoolTail(spool_dir, store_path(settings))
    with tail.lock if tail else nullcontext():
        fast = tail.publish_closed() if tail else 0
        moved = move_closed_files(spool_dir, settings.landing_dir)
    run = run_source("web", settings)
    result = BatchResult(len(moved), run.rows_by_table.get("events", 0), time.perf_counter() - started)
    result.events_fast_published = fast
    if not (build and (moved or result.rows_loaded)):
        if tail:
            tail.loaded(moved)  # no publish follows that would replace their documents
        return result
    started = time.perf_counter()
    builder = builder or Builder(settings, full_build_every_s=float("inf"))
    result.full_build = builder.build([LANDED_PREFIX + name for name in moved])
    result.seconds_build = time.perf_counter() - started
    if publish:
        from serving import publish as publish_store

        started = time.perf_counter()
        with tail.lock:
            published = publish_store(settings)
            tail.after_publish(moved)
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
    from serving import store_path

    builder = Builder(settings, full_build_every_s)
    tail = SpoolTail(spool_dir, store_path(settings)) if publish else None
    stop = threading.Event()
    with warehouse_lock(settings.duckdb_path, "cdp serve load"), _background(tail, stop):
        if build:
            builder.prepare()  # both parses now, not in the first micro-batch's seconds
        done = 0
        while batches is None or done < batches:
            started = time.monotonic()
            result = load_batch(settings, spool_dir, build=build, publish=publish, builder=builder, tail=tail)
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


@contextmanager
def _background(tail: SpoolTail | None, stop: threading.Event) -> Iterator[None]:
    """The fast path's thread, placing events of files that close while dbt runs."""
    thread = threading.Thread(target=tail.run, args=(stop,), daemon=True, name="fast-path") if tail else None
    if thread:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if thread:
            thread.join(timeout=10)
