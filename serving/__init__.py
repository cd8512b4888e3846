"""Serving: the read side of the CDP.

`publish` copies changed profiles, identifiers, segments, recommendations, consents and recent events from
the warehouse marts into a SQLite store (WAL); `serving.app` serves them over HTTP without ever opening the
DuckDB warehouse. See docs/serving.md.
"""

from serving.publish import PublishResult, TableCounts, publish
from serving.store import store_path

__all__ = ["PublishResult", "TableCounts", "publish", "store_path"]
