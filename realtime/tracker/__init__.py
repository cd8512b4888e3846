"""The first-party browser tracker, served by the collector (see docs/realtime.md, "Browser tracker").

- `GET /tracker/cdp.js`: Segment's analytics.js (`@segment/analytics-next`, its UMD build from npm,
  unpacked by `make tracker`) set up to talk to this collector only; `GET /analytics-next/bundles/<chunk>`:
  the chunks it loads lazily; `GET /v1/projects/<writeKey>/settings`: the settings document analytics.js
  would fetch from Segment's CDN. `GET /tracker/`: the snippet page for site owners.
- `GET /v1/pixel/<type>?data=<base64 JSON>`: the tracking pixel (a 1x1 GIF) for emails and pages without
  JavaScript.
- `GET /v1/r?u=<url>&data=<base64 JSON>`: a tracked link: records a click, then redirects to `u` when its
  host is allowed (`CDP_COLLECT_REDIRECT_HOSTS`).
- `GET /demo/`: the demo shop, only when `CDP_COLLECT_DEMO_WRITE_KEY` is set.
"""

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from realtime.tracker.routes import tracker_routes

__all__ = ["cors_middleware", "tracker_routes"]


def cors_middleware(origins: tuple[str, ...]) -> list[Middleware]:
    """CORS for the site origins: the headers analytics.js sends (`Authorization` makes its POSTs
    preflighted), no cookies; a day's preflight cache. Starlette's CORS middleware edits the headers of
    the response start message in place, and the API's answers reuse one constant message: each is
    copied first, or one origin's grant would stick to every later answer."""
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Retry-Count"],
            allow_credentials=False,
            max_age=86400,
        ),
        Middleware(_CopyResponseStart),
    ]


class _CopyResponseStart:
    """Hands the middleware above a private copy of each `http.response.start` message."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_copy(message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": list(message.get("headers", []))}
            await send(message)

        await self.app(scope, receive, send_copy)
