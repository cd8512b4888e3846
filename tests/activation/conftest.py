"""Fixtures of the activation tests: a small in-memory warehouse with a customer model, consent and
segment memberships that a test rewrites at will, and a run context whose sleeps are recorded, not slept."""

import glob
import os
import pwd
import random
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb
import pytest

from activation.engine import RunContext
from activation.syncs import Sync

Row = tuple[str, str | None, str | None]  # customer_id, email, first_name

# cdp.build.run_dbt (the session's demo warehouse, a test's own dbt run) points CDP_DUCKDB_PATH at its
# warehouse for the rest of the process; tests elsewhere read that variable, so put it back after each test
_CDP_DUCKDB_PATH = os.environ.get("CDP_DUCKDB_PATH")


@pytest.fixture(autouse=True)
def _restore_cdp_duckdb_path():
    yield
    if _CDP_DUCKDB_PATH is None:
        os.environ.pop("CDP_DUCKDB_PATH", None)
    else:
        os.environ["CDP_DUCKDB_PATH"] = _CDP_DUCKDB_PATH


class Warehouse:
    def __init__(self) -> None:
        self.conn = duckdb.connect()
        self.conn.execute("create schema marts")
        self.conn.execute("create table marts.customers (customer_id varchar, email varchar, first_name varchar)")
        self.conn.execute(
            "create table marts.customer_consents"
            " (customer_id varchar, purpose varchar, channel varchar, is_granted boolean)"
        )
        self.conn.execute(
            "create table marts.segment_memberships (segment varchar, customer_id varchar, is_holdout boolean)"
        )

    def set_model(self, rows: Iterable[Row], withdrawn: Iterable[str] = ()) -> None:
        """Replace the model; every customer consents to marketing by email unless listed in `withdrawn`."""
        rows = list(rows)
        withdrawn = set(withdrawn)
        self.conn.execute("delete from marts.customers; delete from marts.customer_consents")
        if rows:
            self.conn.executemany("insert into marts.customers values (?, ?, ?)", rows)
            self.conn.executemany(
                "insert into marts.customer_consents values (?, 'marketing', 'email', ?)",
                [(row[0], row[0] not in withdrawn) for row in rows],
            )

    def set_segment(self, segment: str, members: Iterable[str], holdout: Iterable[str] = ()) -> None:
        holdout = set(holdout)
        self.conn.execute("delete from marts.segment_memberships where segment = ?", [segment])
        members = list(members)
        if members:
            self.conn.executemany(
                "insert into marts.segment_memberships values (?, ?, ?)", [(segment, m, m in holdout) for m in members]
            )


@pytest.fixture
def warehouse() -> Warehouse:
    wh = Warehouse()
    yield wh
    wh.conn.close()


@pytest.fixture
def make_sync() -> Callable[..., Sync]:
    def make(**overrides) -> Sync:
        values = dict(
            name="customers_to_memory",
            model="customers",
            destination="memory",
            mode="mirror",
            delete_behaviour="delete",
            fields={"email": "email", "first_name": "first_name"},
            consent_purpose="marketing",
            consent_channel="email",
        )
        values.update(overrides)
        return Sync(**values)

    return make


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def context(sleeps) -> RunContext:
    return RunContext(sleep=sleeps.append, rng=random.Random(0))


def customers(n: int, start: int = 0, name: str = "Ann") -> list[Row]:
    return [(f"cus_{i:05d}", f"c{i}@example.com", name) for i in range(start, start + n)]


@pytest.fixture
def rows() -> Callable[..., list[Row]]:
    return customers


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb") or ""]
    path = Path(found[-1]) if found[-1] else None
    return path.parent if path and path.exists() else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """A real PostgreSQL server for this test session, in a temporary folder on a free loopback port.
    initdb refuses to run as root, so as root the server runs as the `postgres` system user."""
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    # not under pytest's tmp folder: as root that one is 0700 and the server's user could not enter it
    root = Path(tempfile.mkdtemp(prefix="cdp-postgres-"))
    data, log = root / "data", root / "server.log"
    prefix: list[str] = []
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` user to run the server as")
        shutil.chown(root, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(
        [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "cdp", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} -c fsync=off"
    subprocess.run(
        [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"host=127.0.0.1 port={port} user=cdp dbname=postgres connect_timeout=5"
    finally:
        subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
