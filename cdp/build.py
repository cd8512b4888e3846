"""Run dbt in-process (dbtRunner) against this project and the configured warehouse."""

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from cdp.config import Settings
from cdp.errors import BuildError

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    nodes: int
    failures: list[str]


def dbt_args(settings: Settings, command: str, extra: list[str] | None = None) -> list[str]:
    return [
        command,
        "--project-dir",
        str(settings.project_dir),
        "--profiles-dir",
        str(settings.project_dir),
        *(extra or []),
    ]


def run_dbt(
    settings: Settings,
    command: str = "build",
    extra: list[str] | None = None,
    on_node_done: Callable[[str, str], None] | None = None,
) -> BuildResult:
    """Invoke `dbt <command>`; raises BuildError naming the failed nodes. `on_node_done(name, status)`
    is called as each model, seed or test finishes (for progress bars)."""
    from dbt.cli.main import dbtRunner  # heavy import, only when building

    os.environ["CDP_DUCKDB_PATH"] = str(settings.duckdb_path)

    def callback(event) -> None:
        if on_node_done is not None and event.info.name == "NodeFinished":
            node = event.data.node_info
            on_node_done(node.unique_id, node.node_status)

    runner = dbtRunner(callbacks=[callback])
    result = runner.invoke(dbt_args(settings, command, extra))
    if result.exception is not None:
        raise BuildError(f"dbt {command} could not run: {result.exception}") from result.exception
    failures, nodes = [], 0
    for node_result in result.result or []:
        nodes += 1
        status = str(node_result.status)
        if status in ("error", "fail", "runtime error"):
            failures.append(f"{node_result.node.unique_id}: {node_result.message}")
    if failures or not result.success:
        raise BuildError("dbt {} failed:\n  {}".format(command, "\n  ".join(failures) or "see dbt logs"))
    return BuildResult(nodes, failures)


def count_nodes(settings: Settings, command: str = "build", extra: list[str] | None = None) -> int:
    """How many nodes `dbt <command>` would run (for a progress bar total)."""
    from dbt.cli.main import dbtRunner

    os.environ["CDP_DUCKDB_PATH"] = str(settings.duckdb_path)
    result = dbtRunner().invoke(dbt_args(settings, "ls", ["--resource-types", "model", "seed", "test", "unit_test", "--quiet", *(extra or [])]))
    return len(result.result or []) if result.success else 0
