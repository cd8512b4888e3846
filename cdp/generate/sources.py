"""Render each source system's landing files from the planned world (see docs/data-contracts.md)."""

from __future__ import annotations

import csv
import math
import random
import sqlite3
from bisect import bisect
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import reference as R
from .io import DayFiles, Truth, dumps
from .marketing import ClickLog
from .model import CATS, Order, Person, World, _uuid, cum, money_str
from .noise import Noise, typo
from .timeutil import (
    DAY,
    HOUR,
    day_str,
    iso_ms_z,
    iso_utc,
    iso_z,
    local_iso,
    sql_ts,
    tz_offset_min,
    ymd,
)

SITE = "https://www.nordhaven.example"


class Ctx:
    def __init__(self, world: World, out: Path, truth: Truth, noise: Noise, seed: int):
        self.world = world
        self.out = out
        self.truth = truth
        self.noise = noise
        self.seed = seed
        self.files: dict[str, dict[str, int]] = {}
        self.records: dict[str, int] = {}
        self.ad_clicks = ClickLog(seed)

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{self.seed}:{name}")

    def file(self, source: str, rel: str, n: int) -> None:
        self.files.setdefault(source, {})[rel] = n

    def rec(self, key: str, n: int = 1) -> None:
        self.records[key] = self.records.get(key, 0) + n


# ================================================================================================ catalog
def write_catalog(ctx: Ctx) -> None:
    folder = ctx.out / "catalog"
    folder.mkdir(parents=True, exist_ok=True)
    items = [
        {"sku": p.sku, "name": p.name, "category": p.category, "brand": p.brand,
         "price": {"amount": money_str(p.price_cents), "currency": "EUR"}, "stock": p.stock,
         "is_active": p.is_active, "updated_at": iso_z(p.updated_at)}
        for p in ctx.world.catalog.products
    ]
    (folder / "products.json").write_text(dumps(items) + "\n", encoding="utf-8")
    ctx.file("catalog", "catalog/products.json", len(items))
    ctx.rec("catalog/products", len(items))


# ================================================================================================ shop
def _address(p: Person, phone: str | None) -> dict:
    return {"address1": p.address1, "city": p.city, "zip": p.zip, "country_code": p.country, "phone": phone}


def write_shop(ctx: Ctx) -> None:
    w, nz, truth = ctx.world, ctx.noise, ctx.truth
    rng = ctx.rng("shop")
    folder = ctx.out / "shop"
    folder.mkdir(parents=True, exist_ok=True)
    E = w.E
    holders = sorted((p for p in w.people if p.has_account), key=lambda p: p.shop_id)
    with open(folder / "customers.jsonl", "w", encoding="utf-8", newline="\n") as fh:
        for p in holders:
            phone = nz.phone(p.phone) if rng.random() < 0.6 else None
            updated = max([p.account_ts] + [o.ts for o in p.orders]
                          + [t for t in (p.marketing_toggle_ts, p.phone_changed_ts) if t and t > p.account_ts])
            updated = min(updated + rng.randint(0, 300), E - 1)
            tags = []
            if p.kind == "test" and rng.random() < 0.5:
                tags.append("test")
            if p.b2b:
                tags.append("b2b")
            if len(p.orders) >= 8:
                tags.append("vip")
            if p.accepts_marketing:
                tags.append("newsletter")
            addr = _address(p, phone)
            addresses = [addr]
            if rng.random() < 0.15:
                old = Person(idx=-1, person_id="", kind="", country=p.country, household_id="")
                w._address(old)
                addresses.append(_address(old, None))
            obj = {
                "id": p.shop_id,
                "email": nz.email(p.email, junk=False),
                "phone": phone,
                "first_name": nz.name(p.first_name),
                "last_name": nz.name(p.last_name),
                "accepts_marketing": p.accepts_marketing,
                "accepts_marketing_updated_at": iso_utc(p.marketing_toggle_ts or p.account_ts),
                "created_at": iso_utc(p.account_ts),
                "updated_at": iso_utc(max(updated, p.account_ts)),
                "currency": R.CURRENCY[p.country],
                "tags": ", ".join(tags),
                "state": p.customer_state,
                "default_address": addr,
                "addresses": addresses,
            }
            fh.write(dumps(obj) + "\n")
            truth.add("shop", "customers", p.shop_id, p.person_id)
    ctx.file("shop", "shop/customers.jsonl", len(holders))
    ctx.rec("shop/customers", len(holders))

    with open(folder / "orders.jsonl", "w", encoding="utf-8", newline="\n") as fh:
        for o in w.orders:  # sorted by id
            p = o.person
            phone = nz.phone(p.phone_at(o.ts)) if rng.random() < 0.5 else None
            refunds = []
            if o.refund is not None:
                rts, amount, note, rid = o.refund
                refunds.append({"id": rid, "order_id": o.id, "created_at": iso_utc(rts), "amount": money_str(amount),
                                "note": note})
            obj = {
                "id": o.id,
                "order_number": o.number,
                "email": nz.email(p.email, junk=o.guest),
                "phone": phone,
                "customer": None if o.guest or not p.has_account else {"id": p.shop_id},
                "created_at": iso_utc(o.ts),
                "updated_at": iso_utc(o.updated_ts),
                "processed_at": iso_utc(o.ts),
                "cancelled_at": iso_utc(o.cancelled_ts) if o.cancelled_ts is not None else None,
                "currency": o.currency,
                "total_price": money_str(o.total),
                "subtotal_price": money_str(o.subtotal),
                "total_tax": money_str(o.tax),
                "total_discounts": money_str(o.discount),
                "financial_status": o.financial_status,
                "source_name": o.channel,
                "billing_address": _address(p, phone),
                "line_items": [
                    {"id": lid, "sku": prod.sku, "product_id": prod.product_id, "title": prod.name, "quantity": q,
                     "price": money_str(u)}
                    for lid, (prod, q, u) in zip(o.line_ids, o.lines, strict=False)
                ],
                "refunds": refunds,
            }
            fh.write(dumps(obj) + "\n")
            truth.add("shop", "orders", o.id, p.person_id)
    ctx.file("shop", "shop/orders.jsonl", len(w.orders))
    ctx.rec("shop/orders", len(w.orders))


