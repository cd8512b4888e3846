"""`cdp console`: the web console (Starlette + Jinja2), reading only the serving store and the console store.

Every page needs a signed session; marketers see PII masked, admins see it whole. Every POST carries the
session's CSRF token (form field `csrf` or header `X-CSRF-Token`). No PII goes into a URL: a search posts
its value and is redirected to `/customers/<customer id>`; the graph path is asked for by node ids.
Assets (CSS, the console's script, Plotly's bundled plotly.min.js) are served from this package and from
the installed plotly package; the CSP allows scripts from 'self' only.
"""

import hmac
import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from cdp.config import Settings
from cdp.errors import CdpError
from cdp.lock import WarehouseLocked, warehouse_lock
from console import charts, graph, privacy, store
from console.auth import User, new_session, read_session, sign_session, verify_password
from console.masking import mask_identifier, mask_key, mask_profile
from serving import lookup
from serving.store import connect_reader

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
COOKIE = "cdp_console"
SEARCH_ORDER = (
    "customer_id",
    "email",
    "phone",
    "loyalty_card",
    "anonymous_id",
    "user_id",
    "crm_contact_id",
    "esp_subscriber_id",
    "device_id",
)
IDENTIFIERS_SHOWN = 200  # a customer with thousands (web anonymous ids): the first 200, strongest first
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}
# plotly's style tags are added by its script at run time: 'unsafe-inline' for styles only, never scripts


@dataclass(frozen=True)
class ConsoleSettings:
    serving_store: Path
    console_store: Path
    users: dict[str, User]
    secret: bytes
    secure_cookies: bool = False
    # the warehouse, for privacy requests and access exports only (under its writer lock); None: disabled
    warehouse: Settings | None = None


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def detect_type(value: str) -> list[str]:
    """Identifier types to try for a typed value, likeliest first."""
    value = value.strip()
    if value.startswith("cus_"):
        return ["customer_id"]
    if "@" in value:
        return ["email"]
    digits = sum(c.isdigit() for c in value)
    if value.startswith(("+", "00")) and digits >= 8 and all(c.isdigit() or c in "+-() ./" for c in value):
        return ["phone", "loyalty_card", "user_id"]
    return [t for t in SEARCH_ORDER if t not in ("customer_id", "email")] + ["customer_id"]


