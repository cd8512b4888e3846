"""Shared helpers of the collector tests: an in-process app over a temporary spool, a real server in a
subprocess, and a way to read back what the spool holds."""

import base64
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from starlette.testclient import TestClient

from realtime.app import create_app
from realtime.config import CollectorConfig
from realtime.spool import read_spool_file

WRITE_KEY = "wk_test_secret_1234"
KEY_NAME = "web"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def basic(key: str = WRITE_KEY) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def spooled(spool_dir: Path) -> list[dict]:
    """Every event in the spool's closed and open files, in file order (bad lines skipped)."""
    lines = []
    for folder in ("closed", "open"):
        for path in sorted((spool_dir / folder).glob("*.jsonl")):
            lines += [line.event for line in read_spool_file(path) if line.event is not None]
    return lines


def spool_bytes(spool_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(spool_dir.rglob("*.jsonl")) if p.name != "manifest.jsonl")


def make_config(spool_dir: Path, **overrides) -> CollectorConfig:
    return CollectorConfig(write_keys={WRITE_KEY: KEY_NAME}, spool_dir=spool_dir, **overrides)


@pytest.fixture
def spool_dir(tmp_path) -> Path:
    return tmp_path / "spool"


@pytest.fixture
def client(spool_dir) -> Iterator[TestClient]:
    """The app in process (lifespan on: the writer thread runs); the spool is closed when the test ends."""
    with TestClient(create_app(make_config(spool_dir))) as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(spool_dir: Path, port: int, *args: str) -> subprocess.Popen:
    """`python -m realtime.server` in a subprocess; returns once `/health` answers."""
    env = {**os.environ, "CDP_COLLECT_WRITE_KEYS": f"{KEY_NAME}:{WRITE_KEY}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "realtime.server", "--port", str(port), "--spool-dir", str(spool_dir), *args],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"collector exited: {process.stdout.read().decode()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as response:
                if orjson.loads(response.read())["ok"]:
                    return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("collector did not answer /health within 15 s")


@pytest.fixture
def server(spool_dir) -> Iterator[str]:
    """A real collector (uvicorn, uvloop, httptools) in a subprocess; yields its base URL, then stops it
    with SIGTERM so that it closes its open file."""
    port = free_port()
    process = start_server(spool_dir, port)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=15)
