"""A dbt-duckdb plug-in that gives SQL the keyed hash of the suppression list: `cdp_keyed_hash(text)`.

profiles.yml loads it (`plugins: [{module: cdp.privacy.dbt_plugin}]`), so the key never appears in SQL,
in dbt's logs or in its artifacts: the function reads it from the environment (see
`cdp.privacy.hashing.load_key`) inside this process. `macros/privacy/keyed_hash.sql` calls it; on Spark,
`cdp.spark` registers the same function on the session.
"""

from dbt.adapters.duckdb.plugins import BasePlugin

from cdp.privacy.hashing import hasher_for

FUNCTION_NAME = "cdp_keyed_hash"


def register(con, warehouse_path) -> None:
    hasher = hasher_for(warehouse_path)

    def keyed_hash(text: str | None) -> str | None:
        return None if text is None else hasher.digest(text)

    con.create_function(FUNCTION_NAME, keyed_hash, ["VARCHAR"], "VARCHAR", side_effects=False)


class Plugin(BasePlugin):
    def initialize(self, plugin_config):
        self.warehouse_path = None

    def configure_connection(self, conn):
        path = getattr(self.creds, "path", None) if self.creds is not None else None
        register(conn, path if path and path != ":memory:" else None)
