"""The snippet on a site owner's page (another origin than the collector's), in Chromium: analytics.js
posts across origins only for a configured site origin (CORS, with a preflight for its Basic auth
header); the pixel and a tracked link work from plain HTML; nothing goes to a third host."""

import base64
import functools
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, urlsplit

import orjson
import pytest

from tests.browser.conftest import ARTIFACTS, RequestLog
from tests.realtime.conftest import WRITE_KEY, free_port, spooled, start_server

pytestmark = pytest.mark.browser

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>A site</title><link rel="icon" href="data:,">
<script src="{collector}/tracker/cdp.js" data-write-key="{key}"></script></head>
<body><h1>Spring sale</h1>
<img id="pixel" alt="" width="1" height="1" src="{collector}/v1/pixel/track?data={pixel}">
<a id="tracked" href="{collector}/v1/r?u={target}&amp;data={click}">See the sale</a>
<button id="buy" onclick="window.analytics.track('Promo Clicked', {{promo: 'spring'}})">Buy</button>
</body></html>"""


def _encode(event: dict) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(event)).decode().rstrip("=")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def site(tmp_path):
    """A site owner's web server on `localhost` (the collector is on 127.0.0.1: another origin)."""
    root = tmp_path / "site"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _collector(tmp_path, monkeypatch, site_origin: str):
    spool_dir = tmp_path / "spool"
    monkeypatch.setenv("CDP_COLLECT_SITE_ORIGINS", site_origin)
    monkeypatch.setenv("CDP_COLLECT_REDIRECT_HOSTS", "localhost")
    port = free_port()
    return start_server(spool_dir, port), f"http://127.0.0.1:{port}", spool_dir


def _write_page(root, collector: str, site: str) -> None:
    pixel = _encode({"writeKey": WRITE_KEY, "userId": "reader-1", "event": "Email Opened"})
    click = _encode({"writeKey": WRITE_KEY, "userId": "reader-1", "properties": {"link": "sale"}})
    html = PAGE.format(collector=collector, key=WRITE_KEY, pixel=pixel, click=click, target=quote(f"{site}/sale.html"))
    (root / "index.html").write_text(html)
    (root / "sale.html").write_text(
        "<!doctype html><title>Sale</title><link rel='icon' href='data:,'><h1 id='sale'>Sale</h1>"
    )


def _events(spool_dir, page, count: int, timeout: float = 10.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while len(events := spooled(spool_dir)) < count and time.monotonic() < deadline:
        page.wait_for_timeout(100)  # keeps Playwright's route handler running
    return events


def test_a_configured_site_sends_through_cors_and_plain_html_beacons_work(chromium, site, tmp_path, monkeypatch):
    root, site_url = site
    process, collector, spool_dir = _collector(tmp_path, monkeypatch, site_url)
    try:
        _write_page(root, collector, site_url)
        context = chromium.new_context()
        requests = RequestLog({urlsplit(site_url).netloc, urlsplit(collector).netloc})
        requests.attach(context)
        page = context.new_page()
        # ajs_event makes analytics.js load its lazy queryString chunk: it must come from the collector
        page.goto(f"{site_url}/index.html?utm_source=newsletter&utm_medium=email&fbclid=FB-77&ajs_event=Came+Back")
        page.click("#buy")
        events = _events(spool_dir, page, 4)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "site-snippet.png"))
        by_kind = {(e["type"], e.get("event")) for e in events}
        assert by_kind == {
            ("page", None),
            ("track", "Email Opened"),
            ("track", "Promo Clicked"),
            ("track", "Came Back"),
        }
        chunks = [url for url in requests.urls if "/analytics-next/bundles/queryString." in url]
        assert chunks and all(url.startswith(f"{collector}/") for url in chunks)
        landing = next(e for e in events if e["type"] == "page")
        assert landing["properties"]["fbclid"] == "FB-77"
        assert landing["context"]["campaign"] == {"source": "newsletter", "medium": "email"}
        assert landing["context"]["page"]["url"].startswith(site_url)

        page.click("#tracked")
        page.wait_for_selector("#sale")
        assert page.url == f"{site_url}/sale.html"
        clicks = [e for e in _events(spool_dir, page, 5) if e.get("event") == "Link Clicked"]
        assert [c["properties"] for c in clicks] == [{"link": "sale", "url": f"{site_url}/sale.html"}]
        # analytics.js posted across origins (Chromium preflights it out of Playwright's sight)
        assert ("POST", f"{collector}/v1/t") in requests.methods
        assert requests.foreign == []
        context.close()
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_a_site_not_configured_gets_nothing_through(chromium, site, tmp_path, monkeypatch):
    root, site_url = site
    process, collector, spool_dir = _collector(tmp_path, monkeypatch, "https://the-real-shop.example.org")
    try:
        _write_page(root, collector, site_url)
        context = chromium.new_context()
        requests = RequestLog({urlsplit(site_url).netloc, urlsplit(collector).netloc})
        requests.attach(context)
        page = context.new_page()
        page.goto(f"{site_url}/index.html")
        page.click("#buy")
        events = _events(spool_dir, page, 1, timeout=3.0)
        # The settings document carries no CORS grant for this origin, so analytics.js cannot start and
        # posts nothing; only the pixel (an image: no CORS) got through.
        assert [(e["type"], e.get("event")) for e in events] == [("track", "Email Opened")]
        assert ("GET", f"{collector}/v1/projects/{WRITE_KEY}/settings") in requests.methods  # it tried
        assert not [url for method, url in requests.methods if method == "POST"]
        context.close()
    finally:
        process.terminate()
        process.wait(timeout=15)
