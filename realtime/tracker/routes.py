"""The tracker's routes: the script and its chunks, the settings document, the snippet page, the demo
shop, the pixel and the click redirect."""

import gzip
import hashlib
import html
import re
from pathlib import Path
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from realtime.tracker.beacons import pixel_endpoint, redirect_endpoint

STATIC_DIR = Path(__file__).parent / "static"
# `make tracker` unpacks the npm package here (an ignored folder).
VENDOR_DIR = Path(__file__).parent / "vendor" / "package"
UMD_DIR = VENDOR_DIR / "dist" / "umd"
_CHUNK_NAME = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.js$")
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")
_JS = "application/javascript; charset=utf-8"
_HTML = "text/html; charset=utf-8"


def _missing_bundle() -> Response:
    return Response(
        "/* analytics.js is not installed on this collector: run `make tracker` */\n",
        status_code=503,
        media_type=_JS,
        headers={"Cache-Control": "no-store"},
    )


def _accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "").lower()


class _Script:
    """`/tracker/cdp.js`: our prefix, analytics.js's UMD build and our set-up, read once and kept, with
    its gzip form (113 KB, 31 KB on the wire)."""

    def __init__(self) -> None:
        self.body: bytes | None = None
        self.gzipped = b""
        self.etag = ""

    def load(self) -> bytes | None:
        if self.body is None and (UMD_DIR / "index.js").is_file():
            version = orjson.loads((VENDOR_DIR / "package.json").read_bytes())["version"]
            bundle = (UMD_DIR / "index.js").read_bytes()
            # its source map is not served: drop the comment that would send dev tools looking for it
            bundle = re.sub(rb"\n//# sourceMappingURL=\S+\s*$", b"\n", bundle)
            parts = [(STATIC_DIR / "prefix.js").read_bytes(), bundle, (STATIC_DIR / "init.js").read_bytes()]
            self.body = b"".join(parts)
            self.gzipped = gzip.compress(self.body, compresslevel=9, mtime=0)
            self.etag = f'"ajs-{version}-{hashlib.sha256(self.body).hexdigest()[:16]}"'
        return self.body

    async def serve(self, request: Request) -> Response:
        body = self.load()
        if body is None:
            return _missing_bundle()
        headers = {"Cache-Control": "public, max-age=300", "ETag": self.etag, "Vary": "Accept-Encoding"}
        if request.headers.get("if-none-match") == self.etag:
            return Response(status_code=304, headers=headers)
        if _accepts_gzip(request):
            return Response(self.gzipped, media_type=_JS, headers={**headers, "Content-Encoding": "gzip"})
        return Response(body, media_type=_JS, headers=headers)


async def chunk(request: Request) -> Response:
    """A chunk analytics.js loads lazily; only `*.js` files of the UMD folder (names hold a content hash),
    gzipped when the package ships the `.gz` beside it and the browser accepts it."""
    name = request.path_params["name"]
    path = UMD_DIR / name
    if not _CHUNK_NAME.match(name) or not path.is_file():
        return Response("/* no such chunk */\n", status_code=404, media_type=_JS)
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
    packed = path.with_name(name + ".gz")
    if _accepts_gzip(request) and packed.is_file():
        return Response(packed.read_bytes(), media_type=_JS, headers={**headers, "Content-Encoding": "gzip"})
    return Response(path.read_bytes(), media_type=_JS, headers=headers)


def _origin(request: Request) -> tuple[str, str]:
    """(scheme, host[:port]) the browser used to reach us; a Host header that is not a host is refused."""
    host = request.headers.get("host", "")
    if not _HOST.match(host):
        server_host, server_port = request.scope.get("server") or ("127.0.0.1", 80)
        host = f"{server_host}:{server_port}"
    return request.url.scheme, host


def settings_endpoint(collector: Any):
    """`/v1/projects/<writeKey>/settings`: what analytics.js reads from Segment's CDN before it starts,
    pointing every request back here: events to this host's `/v1`, remote metrics off, no device-mode
    destinations or middleware to download. 404 for a key the collector does not know (as the CDN)."""

    async def settings(request: Request) -> Response:
        write_key = request.path_params["write_key"]
        if write_key not in collector.config.write_keys:
            body = {"success": False, "code": "invalid_write_key", "message": "The write key is not valid"}
            return Response(orjson.dumps(body), status_code=404, media_type="application/json")
        scheme, host = _origin(request)
        document = {
            "integrations": {
                "Segment.io": {"apiKey": write_key, "apiHost": f"{host}/v1", "protocol": scheme},
            },
            "plan": {"track": {"__default": {"enabled": True}}, "identify": {"__default": {"enabled": True}}},
            "metrics": {"sampleRate": 0},
            "analyticsNextEnabled": True,
            "middlewareSettings": {},
            "enabledMiddleware": {},
            "legacyVideoPluginsEnabled": False,
            "remotePlugins": [],
        }
        return Response(orjson.dumps(document), media_type="application/json", headers={"Cache-Control": "no-cache"})

    return settings


async def snippet_page(request: Request) -> Response:
    scheme, host = _origin(request)
    text = (STATIC_DIR / "snippet.html").read_text().replace("__ORIGIN__", html.escape(f"{scheme}://{host}"))
    return Response(text, media_type=_HTML)


def demo_endpoints(write_key: str) -> list[Route]:
    async def page(request: Request) -> Response:
        text = (STATIC_DIR / "demo" / "index.html").read_text().replace("__WRITE_KEY__", html.escape(write_key))
        return Response(text, media_type=_HTML, headers={"Cache-Control": "no-cache"})

    async def shop_js(request: Request) -> Response:
        return Response((STATIC_DIR / "demo" / "shop.js").read_bytes(), media_type=_JS)

    return [Route("/demo/", page, methods=["GET"]), Route("/demo/shop.js", shop_js, methods=["GET"])]


def tracker_routes(collector: Any) -> list[Route]:
    """Every route of the tracker, for `create_app` to mount beside the API."""
    config = collector.config
    routes = [
        Route("/tracker/cdp.js", _Script().serve, methods=["GET"]),
        Route("/tracker/", snippet_page, methods=["GET"]),
        Route("/analytics-next/bundles/{name}", chunk, methods=["GET"]),
        Route("/v1/projects/{write_key}/settings", settings_endpoint(collector), methods=["GET"]),
        Route("/v1/pixel/{event_type}", pixel_endpoint(collector), methods=["GET"]),
        Route("/v1/r", redirect_endpoint(collector), methods=["GET"]),
    ]
    if config.demo_write_key:
        routes += demo_endpoints(config.demo_write_key)
    return routes
