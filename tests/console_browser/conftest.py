"""The console served by uvicorn (in a thread) over the console tests' data, and the system Chromium."""

import shutil
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
import uvicorn

from console.app import create_app
from tests.console.conftest import console_data  # noqa: F401 - the session fixture, shared
from tests.realtime.conftest import PROJECT_ROOT, free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = PROJECT_ROOT / "artifacts" / "console"


@pytest.fixture(scope="module")
def chromium():
    """Module scope, not session: Playwright's sync API keeps an asyncio loop running in this thread while
    it is open, and later tests call `asyncio.run`."""
    if not Path(CHROMIUM).exists():
        pytest.skip("no chromium: `apt-get install chromium` (CI installs it; .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def console_url(console_data, tmp_path_factory):  # noqa: F811 - the fixture imported above
    """The console on a port of its own, deciding review items into its own copy of the warehouse."""
    folder = tmp_path_factory.mktemp("console_browser")
    warehouse = replace(console_data.settings, duckdb_path=folder / "warehouse.duckdb")
    shutil.copy(console_data.settings.duckdb_path, warehouse.duckdb_path)
    console_store = folder / "console.sqlite"
    shutil.copy(console_data.console_store, console_store)
    settings = replace(console_data.console_settings(), console_store=console_store, warehouse=warehouse)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the console did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