# ================================================================================================ web
_CAMPAIGNS = (
    (45, None, ""),
    (20, ("google", "cpc", "brand_{c}"), "https://www.google.com/"),
    (12, ("newsletter", "email", "newsletter_{c}"), ""),
    (10, ("instagram", "social", "lookbook_{c}"), "https://l.instagram.com/"),
    (5, ("awin", "affiliate", "partner_{c}"), "https://www.awin1.com/"),
    (8, None, "https://www.google.com/"),
)
_CAMPAIGN_W = [c[0] for c in _CAMPAIGNS]
_SCREEN = {"Home": "Home", "Category": "Category", "Product": "Product Detail", "Cart": "Cart",
           "Checkout": "Checkout", "Login": "Login", "Order Confirmation": "Order Confirmation"}


class WebWriter:
    def __init__(self, ctx: Ctx):
        self.ctx = ctx
        self.w = ctx.world
        self.nz = ctx.noise
        self.rng = ctx.rng("web")
        # consent events come from their own stream (see _consent_stream)
        self.consent_rng = ctx.rng("web_consent")
        self.banner_seen: set[str] = set()  # person ids who answered the cookie banner
        self.preferences_changed: set[str] = set()  # person ids who used the preference centre
        self.days = DayFiles(ctx.out / "web" / "events")
        self.E_ms = self.w.E * 1000
        self.W0_ms = self.w.W0 * 1000
        self.lines = 0
        # per-session state
        self.p: Person | None = None
        self.dev = None
        self.t = 0
        self.user: str | None = None
        self.page: dict | None = None
        self.campaign: dict | None = None
        self.locale = ""
        self.lang = ""
        self._random = self.rng.random
        self._ctx_json: str | None = None
        self._heads: dict[tuple, str] = {}
        self._view_props: dict[tuple, str] = {}
        self.truth_add = ctx.truth.add
        # paid landings get a click id from the ad platforms' own random stream (see marketing.py)
        self.ad_clicks = ctx.ad_clicks
        self._purchase_session = False

    # ------------------------------------------------------------------ delivery
    def _ri(self, lo: int, hi: int) -> int:
        """Fast uniform integer in [lo, hi] (random.randint is comparatively slow)."""
        return lo + int(self._random() * (hi - lo + 1))

    def _context_json(self) -> str:
        if self._ctx_json is None:
            dev = self.dev
            context = {"ip": dev.ip, "userAgent": dev.ua, "locale": self.locale}
            if dev.is_app:
                context["device"] = {"id": dev.device_id, "type": dev.kind}
            elif self.page is not None:
                context["page"] = self.page
            if self.campaign is not None:
                context["campaign"] = self.campaign
            self._ctx_json = dumps(context)
        return self._ctx_json

    def _emit(self, etype: str, name: str | None, payload_key: str | None = None, payload=None,
              payload_json: str | None = None) -> None:
        """Deliver one Segment event. The line is assembled from pre-serialised parts (same JSON as
        ``json.dumps`` of the event object with the keys in this order)."""
        ri, nz, dev = self._ri, self.nz, self.dev
        ts = self.t
        if ts < self.W0_ms:
            return
        if dev.is_app:
            sent = ts + ri(200, 30_000)
            mid = _uuid(self.rng)
        else:
            sent = ts + ri(20, 1500)
            mid = f"ajs-next-{self.rng.getrandbits(96):024x}"
        recv = sent + ri(30, 400)
        if self.E_ms - ts > 2 * DAY * 1000 and nz.roll("late_events"):
            recv = ts + ri(DAY * 1000, min(6 * DAY * 1000, self.E_ms - ts - HOUR * 1000))
            sent = recv - ri(50, 500)
        if recv >= self.E_ms:
            return  # not received before the export
        head = self._heads.get((etype, name))
        if head is None:
            if etype == "track":
                head = f'{{"type":"track","event":{dumps(name)},'
            elif etype in ("page", "screen"):
                head = f'{{"type":"{etype}","name":{dumps(name)},'
            else:
                head = f'{{"type":"{etype}",'
            self._heads[(etype, name)] = head
        if payload_key is not None:
            tail = f',"context":{self._context_json()},"{payload_key}":{payload_json or dumps(payload)}}}'
        else:
            tail = f',"context":{self._context_json()}}}'
        uid = "null" if self.user is None else f'"{self.user}"'
        ts_s = iso_ms_z(ts)
        pre = (f'{head}"messageId":"{mid}","anonymousId":"{dev.anon_id}","userId":{uid},"timestamp":"{ts_s}",'
               f'"originalTimestamp":"{ts_s}","sentAt":"{iso_ms_z(sent)}","receivedAt":"')
        line = f'{pre}{iso_ms_z(recv)}"{tail}'
        day = day_str(recv // 86_400_000)
        self.lines += 1
        if nz.malformed_roll("web"):
            self.days.add(day, recv, nz.truncate(line))
            return
        self.days.add(day, recv, line)
        self.truth_add("web", "events", mid, self.p.person_id)
        if nz.duplicate_roll("web"):
            recv2 = recv + ri(DAY * 1000, 2 * DAY * 1000)
            if self._random() < 0.5 and recv2 < self.E_ms:
                self.days.add(day_str(recv2 // 86_400_000), recv2, f'{pre}{iso_ms_z(recv2)}"{tail}')
            else:
                self.days.add(day, recv, line)
            self.lines += 1

    def _step(self, lo: int = 4, hi: int = 90) -> None:
        self.t += self._ri(lo * 1000, hi * 1000)

    # ------------------------------------------------------------------ building blocks
    def _page(self, name: str, path: str, title: str, props: dict | None = None) -> None:
        if self.dev.is_app:
            self._emit("screen", _SCREEN.get(name, name), "properties", props or {})
            return
        url = SITE + path
        referrer = self.page["url"] if self.page is not None else self._landing_ref
        if self.page is None and self.campaign is not None:
            url += (f"?utm_source={self.campaign['source']}&utm_medium={self.campaign['medium']}"
                    f"&utm_campaign={self.campaign['name']}")
            click = self.ad_clicks.click_id(self.campaign["source"], self.campaign["medium"],
                                            self.campaign["name"], self.t // 1000, self._purchase_session)
            if click is not None:
                url += f"&{click[0]}={click[1]}"
        self.page = {"url": url, "path": path, "referrer": referrer, "title": title}
        self._ctx_json = None
        self._emit("page", name, "properties", {"path": path, "url": url, "title": title, "referrer": referrer})
        if self.campaign is not None:
            self.campaign = None  # campaign parameters only on the landing page
            self._ctx_json = None

    def _product_props(self, prod, qty: int = 1, cart_id: str | None = None) -> dict:
        cur = R.CURRENCY[self.p.country]
        d = {"product_id": str(prod.product_id), "sku": prod.sku, "category": prod.category, "name": prod.name,
             "brand": prod.brand, "price": round(prod.price_cents * R.FX[cur]) / 100, "currency": cur,
             "quantity": qty}
        if cart_id:
            d["cart_id"] = cart_id
        return d

    def _view(self, prod) -> None:
        self._page("Product", f"/{self.lang}/p/{prod.slug}-{prod.sku.lower()}", f"{prod.name} | Nordhaven",
                   {"sku": prod.sku} if self.dev.is_app else None)
        self._step(2, 6)
        key = (prod.idx, self.p.country)
        pj = self._view_props.get(key)
        if pj is None:
            pj = self._view_props[key] = dumps(self._product_props(prod))
        self._emit("track", "Product Viewed", "properties", payload_json=pj)
        self._step(10, 120)

    def _traits(self, p: Person, ts_s: int, noisy: bool = False) -> dict:
        phone = p.phone_at(ts_s)
        if noisy:
            return {"email": self.nz.email(p.email, junk=False), "phone": self.nz.phone(phone, junk=False),
                    "first_name": self.nz.name(p.first_name), "last_name": self.nz.name(p.last_name)}
        return {"email": p.email, "phone": phone.e164 if phone is not None and self.rng.random() < 0.5 else None,
                "first_name": p.first_name, "last_name": p.last_name}

    def _identify(self, p: Person, method: str, alias: bool) -> None:
        lang = self.lang
        if method == "Signed In":
            self._page("Login", f"/{lang}/account/login", "Log in | Nordhaven")
            self._step(5, 40)
        self.user = p.user_id
        self._emit("track", method, "properties", {"method": "email"})
        self._step(0, 1)
        self._emit("identify", None, "traits", self._traits(p, self.t // 1000))
        if alias:
            self._step(0, 1)
            self._emit("alias", None, "previousId", self.dev.anon_id)
        self._step(2, 10)

    def _landing(self) -> None:
        rng = self.rng
        c = _CAMPAIGNS[rng.choices(range(len(_CAMPAIGNS)), _CAMPAIGN_W)[0]]
        self._landing_ref = c[2]
        self.campaign = None
        if c[1] is not None and not self.dev.is_app:
            src, med, name = c[1]
            self.campaign = {"source": src, "medium": med, "name": name.format(c=self.p.country.lower())}
        self.page = None
        self._ctx_json = None
        if rng.random() < 0.5:
            self._page("Home", f"/{self.lang}/", "Nordhaven - Scandinavian outerwear, knitwear & home")
        else:
            cat = CATS[bisect(self._cat_cw, rng.random() * self._cat_cw[-1])]
            self._page("Category", f"/{self.lang}/c/{cat}", f"{cat.capitalize()} | Nordhaven")
        self._step()
        if self.p.person_id not in self.banner_seen and self.dev.shared is None:
            self.banner_seen.add(self.p.person_id)
            with self._consent_stream():
                self._cookie_banner()

    # ------------------------------------------------------------------ consent
    def _marketing_state(self, ts_s: int) -> bool:
        """Whether the person accepts marketing at `ts_s`, as the shop and ESP record it: account holders
        flip once at `marketing_toggle_ts`; others consent when they are newsletter subscribers."""
        p = self.p
        if not p.has_account:
            return p.esp
        if p.marketing_toggle_ts is not None and ts_s < p.marketing_toggle_ts:
            return not p.accepts_marketing
        return p.accepts_marketing

    @contextmanager
    def _consent_stream(self) -> Iterator[None]:
        """Consent events draw ids, delays and noise from their own random stream and leave the session's
        clock where it was, so adding them changed no other event of the generated data."""
        saved = (self.rng, self._random, self.nz.rng, self.t)
        self.rng = self.nz.rng = self.consent_rng
        self._random = self.consent_rng.random
        try:
            yield
        finally:
            self.rng, self._random, self.nz.rng, self.t = saved

    def _consent(self, purpose: str, channel: str, granted: bool) -> None:
        props = {"purpose": purpose, "channel": channel, "granted": granted}
        self._emit("track", "Consent Updated", "properties", props)
        self._step(0, 1)

    def _cookie_banner(self) -> None:
        """The cookie banner on a person's first visit: most answer it, one event per purpose, for every
        channel ('all'); the marketing answer agrees with what the shop/ESP record at that time."""
        crng = self.consent_rng
        if crng.random() >= 0.8:
            return  # ignored the banner: no signal, so no consent
        self._step(1, 8)
        self._consent("analytics", "all", crng.random() < 0.7)
        self._consent("personalisation", "all", crng.random() < 0.55)
        self._consent("marketing", "all", self._marketing_state(self.t // 1000))
        self._step(1, 5)

    def _preference_centre(self) -> None:
        """A signed-in customer changes one preference later: SMS or push marketing, withdraws analytics,
        or re-states email marketing as the shop records it then."""
        crng = self.consent_rng
        choice = crng.random()
        self._step(5, 30)
        if choice < 0.35:
            self._consent("marketing", "sms", crng.random() < 0.4)
        elif choice < 0.6:
            self._consent("marketing", "web_push", crng.random() < 0.3)
        elif choice < 0.8:
            self._consent("analytics", "all", False)
        else:
            self._consent("marketing", "email", self._marketing_state(self.t // 1000))

    def _random_product(self):
        r = self._random
        ci = bisect(self._cat_cw, r() * self._cat_cw[-1])
        cat = CATS[min(ci, len(CATS) - 1)]
        brands = R.BRANDS[cat]
        bcw = self._brand_cw[cat]
        brand = brands[min(bisect(bcw, r() * bcw[-1]), len(brands) - 1)]
        ps, cw = self.w.catalog.by_cat_brand.get((cat, brand)) or self.w.catalog.by_cat_brand[(cat, "Nordhaven")]
        return ps[min(bisect(cw, r() * cw[-1]), len(ps) - 1)]

    # ------------------------------------------------------------------ sessions
    def run(self) -> None:
        rng = self.rng
        for p in self.w.people:
            if not p.sessions:
                continue
            self.p = p
            self._cat_cw = cum(p.cat_w)
            self._brand_cw = {c: cum(p.brand_w[b] for b in R.BRANDS[c]) for c in CATS}
            self.locale = R.LOCALE[p.country]
            self.lang = R.LANGUAGE[p.country]
            state: dict[str, bool] = {}
            primary = p.devices[0] if p.devices else None
            if p.has_account and p.account_ts < self.w.W0 and not p.late_ident and primary is not None \
                    and primary.shared is None and rng.random() < 0.5:
                state[primary.anon_id] = True  # still logged in from before the window
            aliased = False
            for ts, _, kind, dev, data in sorted(p.sessions, key=lambda s: (s[0], s[1])):
                self.dev = dev
                self._ctx_json = None
                self.t = ts * 1000 + rng.randrange(1000)
                self.user = None
                shared = dev.shared in ("kiosk", "public")
                acct = p.has_account and ts >= p.account_ts
                login_now = False
                alias = False
                if kind in ("browse", "purchase") and acct and not shared and not (kind == "purchase" and data.signup):
                    if state.get(dev.anon_id) and dev.shared != "household":
                        self.user = p.user_id
                    else:
                        login_now = True
                if p.late_ident and not aliased and dev is primary and (login_now or kind == "signup"
                                                                        or (kind == "purchase" and data.signup)):
                    alias = rng.random() < 0.5
                    aliased = True
                if kind == "purchase":
                    o: Order = data
                    self._purchase(p, o, login_now, alias)
                    if p.has_account:
                        state[dev.anon_id] = True
                elif kind == "signup":
                    self._landing()
                    for _ in range(rng.randint(0, 2)):
                        self._view(self._random_product())
                    self._identify(p, "Signed Up", alias)
                    state[dev.anon_id] = True
                    if rng.random() < 0.5:
                        self._view(self._random_product())
                else:
                    self._landing()
                    if login_now:
                        self._identify(p, "Signed In", alias)
                        state[dev.anon_id] = True
                    n_views = rng.choices((1, 2, 3, 4, 5), (30, 28, 20, 12, 10))[0]
                    kiosk_login = kind == "kiosk" and data and acct
                    for i in range(n_views):
                        self._view(self._random_product())
                        if kiosk_login and i == 0:
                            self._identify(p, "Signed In", False)
                    if (kind in ("browse", "pre") and data) or (kind == "kiosk" and rng.random() < 0.15):
                        self._abandoned_cart()
                    if self.user is not None and not shared and p.person_id not in self.preferences_changed \
                            and p.person_id in self.banner_seen and self.consent_rng.random() < 0.08:
                        self.preferences_changed.add(p.person_id)
                        with self._consent_stream():
                            self._preference_centre()

    def _abandoned_cart(self) -> None:
        rng = self.rng
        cart_id = _uuid(rng)
        prods = [self._random_product() for _ in range(rng.choices((1, 2, 3), (60, 30, 10))[0])]
        for prod in prods:
            self._emit("track", "Product Added", "properties", self._product_props(prod, 1, cart_id))
            self._step(5, 60)
        if rng.random() < 0.4:
            self._page("Cart", f"/{self.lang}/cart", "Cart | Nordhaven")
            self._step(1, 3)
            self._emit("track", "Cart Viewed", "properties", {"cart_id": cart_id})
            self._step(5, 60)
            if rng.random() < 0.35:
                self._emit("track", "Product Removed", "properties", self._product_props(prods[0], 1, cart_id))
                self._step(3, 30)
            if rng.random() < 0.3:
                self._page("Checkout", f"/{self.lang}/checkout", "Checkout | Nordhaven")
                self._step(1, 3)
                self._emit("track", "Checkout Started", "properties",
                           {"cart_id": cart_id, "currency": R.CURRENCY[self.p.country]})

    def _purchase(self, p: Person, o: Order, login_now: bool, alias: bool) -> None:
        rng = self.rng
        # plan the session backwards so that Order Completed lands right after the shop's created_at
        n_extra = rng.choices((0, 1, 2, 3), (35, 30, 20, 15))[0]
        est = (60 + 70 * (len(o.lines) * 2 + n_extra) + 240) * 1000
        self.t = o.ts * 1000 - est
        self._purchase_session = True
        self._landing()
        self._purchase_session = False
        if login_now:
            self._identify(p, "Signed In", alias)
        views = [prod for prod, _, _ in o.lines] + [self._random_product() for _ in range(n_extra)]
        rng.shuffle(views)
        for prod in views:
            self._view(prod)
        cart_id = _uuid(rng)
        for prod, q, _ in o.lines:
            self._emit("track", "Product Added", "properties", self._product_props(prod, q, cart_id))
            self._step(5, 40)
        self._page("Cart", f"/{self.lang}/cart", "Cart | Nordhaven")
        self._step(1, 3)
        self._emit("track", "Cart Viewed", "properties", {"cart_id": cart_id})
        self._step(5, 40)
        self._page("Checkout", f"/{self.lang}/checkout", "Checkout | Nordhaven")
        self._step(1, 3)
        self._emit("track", "Checkout Started", "properties",
                   {"cart_id": cart_id, "revenue": o.total / 100, "currency": o.currency})
        if o.signup:
            self._identify(p, "Signed Up", alias)
        elif o.guest:
            self._step(20, 90)
            self._emit("identify", None, "traits", self._traits(p, o.ts, noisy=True))
        # Order Completed right after the order is created in the shop
        self.t = max(self.t, o.ts * 1000) + rng.randint(500, 3000)
        products = [{"product_id": str(prod.product_id), "sku": prod.sku, "category": prod.category,
                     "price": u / 100, "quantity": q} for prod, q, u in o.lines]
        self._emit("track", "Order Completed", "properties",
                   {"order_id": str(o.id), "cart_id": cart_id, "revenue": o.total / 100, "currency": o.currency,
                    "shipping": o.shipping / 100, "tax": o.tax / 100, "discount": o.discount / 100,
                    "products": products})
        self._step(1, 4)
        self._page("Order Confirmation", f"/{self.lang}/checkout/thank-you", "Thank you | Nordhaven")


def write_web(ctx: Ctx) -> None:
    ww = WebWriter(ctx)
    ww.run()
    counts = ww.days.close()
    for name, n in counts.items():
        ctx.file("web", f"web/events/{name}", n)
    ctx.rec("web/events", ww.lines)


# ================================================================================================ pos
_BAD_TIMESTAMPS = ("31/02/2025 25:61", "", "NaT", "0000-00-00 00:00:00", "not a date", "2025-13-45T99:99:99")


def write_pos(ctx: Ctx) -> None:
    w, nz, truth = ctx.world, ctx.noise, ctx.truth
    rng = ctx.rng("pos")
    folder = ctx.out / "pos"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pos.sqlite"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE stores (store_id TEXT PRIMARY KEY, name TEXT, country_code TEXT, city TEXT, timezone TEXT);
        CREATE TABLE receipts (receipt_id TEXT PRIMARY KEY, store_id TEXT, register_id TEXT, receipt_type TEXT,
            loyalty_card_number TEXT NULL, ereceipt_email TEXT NULL, currency TEXT, total_amount_minor INTEGER,
            payment_method TEXT, created_at TEXT, updated_at TEXT);
        CREATE TABLE receipt_lines (line_id TEXT PRIMARY KEY, receipt_id TEXT, line_no INTEGER, sku TEXT,
            quantity INTEGER, unit_price_minor INTEGER, line_total_minor INTEGER, updated_at TEXT);
    """)
    con.executemany("INSERT INTO stores VALUES (?,?,?,?,?)", list(w.stores))
    receipts, lines = [], []
    for r in w.receipts:
        p = r.person
        card = p.card_number if r.card else None
        email = None
        if r.ereceipt:
            email = nz.email(p.email2 if p.email2 and rng.random() < 0.5 else p.email)
        created = local_iso(r.ts, tz_offset_min(r.store[4], r.ts))
        if nz.malformed_roll("pos"):
            created = rng.choice(_BAD_TIMESTAMPS)
        updated = sql_ts(r.ts + rng.randint(5, 900))
        receipts.append((r.id, r.store[0], f"{r.store[0]}-R{r.register}", r.rtype, card, email, r.currency, r.total,
                         r.payment, created, updated))
        for n, (prod, q, u) in enumerate(r.lines, 1):
            lines.append((f"{r.id}-{n}", r.id, n, prod.sku, q, u, q * u, updated))
        if card is not None or email is not None:
            truth.add("pos", "receipts", r.id, p.person_id)
    con.executemany("INSERT INTO receipts VALUES (?,?,?,?,?,?,?,?,?,?,?)", receipts)
    con.executemany("INSERT INTO receipt_lines VALUES (?,?,?,?,?,?,?,?)", lines)
    con.commit()
    con.close()
    ctx.file("pos", "pos/pos.sqlite", len(receipts))
    ctx.rec("pos/stores", len(w.stores))
    ctx.rec("pos/receipts", len(receipts))
    ctx.rec("pos/receipt_lines", len(lines))


# ================================================================================================ exports
def export_dates(w: World) -> list[int]:
    """Monthly export instants (00:00 UTC on the 1st) inside the window, plus the end date."""
    out = []
    d = w.W0 // DAY + 1
    end_day = w.E // DAY
    while d <= end_day:
        if ymd(d)[2] == 1:
            out.append(d * DAY)
            d += 27
        else:
            d += 1
    if not out or out[-1] != w.E:
        out.append(w.E)
    return out


def _malformed_csv_row(rng: random.Random, row: list) -> list:
    drop = rng.randrange(1, len(row))
    return row[:drop] + row[drop + 1:]


CRM_HEADER = ("Contact ID", "Email", "Secondary Email", "Phone Number", "Mobile Phone Number", "First Name",
              "Last Name", "Company Name", "Lifecycle Stage", "Country", "Unsubscribed from all email",
              "Create Date", "Last Modified Date", "Date of Birth", "Street Address", "Postal Code", "City")


def write_crm(ctx: Ctx) -> None:
    w, nz, truth = ctx.world, ctx.noise, ctx.truth
    rng = ctx.rng("crm")
    # birth date and address: their own stream, so the columns that existed before them are unchanged
    prng = ctx.rng("crm_profile")
    folder = ctx.out / "crm"
    folder.mkdir(parents=True, exist_ok=True)
    contacts = sorted(w.contacts, key=lambda c: int(c.id))
    stored = {}
    profile = {}
    for c in contacts:  # values as stored in the CRM (noise applied once, when typed in)
        if c.fuzzy is not None:  # typed in by hand: exactly as the generator decided
            f = c.fuzzy
            stored[c.id] = {
                "email": c.email or "", "secondary": "", "work": "", "mobile": f["phone"] or "", "mobile_after": None,
                "first": f["first"], "last": f["last"], "purchase": None, "n_purchases": 0,
            }
            profile[c.id] = [f["birth_date"], f["address1"], f["zip"], f["city"]]
            continue
        profile[c.id] = _crm_profile(prng, c.person)
        p = c.person
        before = p.phone_at(c.created)
        landline = p.landline if p.landline is not before else None
        work = nz.phone(landline if (p.b2b or rng.random() < 0.3) and landline else before)
        mobile = nz.phone(before) if rng.random() < 0.6 else ""
        after = None
        if p.phone_changed_ts is not None and p.phone_changed_ts > c.created:
            after = nz.phone(p.phone)
        stored[c.id] = {
            "email": nz.email(c.email) or "", "secondary": nz.email(c.secondary) or "",
            "work": work or "", "mobile": mobile or "", "mobile_after": after,
            "first": nz.name(p.first_name), "last": nz.name(p.last_name),
            "purchase": min([o.ts for o in p.orders] + [r.ts for r in p.receipts], default=None),
            "n_purchases": len(p.orders) + len(p.receipts),
        }
    dates = export_dates(w)
    valid: dict[str, bool] = {}
    total = 0
    prev = None
    for cur in dates:
        name = f"contacts_export_{day_str(cur // DAY).replace('-', '')}.csv"
        rows = 0
        with open(folder / name, "w", encoding="utf-8", newline="") as fh:
            cw = csv.writer(fh, lineterminator="\n")
            cw.writerow(CRM_HEADER)
            for c in contacts:
                times = [c.created] + c.mods
                if c.created >= cur or not any((prev is None or t >= prev) and t < cur for t in times):
                    continue
                p, s = c.person, stored[c.id]
                last_mod = max(t for t in times if t < cur)
                purchased = s["purchase"] is not None and s["purchase"] < cur
                if purchased:
                    stage = "evangelist" if s["n_purchases"] >= 10 else "customer"
                elif p.b2b:
                    stage = "opportunity"
                elif p.esp and p.esp_optin_ts < cur:
                    stage = "subscriber"
                else:
                    stage = "lead"
                mobile = s["mobile"]
                if s["mobile_after"] is not None and p.phone_changed_ts < cur:
                    mobile = s["mobile_after"]
                unsub = (p.marketing_toggle_ts is not None and not p.accepts_marketing
                         and p.marketing_toggle_ts < cur)
                row = [c.id, s["email"], s["secondary"], s["work"], mobile, s["first"], s["last"],
                       p.company if p.b2b else "", stage, R.COUNTRY_NAME[p.country], "true" if unsub else "false",
                       sql_ts(c.created), sql_ts(last_mod)]
                if c.fuzzy is None and nz.malformed_roll("crm"):
                    row = _malformed_csv_row(rng, row) + profile[c.id]
                else:
                    row = row + profile[c.id]
                    valid[c.id] = True
                cw.writerow(row)
                rows += 1
        ctx.file("crm", f"crm/{name}", rows)
        total += rows
        prev = cur
    for c in contacts:
        if c.id in valid:
            truth.add("crm", "contacts", c.id, c.person.person_id)
    ctx.rec("crm/contacts", total)


LOYALTY_HEADER = ("card_number", "email", "phone", "first_name", "last_name", "tier", "points_balance", "joined_at",
                  "updated_at", "country", "home_store_id", "birth_date", "postcode")


def _crm_profile(rng: random.Random, p: Person) -> list[str]:
    """Date of birth, street address, postal code and city as a CRM contact holds them: a birth date on
    about half of the contacts, an address on about two thirds, now and then a typo in the street."""
    birth = p.birth_date if rng.random() < 0.55 else ""
    if rng.random() < 0.35:
        return [birth, "", "", ""]
    street = typo(rng, p.address1) if rng.random() < 0.03 else p.address1
    return [birth, street, p.zip, p.city]


def _tier(points: int) -> str:
    if points >= 2000:
        return "platinum"
    if points >= 750:
        return "gold"
    if points >= 250:
        return "silver"
    return "bronze"


def write_loyalty(ctx: Ctx) -> None:
    w, nz, truth = ctx.world, ctx.noise, ctx.truth
    rng = ctx.rng("loyalty")
    # birth date (for the birthday voucher) and postcode: their own stream, the older columns unchanged
    prng = ctx.rng("loyalty_profile")
    folder = ctx.out / "loyalty"
    folder.mkdir(parents=True, exist_ok=True)
    members = sorted((p for p in w.people if p.loyalty), key=lambda p: p.card_number)
    info = []
    profile = {}
    for p in members:
        profile[p.card_number] = [p.birth_date if prng.random() < 0.85 else "",
                                  p.zip if prng.random() < 0.75 else ""]
        email = None
        if rng.random() > 0.15:
            email = nz.email(p.email2 if p.email2 and rng.random() < 0.3 else p.email)
        phone_before = nz.phone(p.phone_at(p.loyalty_joined))
        phone_after = None
        if p.phone_changed_ts is not None and p.phone_changed_ts > p.loyalty_joined:
            phone_after = nz.phone(p.phone)
        # (ts, points delta)
        events = [(p.loyalty_joined, 0)]
        for r in p.receipts:
            if r.card:
                eur = r.total / R.FX[r.currency] / 100
                events.append((r.ts, math.floor(eur) if eur >= 0 else -math.floor(-eur)))
        if phone_after is not None:
            events.append((p.phone_changed_ts, 0))
        events.sort()
        info.append((p, email or "", phone_before or "", phone_after, nz.name(p.first_name), nz.name(p.last_name),
                     events))
    valid: dict[str, bool] = {}
    total = 0
    prev = None
    for cur in export_dates(w):
        name = f"members_{day_str(cur // DAY).replace('-', '')}.csv"
        rows = 0
        with open(folder / name, "w", encoding="utf-8", newline="") as fh:
            cw = csv.writer(fh, lineterminator="\n")
            cw.writerow(LOYALTY_HEADER)
            for p, email, ph_before, ph_after, first, last, events in info:
                if p.loyalty_joined >= cur or not any((prev is None or t >= prev) and t < cur for t, _ in events):
                    continue
                points = max(0, sum(d for t, d in events if t < cur))
                last_change = max(t for t, _ in events if t < cur)
                phone = ph_after if ph_after is not None and p.phone_changed_ts < cur else ph_before
                row = [p.card_number, email, phone, first, last, _tier(points), str(points),
                       iso_z(p.loyalty_joined), iso_z(last_change), p.country, p.home_store[0]]
                if nz.malformed_roll("loyalty"):
                    row = _malformed_csv_row(rng, row) + profile[p.card_number]
                else:
                    row = row + profile[p.card_number]
                    valid[p.card_number] = True
                cw.writerow(row)
                rows += 1
        ctx.file("loyalty", f"loyalty/{name}", rows)
        total += rows
        prev = cur
    for p in members:
        if p.card_number in valid:
            truth.add("loyalty", "members", p.card_number, p.person_id)
    ctx.rec("loyalty/members", total)


# ================================================================================================ esp
def _campaigns(w: World, rng: random.Random) -> dict[str, list[tuple[int, str, str]]]:
    """Per list: sorted (send_ts, campaign_id, campaign_name)."""
    start_day, end_day = w.W0 // DAY, w.E // DAY
    sends: list[tuple[int, str]] = []
    d = start_day + (3 - (start_day + 3) % 7) % 7  # first Thursday
    while d < end_day:
        sends.append((d, "Newsletter"))
        d += 14
    for d in range(start_day, end_day):
        y, m, dd = ymd(d)
        wd = (d + 3) % 7
        if (m, dd) == (1, 2):
            sends.append((d, f"Winter Sale {y}"))
        elif (m, dd) == (3, 14):
            sends.append((d, f"Spring Collection {y}"))
        elif (m, dd) == (7, 1):
            sends.append((d, f"Summer Sale {y}"))
        elif (m, dd) == (9, 5):
            sends.append((d, f"Autumn Collection {y}"))
        elif m == 11 and wd == 4 and 23 <= dd <= 29:
            sends.append((d, f"Black Friday {y}"))
        elif (m, dd) == (12, 5):
            sends.append((d, f"Gift Guide {y}"))
    sends.sort()
    out: dict[str, list] = {}
    for c in R.COUNTRIES:
        lst = []
        for d, label in sends:
            ts = d * DAY + 7 * HOUR + rng.randint(0, 2 * HOUR)
            name = f"{label} {day_str(d)} {c}" if label == "Newsletter" else f"{label} {c}"
            lst.append((ts, f"{rng.getrandbits(40):010x}", name))
        out[c] = lst
    return out


def write_esp(ctx: Ctx) -> None:
    w, nz, truth = ctx.world, ctx.noise, ctx.truth
    rng = ctx.rng("esp")
    E = w.E
    folder = ctx.out / "esp"
    (folder / "events").mkdir(parents=True, exist_ok=True)
    days = DayFiles(folder / "events")
    campaigns = _campaigns(w, rng)
    subs = [p for p in w.people if p.esp]
    used: dict[str, bool] = {}
    subscribers = []
    n_events = 0

    def emit(ev: dict, ts: int, pid: str) -> None:
        nonlocal n_events
        line = dumps(ev)
        day = day_str(ts // DAY)
        n_events += 1
        if nz.malformed_roll("esp"):
            days.add(day, ts, nz.truncate(line))
            return
        days.add(day, ts, line)
        truth.add("esp", "events", ev["event_id"], pid)
        if nz.duplicate_roll("esp"):
            days.add(day, ts, line)
            n_events += 1

    for p in subs:
        sid = f"{rng.getrandbits(40):010x}"
        while sid in used:
            sid = f"{rng.getrandbits(40):010x}"
        used[sid] = True
        email = nz.email(p.esp_email, junk=False)
        optin = p.esp_optin_ts
        status, unsub_ts, updated = "subscribed", None, optin
        if optin > E - 10 * DAY and rng.random() < 0.3:
            status = "pending"
        planned_unsub = None
        if p.marketing_toggle_ts is not None and not p.accepts_marketing and p.marketing_toggle_ts > optin:
            planned_unsub = p.marketing_toggle_ts
        eng = p.engagement if p.kind != "test" else 0.9
        base = {"subscriber_id": sid, "email": email}
        if status != "pending":
            for send_ts, cid, cname in campaigns[p.country]:
                if send_ts <= optin:
                    continue
                if planned_unsub is not None and send_ts >= planned_unsub:
                    unsub_ts = planned_unsub
                    # opted out in the shop account; synced to the ESP, not tied to a campaign
                    emit({"event_id": _uuid(rng), **base, "campaign_id": None, "campaign_name": None,
                          "type": "unsubscribe", "occurred_at": iso_z(unsub_ts), "url": None, "bounce_type": None},
                         unsub_ts, p.person_id)
                    status, updated = "unsubscribed", unsub_ts
                    break
                if rng.random() > 0.75:
                    continue  # not in this campaign's segment
                t = send_ts + rng.randint(0, 1800)
                ev = {"event_id": _uuid(rng), **base, "campaign_id": cid, "campaign_name": cname, "type": "send",
                      "occurred_at": iso_z(t), "url": None, "bounce_type": None}
                emit(ev, t, p.person_id)
                if rng.random() < 0.004:
                    hard = rng.random() < 0.3
                    bt = t + rng.randint(5, 600)
                    emit({**ev, "event_id": _uuid(rng), "type": "bounce", "occurred_at": iso_z(bt),
                          "bounce_type": "hard" if hard else "soft"}, bt, p.person_id)
                    if hard:
                        status, updated = "cleaned", bt
                        break
                    continue
                age_days = (t - optin) / DAY
                p_open = eng * max(0.08, math.exp(-age_days / 300))
                if rng.random() < p_open:
                    ot = t + min(int(rng.expovariate(1 / (5 * HOUR))), 5 * DAY)
                    if ot >= E:
                        continue
                    emit({**ev, "event_id": _uuid(rng), "type": "open", "occurred_at": iso_z(ot)}, ot, p.person_id)
                    if rng.random() < 0.15 + 0.3 * eng:
                        ct = ot + rng.randint(5, 300)
                        if ct < E:
                            cat = rng.choices(CATS, p.cat_w)[0]
                            url = f"{SITE}/{R.LANGUAGE[p.country]}/c/{cat}?utm_source=newsletter&utm_medium=email"
                            emit({**ev, "event_id": _uuid(rng), "type": "click", "occurred_at": iso_z(ct),
                                  "url": url}, ct, p.person_id)
                    if rng.random() < 0.003:
                        ut = ot + rng.randint(5, 600)
                        if ut < E:
                            emit({**ev, "event_id": _uuid(rng), "type": "unsubscribe", "occurred_at": iso_z(ut)},
                                 ut, p.person_id)
                            status, unsub_ts, updated = "unsubscribed", ut, ut
                            break
            else:
                if planned_unsub is not None and status == "subscribed":
                    status, unsub_ts, updated = "unsubscribed", planned_unsub, planned_unsub
        subscribers.append({
            "subscriber_id": sid, "email": email, "status": status, "list_id": f"nh_{p.country.lower()}",
            "language": R.LANGUAGE[p.country], "country": p.country,
            "opted_in_at": iso_z(optin) if status != "pending" else None,
            "unsubscribed_at": iso_z(unsub_ts) if unsub_ts is not None else None,
            "updated_at": iso_z(min(max(updated, optin), E - 1)),
            "_pid": p.person_id,
        })
    with open(folder / "subscribers.jsonl", "w", encoding="utf-8", newline="\n") as fh:
        for s in subscribers:
            pid = s.pop("_pid")
            fh.write(dumps(s) + "\n")
            truth.add("esp", "subscribers", s["subscriber_id"], pid)
    ctx.file("esp", "esp/subscribers.jsonl", len(subscribers))
    ctx.rec("esp/subscribers", len(subscribers))
    for name, n in days.close().items():
        ctx.file("esp", f"esp/events/{name}", n)
    ctx.rec("esp/events", n_events)


# ================================================================================================ support
def write_support(ctx: Ctx) -> None:
    w, nz, truth = ctx.world, ctx.noise, ctx.truth
    rng = ctx.rng("support")
    E = w.E
    folder = ctx.out / "support"
    folder.mkdir(parents=True, exist_ok=True)
    by_month: dict[str, list] = {}
    for t in w.tickets:  # sorted by id
        p = t.person
        email_value = p.email2 if p.email2 and rng.random() < 0.5 else p.email
        full = f"{nz.name(p.first_name)} {nz.name(p.last_name)}"
        ph = p.phone_at(t.ts)
        if t.channel == "email":
            req = {"email": nz.email(email_value), "phone": None, "name": full}
        elif t.channel == "phone":
            req = {"email": nz.email(email_value) if rng.random() < 0.4 else None, "phone": nz.phone(ph),
                   "name": full}
        elif t.channel == "chat":
            req = {"email": nz.email(email_value), "phone": None,
                   "name": p.first_name if rng.random() < 0.4 else full}
        else:
            req = {"email": nz.email(email_value), "phone": nz.phone(ph) if rng.random() < 0.5 else None,
                   "name": full}
        subject = R.SUPPORT_SUBJECTS[t.reason].format(
            order=t.order.number if t.order else "", product=t.product.name if t.product else "an item")
        age = E - t.ts
        if age > 14 * DAY:
            status = "closed" if rng.random() < 0.8 else "solved"
        elif age > 3 * DAY:
            status = rng.choices(("solved", "pending", "open"), (50, 25, 25))[0]
        else:
            status = rng.choices(("new", "open", "pending"), (40, 40, 20))[0]
        if status in ("solved", "closed"):
            updated = min(E - 1, t.ts + rng.randint(HOUR, 5 * DAY))
        else:
            updated = min(E - 1, t.ts + rng.randint(0, min(age - 1, 2 * DAY)))
        rating = None
        if status in ("solved", "closed") and rng.random() < 0.35:
            sub = updated + rng.randint(HOUR, 3 * DAY)
            if sub < E:
                rating = {"score": rng.choices((1, 2, 3, 4, 5), (8, 7, 15, 30, 40))[0], "submitted_at": iso_z(sub)}
        ticket = {"id": t.id, "requester": req, "channel": t.channel, "subject": subject, "status": status,
                  "priority": rng.choices(("low", "normal", "high", "urgent"), (25, 55, 15, 5))[0],
                  "created_at": iso_z(t.ts), "updated_at": iso_z(updated), "satisfaction_rating": rating}
        if nz.malformed_roll("support"):
            del ticket["id"]
        else:
            truth.add("support", "tickets", t.id, p.person_id)
        y, m, _ = ymd(t.ts // DAY)
        by_month.setdefault(f"{y}{m:02d}", []).append(ticket)
    total = 0
    for month in sorted(by_month):
        items = by_month[month]
        (folder / f"tickets_{month}.json").write_text(dumps(items) + "\n", encoding="utf-8")
        ctx.file("support", f"support/tickets_{month}.json", len(items))
        total += len(items)
    ctx.rec("support/tickets", total)


# ================================================================================================ people
def write_people(ctx: Ctx) -> None:
    path = ctx.out / "_ground_truth" / "people.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        cw = csv.writer(fh, lineterminator="\n")
        cw.writerow(("person_id", "kind", "country", "household_id"))
        for p in ctx.world.people:
            cw.writerow((p.person_id, p.kind, p.country, p.household_id))


