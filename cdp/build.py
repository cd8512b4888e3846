"""Run dbt in-process (dbtRunner) against this project and the configured warehouse."""

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from cdp.config import Settings
from cdp.errors import BuildError

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    nodes: int
    failures: list[str]


@contextmanager
def _warehouse_env(settings: Settings) -> Iterator[None]:
    """`profiles.yml` reads the warehouse path from CDP_DUCKDB_PATH: set it for one dbt call, then put
    back what was there, so one build does not point the rest of the process at its warehouse."""
    previous = os.environ.get("CDP_DUCKDB_PATH")
    os.environ["CDP_DUCKDB_PATH"] = str(settings.duckdb_path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("CDP_DUCKDB_PATH", None)
        else:
            os.environ["CDP_DUCKDB_PATH"] = previous


def dbt_args(settings: Settings, command: str, extra: list[str] | None = None) -> list[str]:
    return [
        command,
        "--project-dir",
        str(settings.project_dir),
        "--profiles-dir",
        str(settings.project_dir),
        *(extra or []),
    ]


def parse(settings: Settings, extra: list[str] | None = None):
    """The dbt manifest of the project (parsed once, handed to the runs that follow); `extra` arguments
    such as `--vars` matter where a model's config reads a var (they are fixed at parse time)."""
    from dbt.cli.main import dbtRunner  # heavy import, only when building

    with _warehouse_env(settings):
        result = dbtRunner().invoke(dbt_args(settings, "parse", ["--quiet", *(extra or [])]))
    if not result.success:
        raise BuildError(f"dbt could not parse the project: {result.exception}")
    return result.result


def count_build_nodes(manifest) -> int:
    """How many models, seeds, snapshots, data tests and unit tests `dbt build` runs."""
    kinds = {"model", "seed", "snapshot", "test"}
    nodes = [n for n in manifest.nodes.values() if str(n.resource_type) in kinds and n.config.enabled]
    return len(nodes) + len(manifest.unit_tests)


def run_dbt(
    settings: Settings,
    command: str = "build",
    extra: list[str] | None = None,
    on_node_done: Callable[[str, str], None] | None = None,
    manifest=None,
    quiet: bool = False,
) -> BuildResult:
    """Invoke `dbt <command>`; raises BuildError naming the failed nodes. `on_node_done(name, status)`
    is called as each model, seed or test finishes (for progress bars). dbt's own log goes to
    logs/dbt.log; `quiet` keeps it off the console."""
    from dbt.cli.main import dbtRunner  # heavy import, only when building

    def callback(event) -> None:
        if on_node_done is not None and event.info.name == "NodeFinished":
            node = event.data.node_info
            on_node_done(node.unique_id, node.node_status)

    runner = dbtRunner(manifest=manifest, callbacks=[callback])
    args = dbt_args(settings, command, [*(["--quiet"] if quiet else []), *(extra or [])])
    with _warehouse_env(settings):
        result = runner.invoke(args)
    if result.exception is not None:
        raise BuildError(f"dbt {command} could not run: {result.exception}") from result.exception
    failures, nodes = [], 0
    for node_result in result.result or []:
        nodes += 1
        status = str(node_result.status)
        if status in ("error", "fail", "runtime error"):
            failures.append(f"{node_result.node.unique_id}: {node_result.message}")
    if failures or not result.success:
        raise BuildError("dbt {} failed:\n  {}".format(command, "\n  ".join(failures) or "see logs/dbt.log"))
    return BuildResult(nodes, failures)
