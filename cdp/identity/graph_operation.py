"""Run the identity graph macros of the dbt project on hand-made or synthetic node and edge tables
(tests of the guards, the scale benchmark) through `dbt run-operation`."""

import json
import os

from cdp.config import Settings
from cdp.errors import BuildError


def run_identity_graph(
    settings: Settings,
    schema: str,
    nodes: str,
    edges: str,
    max_rounds: int | None = None,
    incremental: bool | None = None,
    keyed: bool = False,
    nodes_seen_at: str | None = None,
) -> None:
    """Resolve the graph of `schema.nodes` / `schema.edges` (columns of int_identity_nodes and
    int_identity_edges); results land in `<edges>__labels`, `<edges>__edge_status`, `<edges>__rounds`.
    `max_rounds` overrides var identity_max_rounds; `incremental` overrides var identity_incremental
    (after an earlier run on the same tables only the super-components that changed are redone).
    `keyed`: the tables name nodes by key, not id (see macro identity_graph_operation); results land beside
    `<edges>__ids`. `nodes_seen_at`: the nodes' column telling when each was first seen (an incremental
    run finds the new nodes by it). Raises BuildError when dbt fails, e.g. when the rounds do not converge."""
    previous = os.environ.get("CDP_DUCKDB_PATH")
    os.environ["CDP_DUCKDB_PATH"] = str(settings.duckdb_path)
    args = json.dumps(
        {
            "schema": schema,
            "nodes": nodes,
            "edges": edges,
            "max_rounds": max_rounds,
            "incremental": incremental,
            "keyed": keyed,
            "nodes_seen_at": nodes_seen_at,
        }
    )
    try:
        result = _invoke(settings, args)
    finally:  # put back what was there: the rest of the process must not write to this warehouse
        if previous is None:
            os.environ.pop("CDP_DUCKDB_PATH", None)
        else:
            os.environ["CDP_DUCKDB_PATH"] = previous
    if not result.success:
        raise BuildError(f"identity graph on `{schema}.{edges}` failed: {result.exception or 'see logs/dbt.log'}")


def _invoke(settings: Settings, args: str):
    from dbt.cli.main import dbtRunner

    return dbtRunner().invoke(
        [
            "run-operation",
            "identity_graph_operation",
            "--args",
            args,
            "--project-dir",
            str(settings.project_dir),
            "--profiles-dir",
            str(settings.project_dir),
            "--quiet",
        ]
    )