def create_app(settings: ConsoleSettings) -> Starlette:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
    env.filters["money"] = lambda v: f"€{v:,.2f}" if isinstance(v, int | float) else ("" if v is None else v)
    serving_conn: list[sqlite3.Connection] = []

    def serving() -> sqlite3.Connection:
        if not serving_conn:
            serving_conn.append(connect_reader(settings.serving_store))
        return serving_conn[0]

    def console_db() -> sqlite3.Connection:
        return store.connect(settings.console_store)

    def session(request: Request) -> dict | None:
        return read_session(settings.secret, request.cookies.get(COOKIE))

    def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        sess = session(request) or {}
        html = env.get_template(template).render(session=sess, path=request.url.path, **context)
        return HTMLResponse(html, status_code=status)

    def set_cookie(response: Response, payload: dict) -> None:
        response.set_cookie(
            COOKIE,
            sign_session(settings.secret, payload),
            httponly=True,
            secure=settings.secure_cookies,
            samesite="strict",
            max_age=payload["exp"] - int(time.time()),
        )

    async def form(request: Request) -> dict[str, str]:
        body = (await request.body()).decode("utf-8", "replace")
        return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}

    def csrf_ok(sess: dict | None, token: str | None) -> bool:
        return bool(sess and token and hmac.compare_digest(sess.get("csrf", ""), token))

    def page(role: str | None = None):
        """Wrap a handler: a session is required (else to /login); `role='admin'` answers 403 to others."""

        def wrap(handler):
            async def endpoint(request: Request) -> Response:
                sess = session(request)
                if not sess or "user" not in sess:
                    return RedirectResponse("/login", status_code=303)
                if role == "admin" and sess.get("role") != "admin":
                    return render(request, "error.html", 403, message="This page is for administrators.")
                if request.method == "POST":
                    data = await form(request) if "form" in request.headers.get("content-type", "") else {}
                    if not csrf_ok(sess, data.get("csrf") or request.headers.get("x-csrf-token")):
                        return render(request, "error.html", 403, message="The form expired (CSRF check); reload.")
                    request.state.form = data
                request.state.masked = sess.get("role") != "admin"
                try:
                    return await handler(request)
                except store.ConsoleStoreError as exc:
                    return render(request, "error.html", 503, message=str(exc))

            return endpoint

        return wrap

    async def login_page(request: Request) -> Response:
        sess = session(request)
        if sess and "user" in sess:
            return RedirectResponse("/", status_code=303)
        pre = sess or {"csrf": new_session(User("", "", "")).get("csrf"), "exp": int(time.time()) + 3600}
        response = render(request, "login.html", csrf=pre["csrf"])
        set_cookie(response, pre)
        return response

    async def login(request: Request) -> Response:
        data = await form(request)
        if not csrf_ok(session(request), data.get("csrf")):
            return render(request, "error.html", 403, message="The login form expired; reload the page.")
        user = settings.users.get(data.get("username", ""))
        if user is None or not verify_password(data.get("password", ""), user.password_hash):
            log.info("console login failed")
            response = render(
                request, "login.html", 401, csrf=session(request)["csrf"], error="Wrong name or password."
            )
            return response
        log.info("console login: %s (%s)", user.name, user.role)
        response = RedirectResponse("/", status_code=303)
        set_cookie(response, new_session(user))
        return response

    @page()
    async def logout(request: Request) -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    @page()
    async def overview(request: Request) -> Response:
        conn = console_db()
        try:
            facts = store.facts(conn)
            runs = conn.execute(
                "select sync_name, status, started_at, rows_acked, rows_failed from sync_runs"
                " order by started_at desc limit 8"
            ).fetchall()
        finally:
            conn.close()
        published = lookup.last_publish(serving())
        return render(
            request,
            "overview.html",
            facts=facts,
            figures=charts.overview_figures(facts),
            runs=runs,
            published=published,
            flows=_flows(settings),
            plotly=True,
        )

    @page()
    async def search_page(request: Request) -> Response:
        return render(request, "search.html", types=SEARCH_ORDER)

    @page()
    async def search(request: Request) -> Response:
        value = request.state.form.get("value", "").strip()
        chosen = request.state.form.get("type", "auto")
        if not value:
            return render(request, "search.html", 400, types=SEARCH_ORDER, error="Type an identifier.")
        types = detect_type(value) if chosen == "auto" else [chosen]
        if chosen not in SEARCH_ORDER and chosen != "auto":
            return render(request, "search.html", 400, types=SEARCH_ORDER, error=f"Unknown type `{chosen}`.")
        conn = serving()
        for identifier_type in types:
            customer_id = lookup.resolve(conn, identifier_type, value)
            if customer_id:
                return RedirectResponse(f"/customers/{customer_id}", status_code=303)
        return render(request, "search.html", 404, types=SEARCH_ORDER, error="No customer has that identifier.")

    @page()
    async def customer(request: Request) -> Response:
        customer_id = request.path_params["customer_id"]
        masked = request.state.masked
        conn = serving()
        profile = lookup.document(conn, "profiles", customer_id)
        if profile is None:  # unknown, merged away or erased: gone from the console too
            return render(request, "error.html", 404, message="No such customer (merged, erased or never seen).")
        source_filter = request.query_params.get("source", "")
        events = lookup.document(conn, "events", customer_id, [])
        sources = sorted({e.get("source") for e in events if e.get("source")})
        if source_filter:
            events = [e for e in events if e.get("source") == source_filter]
        cdb = console_db()
        try:
            picture, _ = graph.build(cdb, customer_id, masked)
            keys = cdb.execute(
                "select identifier_key, is_linkable from identities where customer_id = ?"
                " order by is_linkable desc, identifier_type, identifier_key limit ?",
                [customer_id, IDENTIFIERS_SHOWN + 1],
            ).fetchall()
            stays = cdb.execute(
                "select segment, is_holdout, entered_at, exited_at from segment_history where customer_id = ?"
                " order by entered_at desc",
                [customer_id],
            ).fetchall()
        finally:
            cdb.close()
        traits = {k: v for k, v in profile.items() if not k.endswith("_source")}
        winners = {k[: -len("_source")]: v for k, v in profile.items() if k.endswith("_source")}
        identifiers = [
            (key.partition(":")[0], mask_key(key).partition(":")[2] if masked else key.partition(":")[2], ok)
            for key, ok in keys[:IDENTIFIERS_SHOWN]
        ]
        return render(
            request,
            "customer.html",
            customer_id=customer_id,
            traits=mask_profile(traits) if masked else traits,
            winners=winners,
            identifiers=identifiers,
            events=events,
            sources=sources,
            source_filter=source_filter,
            recommendations=lookup.document(conn, "recommendations", customer_id, []),
            consents=lookup.document(conn, "consents", customer_id, {}),
            stays=stays,
            graph=picture,
            pos={n.id: n for n in picture.nodes},
            more_identifiers=len(keys) > IDENTIFIERS_SHOWN,
        )

    @page()
    async def customer_path(request: Request) -> Response:
        customer_id = request.path_params["customer_id"]
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return JSONResponse({"error": "The body must be JSON {from, to}"}, status_code=400)
        if lookup.document(serving(), "profiles", customer_id) is None:
            return JSONResponse({"error": "No such customer"}, status_code=404)
        cdb = console_db()
        try:
            picture, expl = graph.build(cdb, customer_id, request.state.masked)
        finally:
            cdb.close()
        answer = graph.path(expl, picture, str(body.get("from", "")), str(body.get("to", "")), request.state.masked)
        return JSONResponse(answer, status_code=400 if "error" in answer else 200)

    @page()
    async def segments(request: Request) -> Response:
        conn = console_db()
        try:
            facts = store.facts(conn)
        finally:
            conn.close()
        defs = charts.segment_definitions()
        usage = charts.segment_usage()
        rows = [
            {"name": name, "members": members, "holdout": holdout, **defs.get(name, {}), "used_by": usage.get(name, [])}
            for name, members, holdout in facts.get("segments", [])
        ]
        return render(request, "segments.html", segments=rows)

    @page()
    async def segment(request: Request) -> Response:
        name = request.path_params["name"]
        masked = request.state.masked
        conn = console_db()
        try:
            sizes = conn.execute(
                "select size_date, members, holdout from segment_sizes where segment = ? order by size_date", [name]
            ).fetchall()
            moves = conn.execute(
                "select move_date, entered, exited from segment_moves where segment = ? order by move_date", [name]
            ).fetchall()
            members = conn.execute(
                "select customer_id, entered_at from segment_history where segment = ? and exited_at is null"
                " order by entered_at desc limit 20",
                [name],
            ).fetchall()
        finally:
            conn.close()
        if not sizes and not moves:
            return render(request, "error.html", 404, message="No such segment.")
        preview = []
        for customer_id, entered_at in members:
            profile = lookup.document(serving(), "profiles", customer_id)
            if profile is None:
                continue
            email = profile.get("primary_email") or ""
            preview.append((customer_id, mask_identifier("email", email) if masked and email else email, entered_at))
        return render(
            request,
            "segment.html",
            name=name,
            definition=charts.segment_definitions().get(name, {}),
            used_by=charts.segment_usage().get(name, []),
            figure=charts.segment_figure(name, sizes, moves),
            preview=preview,
            plotly=True,
        )

    @page()
    async def syncs(request: Request) -> Response:
        conn = console_db()
        try:
            runs = conn.execute(
                "select run_id, sync_name, started_at, finished_at, status, is_dry_run, planned_inserts,"
                " planned_updates, planned_deletes, rows_acked, rows_failed, error from sync_runs"
                " order by started_at desc limit 100"
            ).fetchall()
            ops = conn.execute("select run_id, operation, status, count from sync_operations").fetchall()
            failures = conn.execute(
                "select run_id, sync_name, customer_id, operation, error from sync_failures limit 200"
            ).fetchall()
        finally:
            conn.close()
        per_run: dict[str, list] = {}
        for run_id, operation, status, count in ops:
            per_run.setdefault(run_id, []).append(f"{operation} {status}: {count}")
        return render(request, "syncs.html", runs=runs, ops=per_run, failures=failures, flows=_flows(settings))

    def privacy_page(request: Request, status: int = 200, **context: Any) -> Response:
        queue = privacy.queue_path(settings.console_store)
        from cdp.privacy.requests import RequestType

        return render(
            request,
            "privacy.html",
            status,
            requests=privacy.listing(queue),
            enabled=settings.warehouse is not None,
            types=[t.value for t in RequestType],
            **context,
        )

    @page(role="admin")
    async def privacy_get(request: Request) -> Response:
        if settings.warehouse is not None:
            privacy.process_in_background(privacy.queue_path(settings.console_store), settings.warehouse)
        return privacy_page(request)

    @page(role="admin")
    async def privacy_submit(request: Request) -> Response:
        if settings.warehouse is None:
            return privacy_page(request, 503, error="Privacy requests are not configured for this console.")
        data = request.state.form
        queue = privacy.queue_path(settings.console_store)
        try:
            privacy.submit(queue, data.get("request_type", ""), data.get("identifier", ""), session(request)["user"])
        except CdpError as exc:
            return privacy_page(request, 400, error=str(exc))
        log.info("console: privacy request queued by %s", session(request)["user"])
        privacy.process_in_background(queue, settings.warehouse)
        return RedirectResponse("/privacy", status_code=303)

    @page(role="admin")
    async def privacy_export(request: Request) -> Response:
        if settings.warehouse is None:
            return privacy_page(request, 503, error="Access exports are not configured for this console.")
        try:
            document = privacy.access_export(settings.warehouse, request.state.form.get("identifier", ""))
        except WarehouseLocked as exc:
            return privacy_page(request, 409, error=f"Not now: {exc}")
        except CdpError as exc:
            return privacy_page(request, 400, error=str(exc))
        log.info("console: access export downloaded by %s", session(request)["user"])
        body = json.dumps(document, indent=1, default=str)
        return Response(
            body,
            media_type="application/json",
            headers={"content-disposition": 'attachment; filename="access_export.json"'},
        )

    def review_page(request: Request, status: int = 200, **context: Any) -> Response:
        decided = privacy.decided_pairs(privacy.queue_path(settings.console_store))
        conn = console_db()
        try:
            rows = conn.execute(
                "select record_key_l, record_key_r, match_probability, match_weight, match_contributions,"
                " left_record, right_record from review_items order by match_probability desc limit 100"
            ).fetchall()
        finally:
            conn.close()
        items = []
        for left, right, probability, weight, contributions, left_record, right_record in rows:
            if (left, right) in decided:
                continue
            a, b = json.loads(left_record or "{}"), json.loads(right_record or "{}")
            items.append(
                {
                    "left": left,
                    "right": right,
                    "probability": probability,
                    "weight": weight,
                    "contributions": _as_dict(contributions),
                    "fields": [(k, a.get(k), b.get(k)) for k in dict.fromkeys([*a, *b])],
                }
            )
        return render(request, "review.html", status, items=items, decided=len(decided), **context)

    @page(role="admin")
    async def review(request: Request) -> Response:
        return review_page(request)

    @page(role="admin")
    async def review_decide(request: Request) -> Response:
        from cdp.matching.review import decide

        data = request.state.form
        kind = {"accept": "must_link", "reject": "cannot_link"}.get(data.get("decision", ""))
        if kind is None:
            return review_page(request, 400, error="The decision must be accept or reject.")
        if settings.warehouse is None:
            return review_page(request, 503, error="Review decisions are not configured for this console.")
        user = session(request)["user"]
        try:
            with warehouse_lock(settings.warehouse.duckdb_path, "cdp console review decision"):
                left, right = decide(
                    settings.warehouse, data.get("left", ""), data.get("right", ""), kind, decided_by=f"console:{user}"
                )
        except WarehouseLocked as exc:
            return review_page(request, 409, error=f"Not recorded: {exc}")
        except CdpError as exc:
            return review_page(request, 400, error=str(exc))
        privacy.record_decision(privacy.queue_path(settings.console_store), left, right, kind, user)
        log.info("console: review decision %s by %s", kind, user)
        return RedirectResponse("/review", status_code=303)

    async def plotly_js(request: Request) -> Response:
        return FileResponse(charts.plotly_js_path(), media_type="application/javascript")

    routes = [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", overview),
        Route("/search", search_page, methods=["GET"]),
        Route("/search", search, methods=["POST"]),
        Route("/customers/{customer_id}", customer),
        Route("/customers/{customer_id}/path", customer_path, methods=["POST"]),
        Route("/segments", segments),
        Route("/segments/{name}", segment),
        Route("/syncs", syncs),
        Route("/privacy", privacy_get, methods=["GET"]),
        Route("/privacy/requests", privacy_submit, methods=["POST"]),
        Route("/privacy/export", privacy_export, methods=["POST"]),
        Route("/review", review, methods=["GET"]),
        Route("/review/decide", review_decide, methods=["POST"]),
        Route("/assets/plotly.min.js", plotly_js),
        Mount("/assets", app=StaticFiles(directory=HERE / "static"), name="assets"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)])


