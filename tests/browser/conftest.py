"""Fixtures of the browser tests: the system Chromium driven by Playwright, and a real collector (uvicorn in
a subprocess) serving the tracker and the demo shop."""

import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from realtime.tracker.routes import UMD_DIR
from tests.realtime.conftest import PROJECT_ROOT, WRITE_KEY, free_port, start_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "artifacts" / "browser"


@pytest.fixture(scope="module")
def chromium():
    """Chromium launched by Playwright (`playwright install` cannot download browsers here: the system's).
    Module scope, not session: Playwright's sync API keeps an asyncio loop running in this thread while it
    is open, and tests after the browser tests call `asyncio.run`."""
    if not Path(CHROMIUM).exists():
        pytest.skip("no chromium: `apt-get install chromium` (CI installs it; .ci/run)")
    if not (UMD_DIR / "index.js").is_file():
        pytest.fail("analytics.js is not unpacked: run `make tracker`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def collector(tmp_path, monkeypatch) -> Iterator[tuple[str, Path, subprocess.Popen]]:
    """A real collector with the demo shop on (demo key = the test key); yields (base URL, spool dir,
    process).
    Stopped with SIGTERM at the end (its open spool file is then closed) unless the test stopped it."""
    spool_dir = tmp_path / "spool"
    monkeypatch.setenv("CDP_COLLECT_DEMO_WRITE_KEY", WRITE_KEY)
    monkeypatch.setenv("CDP_COLLECT_REDIRECT_HOSTS", "shop.example.org")
    port = free_port()
    process = start_server(spool_dir, port)
    base = f"http://127.0.0.1:{port}"
    yield base, spool_dir, process
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=15)


class RequestLog:
    """Every request the page makes; requests to another host than `allowed` are aborted and kept."""

    def __init__(self, allowed_netlocs: set[str]) -> None:
        self.allowed = allowed_netlocs
        self.urls: list[str] = []
        self.methods: list[tuple[str, str]] = []
        self.foreign: list[str] = []

    def attach(self, context) -> None:
        context.on("request", self._seen)
        context.route("**/*", self._route)

    def _seen(self, request) -> None:
        self.urls.append(request.url)
        self.methods.append((request.method, request.url))

    def _route(self, route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc not in self.allowed:
            self.foreign.append(url)
            route.abort()
        else:
            route.continue_()


def stop(process: subprocess.Popen, spool_dir: Path) -> None:
    """SIGTERM the collector and wait: its open spool file is closed (ready for the loader). uvicorn
    re-raises the signal once it has shut down cleanly, hence -SIGTERM as well as 0."""
    process.terminate()
    assert process.wait(timeout=15) in (0, -signal.SIGTERM)
    assert not list((spool_dir / "open").glob("*.jsonl")), "the collector left its spool file open"
