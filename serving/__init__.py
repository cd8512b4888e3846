"""Serving: the read side of the CDP.

`publish` copies changed profiles, identifiers, segments, recommendations, consents and recent events from
the warehouse marts into a SQLite store (WAL); `serving.app` serves them over HTTP without ever opening the
DuckDB warehouse. See docs/serving.md.
"""

from typing import Any

from serving.store import store_path

__all__ = ["PublishResult", "TableCounts", "publish", "store_path"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so the API server (serving.app) never loads DuckDB.
    if name in ("PublishResult", "TableCounts", "publish"):
        from serving import publisher as module

        return getattr(module, name)
    raise AttributeError(name)