def _as_dict(text: str | None) -> dict:
    """The match weight per compared field (match_contributions JSON); {} when absent or not an object."""
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _flows(settings: ConsoleSettings) -> list[dict[str, Any]]:
    """`cdp flows status` numbers from data/flows.sqlite (read-only), empty before any flow ran."""
    path = settings.serving_store.parent / "flows.sqlite"
    if not path.exists():
        return []
    from automation.status import flow_status

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return flow_status(conn)
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def settings_from_env(serving_store: Path, console_store: Path, warehouse: Settings | None = None) -> ConsoleSettings:
    """Users from CDP_CONSOLE_USERS, the cookie key from CDP_CONSOLE_SECRET; Secure cookies unless
    CDP_CONSOLE_INSECURE_COOKIES=1 (plain http on localhost while developing)."""
    import os

    from console.auth import secret_from_env, users_from_env

    return ConsoleSettings(
        serving_store=serving_store,
        console_store=console_store,
        users=users_from_env(),
        secret=secret_from_env(),
        secure_cookies=os.environ.get("CDP_CONSOLE_INSECURE_COOKIES") != "1",
        warehouse=warehouse,
    )


def run_console(settings: ConsoleSettings, host: str = "127.0.0.1", port: int = 8770) -> None:
    import uvicorn

    connect_reader(settings.serving_store).close()  # fail now, with a message, when there is no store yet
    store.connect(settings.console_store).close()
    # access_log off: paths hold customer ids only, but request logs are not needed and stay out of the way
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", access_log=False)
