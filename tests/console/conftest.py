"""The console over a copy of the session's demo warehouse: one failed sync run (a webhook nobody listens
on), the serving store published, the console store refreshed; test users of both roles."""

import re
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pytest
from starlette.testclient import TestClient

from activation.runner import declared_syncs, run_syncs
from cdp.config import Settings
from console.app import ConsoleSettings, create_app
from console.auth import User, hash_password
from console.store import refresh
from serving import publish
from tests.realtime.conftest import PROJECT_ROOT

PASSWORDS = {"ann": "admin-password-1", "mo": "marketer-password-1"}
# few iterations: the tests log in often; production hashes use console.auth.ITERATIONS
USERS = {
    "ann": User("ann", "admin", hash_password(PASSWORDS["ann"], 1000)),
    "mo": User("mo", "marketer", hash_password(PASSWORDS["mo"], 1000)),
}
SECRET = b"console-test-secret-0123456789abcdef"
WEBHOOK_SECRET = "whsec_" + "QUFB" * 11
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class ConsoleData:
    settings: Settings
    serving_store: Path
    console_store: Path
    failed_sync: str

    def console_settings(self) -> ConsoleSettings:
        return ConsoleSettings(self.serving_store, self.console_store, USERS, SECRET)


@pytest.fixture(scope="session")
def console_data(demo_warehouse: Settings, tmp_path_factory) -> ConsoleData:
    root = tmp_path_factory.mktemp("console")
    settings = replace(demo_warehouse, duckdb_path=root / "warehouse.duckdb")
    conn = duckdb.connect(str(demo_warehouse.duckdb_path))
    conn.execute("checkpoint")
    conn.close()
    shutil.copy(demo_warehouse.duckdb_path, settings.duckdb_path)
    conn = duckdb.connect(str(settings.duckdb_path))
    try:
        sync = next(s for s in declared_syncs(settings) if s.destination == "webhook")
        # port 9 (discard): connection refused, so every batch fails after its retries
        env = {"CDP_WEBHOOK_URL": "http://127.0.0.1:9/cdp", "CDP_WEBHOOK_SECRET": WEBHOOK_SECRET}
        (result,) = run_syncs(conn, [sync], env=env)
        assert result.rows_failed > 0
    finally:
        conn.close()
    _score_matches(settings)
    serving_store = root / "serving.sqlite"
    publish(settings, serving_store)
    console_store = root / "console.sqlite"
    refresh(settings, console_store)
    return ConsoleData(settings, serving_store, console_store, sync.name)


MATCH_SCRIPT = """
import sys
from pathlib import Path
from cdp.build import run_dbt
from cdp.config import Settings
from cdp.matching.run import match
settings = Settings(duckdb_path=Path(sys.argv[1]), landing_dir=Path(sys.argv[2]), pipelines_dir=Path(sys.argv[3]))
match(settings)
models = ["stg_matching__match_candidates", "stg_matching__review_decisions", "int_match_review_decisions",
          "int_identity_match_links"]
run_dbt(settings, "run", ["--select", *models, "identity_review_queue"], quiet=True)
"""


def _score_matches(settings: Settings) -> None:
    """`cdp match` and the review queue's models (not the graph downstream: the queue is what the console
    tests need), in a child process: dbt in-process would keep the file open read-write, and the console's
    refresh here opens it read-only."""
    args = [str(settings.duckdb_path), str(settings.landing_dir), str(settings.pipelines_dir)]
    subprocess.run([sys.executable, "-c", MATCH_SCRIPT, *args], check=True, cwd=PROJECT_ROOT, timeout=600)


def login(client: TestClient, name: str) -> str:
    """Log `name` in through the form; returns the session's CSRF token."""
    page = client.get("/login")
    token = CSRF_FIELD.search(page.text).group(1)
    answer = client.post(
        "/login", data={"csrf": token, "username": name, "password": PASSWORDS[name]}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    return CSRF_FIELD.search(client.get("/search").text).group(1)


@pytest.fixture
def app_client(console_data: ConsoleData) -> TestClient:
    return TestClient(create_app(console_data.console_settings()))


def sample(console_data: ConsoleData, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(console_data.serving_store)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()
