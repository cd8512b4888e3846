"""What the collector serves to browsers: analytics.js set up for this origin, its chunks, the settings
document analytics.js would fetch from Segment's CDN, the snippet page, the demo shop (only when asked
for), and CORS for the configured site origins only."""

import re

import pytest
from starlette.testclient import TestClient

from realtime.app import create_app
from realtime.config import CollectorConfig
from realtime.tracker.routes import UMD_DIR
from tests.realtime.conftest import WRITE_KEY, basic, make_config, spooled

needs_bundle = pytest.mark.skipif(not (UMD_DIR / "index.js").is_file(), reason="run `make tracker` first")
SITE = "https://shop.example.org"


@pytest.fixture
def site_client(tmp_path):
    config = make_config(tmp_path / "site-spool", site_origins=(SITE,), demo_write_key=WRITE_KEY)
    with TestClient(create_app(config), base_url="http://collect.test:8088") as client:
        yield client


@needs_bundle
def test_the_script_is_analytics_js_wrapped_for_this_origin(client):
    response = client.get("/tracker/cdp.js")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/javascript")
    body = response.text
    assert "AnalyticsNext" in body and "AnalyticsBrowser.load" in body
    assert body.index("window.analytics._cdn") < body.index("AnalyticsNext")  # chunks from here, set first
    assert "sourceMappingURL" not in body  # the map is not served
    again = client.get("/tracker/cdp.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


@needs_bundle
def test_the_script_and_chunks_go_gzipped_to_browsers_that_accept_it(client):
    plain = client.get("/tracker/cdp.js", headers={"Accept-Encoding": "identity"})
    packed = client.get("/tracker/cdp.js", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "content-encoding" not in plain.headers and packed.headers["content-encoding"] == "gzip"
    assert packed.content == plain.content  # httpx unzips: the same script
    assert int(packed.headers["content-length"]) < len(plain.content) / 3
    chunk = next(p.name for p in UMD_DIR.glob("*.bundle.*.js"))
    packed_chunk = client.get(f"/analytics-next/bundles/{chunk}", headers={"Accept-Encoding": "gzip"})
    assert packed_chunk.headers["content-encoding"] == "gzip"
    assert packed_chunk.content == (UMD_DIR / chunk).read_bytes()


@needs_bundle
def test_chunks_are_served_from_the_umd_folder_only(client):
    chunk = next(p.name for p in UMD_DIR.glob("*.bundle.*.js"))
    response = client.get(f"/analytics-next/bundles/{chunk}")
    assert response.status_code == 200 and "immutable" in response.headers["cache-control"]
    for name in ("..%2Fpackage.json", "index.js.map", "..%2F..%2F..%2Frouting.py", "missing.bundle.js", ".js"):
        assert client.get(f"/analytics-next/bundles/{name}").status_code == 404


def test_the_settings_document_points_analytics_js_back_here(site_client):
    response = site_client.get(f"/v1/projects/{WRITE_KEY}/settings")
    assert response.status_code == 200
    document = response.json()
    assert document["integrations"]["Segment.io"] == {
        "apiKey": WRITE_KEY,
        "apiHost": "collect.test:8088/v1",
        "protocol": "http",
    }
    assert document["metrics"]["sampleRate"] == 0  # no remote metrics to api.segment.io
    assert document["remotePlugins"] == [] and document["enabledMiddleware"] == {}
    assert "segment.com" not in response.text and "segment.io" not in response.text


def test_the_settings_of_an_unknown_key_are_not_found(client):
    response = client.get("/v1/projects/wk_guess/settings")
    assert response.status_code == 404 and response.json()["code"] == "invalid_write_key"
    assert "wk_guess" not in response.text


def test_a_forged_host_header_does_not_reach_the_settings(site_client):
    response = site_client.get(f"/v1/projects/{WRITE_KEY}/settings", headers={"Host": 'evil"/><script>'})
    assert response.status_code == 200
    assert "<script>" not in response.text and "evil" not in response.text
    page = site_client.get("/tracker/", headers={"Host": "evil.test/<x>"})
    assert "<x>" not in page.text and "evil.test" not in page.text


def test_the_snippet_page_names_this_collector(site_client):
    response = site_client.get("/tracker/")
    assert response.status_code == 200
    assert '&lt;script src="http://collect.test:8088/tracker/cdp.js" data-write-key="YOUR_WRITE_KEY"' in response.text


def test_the_demo_shop_is_off_unless_configured(client, site_client):
    assert client.get("/demo/").status_code == 404
    page = site_client.get("/demo/")
    assert page.status_code == 200
    assert re.search(r'<script src="/tracker/cdp.js" data-write-key="wk_test_secret_1234"></script>', page.text)
    assert site_client.get("/demo/shop.js").status_code == 200


def test_the_demo_key_must_be_a_write_key(spool_dir):
    from cdp.errors import ConfigError

    with pytest.raises(ConfigError, match="CDP_COLLECT_DEMO_WRITE_KEY"):
        CollectorConfig(write_keys={WRITE_KEY: "web"}, spool_dir=spool_dir, demo_write_key="other")


def test_tracker_settings_come_from_the_environment(monkeypatch, spool_dir):
    monkeypatch.setenv("CDP_COLLECT_WRITE_KEYS", f"web:{WRITE_KEY}")
    monkeypatch.setenv("CDP_COLLECT_REDIRECT_HOSTS", "Shop.Example.org, .brand.net,")
    monkeypatch.setenv("CDP_COLLECT_SITE_ORIGINS", "https://shop.example.org/,http://localhost:3000")
    monkeypatch.setenv("CDP_COLLECT_DEMO_WRITE_KEY", WRITE_KEY)
    config = CollectorConfig.from_env(spool_dir=spool_dir)
    assert config.redirect_hosts == ("shop.example.org", ".brand.net")
    assert config.site_origins == ("https://shop.example.org", "http://localhost:3000")
    assert config.demo_write_key == WRITE_KEY


def test_a_site_origin_may_post_after_a_preflight(site_client, tmp_path):
    preflight = site_client.options(
        "/v1/t",
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-retry-count",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == SITE
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    body = b'{"userId":"u-1","event":"Viewed"}'
    response = site_client.post(
        "/v1/t", content=body, headers={"Origin": SITE, "Content-Type": "text/plain", **basic()}
    )
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == SITE
    assert len(spooled(tmp_path / "site-spool")) == 1


def test_other_origins_get_no_cors_grant(site_client, client):
    preflight = site_client.options(
        "/v1/t", headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 400 and "access-control-allow-origin" not in preflight.headers
    # Without configured origins there is no CORS at all (no middleware in front of the endpoints).
    response = client.post("/v1/t", content=b'{"userId":"u","event":"E"}', headers={"Origin": SITE, **basic()})
    assert response.status_code == 200 and "access-control-allow-origin" not in response.headers


def test_a_cors_grant_never_sticks_to_a_later_answer(tmp_path):
    other = "http://localhost:3000"
    config = make_config(tmp_path / "spool", site_origins=(SITE, other))
    body = b'{"userId":"u","event":"E"}'
    with TestClient(create_app(config)) as client:
        first = client.post("/v1/t", content=body, headers={"Origin": SITE, **basic()})
        second = client.post("/v1/t", content=body, headers={"Origin": other, **basic()})
        plain = client.post("/v1/t", content=body, headers=basic())
    assert first.headers["access-control-allow-origin"] == SITE
    assert second.headers["access-control-allow-origin"] == other
    assert second.headers.get_list("vary") == ["Origin"]
    assert "access-control-allow-origin" not in plain.headers


@pytest.mark.parametrize("origin", ["shop.example.org", "https://shop.example.org/path", "*", "ftp://x.org"])
def test_a_site_origin_must_be_an_origin(spool_dir, origin):
    from cdp.errors import ConfigError

    with pytest.raises(ConfigError, match="CDP_COLLECT_SITE_ORIGINS"):
        make_config(spool_dir, site_origins=(origin,))
