"""The simulated world: catalog, people (with households), and each person's activity plan.

Planning happens fully in memory (compact objects, no rendered payloads); the writers in
``sources.py`` then render every source system's export from this plan.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from . import reference as R
from .noise import Noise, Phone, date_typo, digit_transposition, new_landline, new_mobile, phone_variants, typo
from .timeutil import DAY, HOUR, MINUTE, day_str, tz_offset_min, weekday, ymd

# fuzzy_duplicate kinds and their shares (World._fuzzy_duplicates)
FUZZY_KINDS = ("email_typo", "phone_typo", "nickname", "moved_house")
FUZZY_KIND_WEIGHTS = (0.4, 0.2, 0.2, 0.2)

SEGMENTS = ("online", "omni", "store")
SEGMENT_WEIGHTS = (0.5, 0.3, 0.2)
CATS = tuple(R.CATEGORIES)


def cum(weights) -> list[float]:
    out, t = [], 0.0
    for w in weights:
        t += w
        out.append(t)
    return out


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def ascii_slug(s: str) -> str:
    s = s.translate(R.TRANSLIT).lower()
    return "".join(ch for ch in s if ch.isascii() and (ch.isalnum() or ch in "._-"))


def money_str(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    c = abs(cents)
    return f"{sign}{c // 100}.{c % 100:02d}"


def local_price(eur_cents: int, currency: str) -> int:
    return round(eur_cents * R.FX[currency])


# --- catalog ------------------------------------------------------------------------------------
@dataclass(slots=True)
class Product:
    idx: int
    sku: str
    product_id: int
    name: str
    slug: str
    category: str
    brand: str
    price_cents: int  # EUR
    stock: int
    is_active: bool
    updated_at: int
    popularity: float


class Catalog:
    def __init__(self, rng: random.Random, end: int):
        self.products: list[Product] = []
        pid = 8_104_000_000_000
        for cat, (code, n, lo, hi) in R.CATEGORIES.items():
            brands = R.BRANDS[cat]
            used: dict[str, bool] = {}
            for k in range(n):
                brand = brands[0] if rng.random() < 0.4 else rng.choice(brands)
                while True:
                    name = f"{rng.choice(R.PRODUCT_ADJ)} {rng.choice(R.PRODUCT_NOUN[cat])} {rng.choice(R.COLORS)}"
                    if name not in used:
                        used[name] = True
                        break
                eur = lo + (hi - lo) * rng.betavariate(1.6, 3.0)
                cents = max(1, round(eur)) * 100 - 5
                pid += rng.randint(1000, 99999)
                active = rng.random() > 0.07
                self.products.append(Product(
                    idx=len(self.products), sku=f"NH-{code}-{1001 + k}", product_id=pid, name=f"{brand} {name}",
                    slug=ascii_slug(name.replace(" ", "-")), category=cat, brand=brand, price_cents=cents,
                    stock=int(rng.expovariate(1 / 60)) if active else 0, is_active=active,
                    updated_at=end - rng.randint(DAY, 120 * DAY),
                    popularity=rng.paretovariate(1.3) * (1.0 if active else 0.3),
                ))
        self.by_cat_brand: dict[tuple[str, str], tuple[list[Product], list[float]]] = {}
        for cat in CATS:
            for brand in R.BRANDS[cat]:
                ps = [p for p in self.products if p.category == cat and p.brand == brand]
                if ps:
                    self.by_cat_brand[(cat, brand)] = (ps, cum(p.popularity for p in ps))


# --- people -------------------------------------------------------------------------------------
@dataclass(slots=True)
class Device:
    anon_id: str
    kind: str  # desktop, mobile, tablet, ios, android, kiosk, public
    ua: str
    ip: str
    device_id: str | None = None  # app devices only
    shared: str | None = None  # household, kiosk, public

    @property
    def is_app(self) -> bool:
        return self.kind in ("ios", "android")


@dataclass(slots=True)
class Order:
    person: Person
    ts: int
    channel: str  # web, app
    device: Device | None
    lines: list  # (Product, qty, unit_cents_local)
    currency: str
    country: str
    subtotal: int = 0
    discount: int = 0
    shipping: int = 0
    tax: int = 0
    total: int = 0
    guest: bool = False
    signup: bool = False  # account created in this checkout
    id: int = 0
    number: int = 0
    line_ids: list = field(default_factory=list)
    refund: tuple | None = None  # (ts, amount_cents, note, refund_id)
    cancelled_ts: int | None = None
    financial_status: str = "paid"
    updated_ts: int = 0


@dataclass(slots=True)
class Receipt:
    person: Person | None
    ts: int
    store: tuple
    rtype: str  # sale, return
    lines: list  # (Product, qty, unit_minor)
    currency: str
    card: bool = False
    ereceipt: bool = False
    payment: str = "card"
    register: int = 1
    id: str = ""
    total: int = 0


@dataclass(slots=True)
class Ticket:
    person: Person
    ts: int
    reason: str
    channel: str
    order: Order | None = None
    product: Product | None = None
    id: int = 0


@dataclass(slots=True)
class Contact:
    person: Person
    created: int
    email: str | None
    secondary: str | None
    mods: list  # sorted change timestamps after creation
    id: str = ""
    # a hand-typed duplicate (noise kind fuzzy_duplicate): values as typed (see World._fuzzy_duplicates)
    fuzzy: dict | None = None


@dataclass(slots=True)
class Person:
    idx: int
    person_id: str
    kind: str  # customer, visitor, test
    country: str
    household_id: str
    female: bool = False
    first_name: str = ""
    last_name: str = ""
    email: str | None = None
    email2: str | None = None
    phone: Phone | None = None
    old_phone: Phone | None = None
    phone_changed_ts: int | None = None
    landline: Phone | None = None
    address1: str = ""
    city: str = ""
    zip: str = ""
    area: str = ""
    birth_date: str = ""  # ISO date; drawn on its own stream (World._birth_dates)
    segment: str = "online"
    first_ts: int = 0
    last_ts: int = 0
    has_account: bool = False
    account_ts: int = 0
    shop_id: int = 0
    customer_state: str = "enabled"
    accepts_marketing: bool = False
    marketing_toggle_ts: int | None = None
    web_active: bool = False
    devices: list = field(default_factory=list)
    late_ident: bool = False
    kiosk: bool = False
    home_store: tuple | None = None
    loyalty: bool = False
    loyalty_joined: int = 0
    card_number: str = ""
    ereceipt_pref: bool = False
    crm: bool = False
    b2b: bool = False
    company: str = ""
    esp: bool = False
    esp_optin_ts: int = 0
    esp_email: str | None = None
    cat_w: list = field(default_factory=list)
    brand_w: dict = field(default_factory=dict)
    orders: list = field(default_factory=list)
    receipts: list = field(default_factory=list)
    sessions: list = field(default_factory=list)  # (ts, seq, kind, device, order_or_flag)
    tickets: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    engagement: float = 0.3

    def phone_at(self, ts: int) -> Phone | None:
        if self.old_phone is not None and self.phone_changed_ts is not None and ts < self.phone_changed_ts:
            return self.old_phone
        return self.phone

    @property
    def user_id(self) -> str:
        return str(self.shop_id)


class World:
    """Builds people and their plans. All randomness comes from named ``random.Random`` streams."""

    def __init__(self, customers: int, seed: int, end_day: int, days: int, noise: Noise):
        self.customers = customers
        self.seed = seed
        self.E = end_day * DAY  # exclusive end of the window (00:00 UTC on end_date)
        self.W0 = (end_day - days) * DAY
        self.noise = noise
        self.rng = random.Random(f"{seed}:world")
        self.catalog = Catalog(random.Random(f"{seed}:catalog"), self.E)
        self.stores = R.STORES
        self.stores_by_country: dict[str, list[tuple]] = {}
        for s in self.stores:
            self.stores_by_country.setdefault(s[2], []).append(s)
        self.people: list[Person] = []
        self.orders: list[Order] = []
        self.receipts: list[Receipt] = []
        self.tickets: list[Ticket] = []
        self.contacts: list[Contact] = []
        self._used_emails: dict[str, bool] = {}
        self._used_phones: dict[str, bool] = {}
        self._session_seq = 0
        self._hour_cw = cum(R.ONLINE_HOUR_WEIGHTS)
        self._store_hours = list(R.STORE_HOUR_WEIGHTS)
        self._store_hour_cw = cum(R.STORE_HOUR_WEIGHTS.values())
        self._country_cw = cum(R.COUNTRY_WEIGHTS)
        self._segment_cw = cum(SEGMENT_WEIGHTS)
        self.kiosk_devices: dict[str, Device] = {}
        self.public_devices: dict[str, Device] = {}
        drng = random.Random(f"{seed}:kiosks")
        for s in self.stores:
            self.kiosk_devices[s[0]] = Device(_uuid(drng), "kiosk", R.USER_AGENTS["kiosk"][0],
                                              _ip(drng, s[2]), None, "kiosk")
        for c in R.COUNTRIES:
            self.public_devices[c] = Device(_uuid(drng), "public", R.USER_AGENTS["public"][0],
                                            _ip(drng, c), None, "public")

    # ---------------------------------------------------------------- time helpers
    def sample_day(self, rng: random.Random, a: int, b: int) -> int:
        da, db = a // DAY, (b - 1) // DAY
        db = max(db, da)
        for _ in range(50):
            d = rng.randint(da, db)
            _, m, dd = ymd(d)
            w = R.MONTH_WEIGHT[m - 1]
            if (m == 11 and dd >= 22) or (m == 12 and dd <= 20):
                w *= 1.3
            if rng.random() * 2.5 < w:
                return d
        return rng.randint(da, db)

    def online_ts(self, rng: random.Random, a: int, b: int, country: str) -> int:
        if b - a < 2 * DAY:
            return rng.randint(a, max(a, b - 1))
        off = R.STD_OFFSET_H[country] * HOUR
        for _ in range(20):
            d = self.sample_day(rng, a, b)
            h = rng.choices(range(24), cum_weights=self._hour_cw)[0]
            ts = d * DAY + h * HOUR + rng.randrange(HOUR) - off
            if a <= ts < b:
                return ts
        return rng.randint(a, b - 1)

    def store_ts(self, rng: random.Random, a: int, b: int, store: tuple) -> int:
        for _ in range(20):
            d = self.sample_day(rng, a, b)
            if weekday(d) == 6 and store[2] in ("DE", "PL"):
                d -= 1  # closed on Sundays
            h = rng.choices(self._store_hours, cum_weights=self._store_hour_cw)[0]
            local = d * DAY + h * HOUR + rng.randrange(HOUR)
            ts = local - tz_offset_min(store[4], d * DAY + 12 * HOUR) * MINUTE
            if a <= ts < b:
                return ts
        return rng.randint(a, max(a, b - 1))

    # ---------------------------------------------------------------- people
    def build_people(self) -> None:
        rng, nz = self.rng, self.noise
        n = self.customers
        # households: fraction f of customers in households of mean size ~2.5
        f = nz.cfg.household
        mean_size = 2.5
        q = f / (mean_size - f * (mean_size - 1)) if f > 0 else 0.0
        in_households = 0
        hh_no = 0
        while len(self.people) < n:
            hh_no += 1
            hid = f"H{hh_no:07d}"
            size = 1
            if q > 0 and nz.rng.random() < q:
                size = min(nz.rng.choices((2, 3, 4), (0.6, 0.3, 0.1))[0], n - len(self.people))
            if size == 1:
                self._new_customer(hid)
                continue
            in_households += size
            head = self._new_customer(hid)
            share_phone = nz.rng.random() < 0.6
            share_device = (not share_phone) or nz.rng.random() < 0.5
            shared_phone = head.landline
            shared_dev = None
            if share_device:
                shared_dev = Device(_uuid(rng), "tablet", R.USER_AGENTS["tablet"][0], _ip(rng, head.country),
                                    None, "household")
            members = [head]
            for _ in range(size - 1):
                m = self._new_customer(hid, like=head)
                members.append(m)
            for m in members:
                if share_phone and (m is head or nz.rng.random() < 0.8):
                    m.phone = shared_phone
                if shared_dev is not None:
                    m.devices.append(shared_dev)
        nz.count["household"] += in_households
        nz.opp["household"] += n
        for _ in range(round(n * 0.3)):
            hh_no += 1
            self._new_visitor(f"H{hh_no:07d}")
        n_test = round(nz.cfg.test_accounts * n)
        nz.count["test_accounts"] += n_test
        nz.opp["test_accounts"] += n
        for k in range(n_test):
            hh_no += 1
            self._new_test(f"H{hh_no:07d}", k)
        self._birth_dates()

    def _birth_dates(self) -> None:
        """Every person's date of birth (adults of 18 to 85 at the end of the window), on its own RNG
        stream so that everything drawn before birth dates existed is unchanged."""
        rng = random.Random(f"{self.seed}:birth_date")
        end_day = self.E // DAY
        for p in self.people:
            p.birth_date = day_str(end_day - rng.randint(18 * 365 + 5, 85 * 365))

    def _pid(self) -> str:
        return f"P{len(self.people) + 1:07d}"

    def _unique_phone(self, make) -> Phone:
        for _ in range(100):
            ph = make()
            if ph.e164 not in self._used_phones:
                self._used_phones[ph.e164] = True
                return ph
        return ph

    def _email(self, first: str, last: str, country: str, style: int | None = None) -> str:
        rng = self.rng
        f, s = ascii_slug(first), ascii_slug(last.replace(" ", ""))
        domains = R.EMAIL_DOMAINS[country]
        dom = rng.choices([d for d, _ in domains], [w for _, w in domains])[0]
        style = rng.randrange(7) if style is None else style
        local = (f"{f}.{s}", f"{f}{s}", f"{f[:1]}.{s}", f"{f}_{s}", f"{f}.{s}{rng.randint(1, 99)}",
                 f"{s}.{f}{rng.randint(60, 99)}", f"{f}{rng.randint(100, 9999)}")[style]
        email = f"{local}@{dom}"
        while email in self._used_emails:
            email = f"{local}{rng.randint(1, 999)}@{dom}"
        self._used_emails[email] = True
        return email

    def _address(self, p: Person, rng: random.Random | None = None) -> None:
        rng = rng or self.rng
        c = p.country
        city, zr, area = rng.choices(R.CITIES[c], R.CITY_WEIGHTS[c])[0]
        street = rng.choice(R.STREETS[c])
        num = rng.randint(1, 180)
        p.address1 = f"{num} {street}" if c in R.STREET_NUMBER_FIRST else f"{street} {num}"
        p.city = city
        p.area = area
        if c == "NL":
            p.zip = f"{rng.randint(*zr)} {chr(65 + rng.randrange(26))}{chr(65 + rng.randrange(26))}"
        elif c == "DE":
            p.zip = f"{rng.randint(*zr):05d}"
        elif c == "PL":
            z = rng.randint(*zr)
            p.zip = f"{z // 1000:02d}-{z % 1000:03d}"
        elif c == "DK":
            p.zip = f"{rng.randint(*zr)}"
        elif c == "GB":
            p.zip = f"{rng.choice(zr)} {rng.randint(1, 9)}{chr(65 + rng.randrange(26))}{chr(65 + rng.randrange(26))}"
        else:
            p.zip = f"{rng.randint(*zr):05d}"

    def _name(self, p: Person, last: str | None = None) -> None:
        rng = self.rng
        p.female = rng.random() < 0.55
        p.first_name = rng.choice((R.FIRST_F if p.female else R.FIRST_M)[p.country])
        last = last or rng.choice(R.LAST[p.country])
        if p.country == "PL" and p.female:
            for a, b in (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")):
                if last.endswith(a):
                    last = last[: -len(a)] + b
        p.last_name = last

    def _new_customer(self, hid: str, like: Person | None = None) -> Person:
        rng, nz = self.rng, self.noise
        country = like.country if like else R.COUNTRIES[rng.choices(range(6), cum_weights=self._country_cw)[0]]
        p = Person(idx=len(self.people), person_id=self._pid(), kind="customer", country=country, household_id=hid)
        self.people.append(p)
        same_last = like.last_name if like and rng.random() < 0.75 else None
        if same_last and country == "PL":  # undo the feminine form to re-derive it
            same_last = same_last[:-1] + "i" if same_last.endswith(("ska", "cka")) else same_last
        self._name(p, same_last)
        if like:
            p.address1, p.city, p.zip, p.area = like.address1, like.city, like.zip, like.area
        else:
            self._address(p)
        p.email = self._email(p.first_name, p.last_name, country)
        us_area = p.area if country == "US" else ""
        p.phone = self._unique_phone(lambda: new_mobile(rng, country, us_area or "212"))
        area = p.area or "20"
        p.landline = like.landline if like else self._unique_phone(lambda: new_landline(rng, country, area))
        p.segment = SEGMENTS[rng.choices(range(3), cum_weights=self._segment_cw)[0]]
        if like:
            p.segment = like.segment if rng.random() < 0.6 else p.segment
        p.cat_w = [rng.gammavariate(0.6, 1.0) + 0.02 for _ in CATS]
        if rng.random() > 0.3:
            p.cat_w[CATS.index("kids")] = 0.01
        p.brand_w = {b: rng.gammavariate(0.8, 1.0) + 0.05 for b in R.ALL_BRANDS}
        p.engagement = min(0.95, rng.betavariate(2, 3) * 1.3)
        if nz.roll("second_email"):
            if rng.random() < 0.5:
                p.b2b = True
                w = rng.choice(R.COMPANY_WORDS)
                p.company = f"{w} {rng.choice(R.COMPANY_KINDS)} {R.COMPANY_SUFFIX[country]}"
                p.email2 = (f"{ascii_slug(p.first_name)}.{ascii_slug(p.last_name.replace(' ', ''))}"
                            f"@{ascii_slug(w)}{rng.randint(1, 99)}.{R.COMPANY_TLD[country]}")
                self._used_emails[p.email2] = True
            else:
                p.email2 = self._email(p.first_name, p.last_name, country)
        elif rng.random() < 0.03:
            p.b2b = True
            p.company = f"{rng.choice(R.COMPANY_WORDS)} {rng.choice(R.COMPANY_KINDS)} {R.COMPANY_SUFFIX[country]}"
        return p

    def _new_visitor(self, hid: str) -> Person:
        rng = self.rng
        country = R.COUNTRIES[rng.choices(range(6), cum_weights=self._country_cw)[0]]
        p = Person(idx=len(self.people), person_id=self._pid(), kind="visitor", country=country, household_id=hid)
        p.cat_w = [rng.gammavariate(0.6, 1.0) + 0.02 for _ in CATS]
        p.brand_w = {b: rng.gammavariate(0.8, 1.0) + 0.05 for b in R.ALL_BRANDS}
        self.people.append(p)
        return p

    def _new_test(self, hid: str, k: int) -> Person:
        rng = self.rng
        country = ("NL", "DE", "GB")[k % 3]
        p = Person(idx=len(self.people), person_id=self._pid(), kind="test", country=country, household_id=hid)
        p.first_name, p.last_name = [("Test", "Test"), ("QA", "User"), ("Test", "Account"), ("Demo", "Demo")][k % 4]
        p.email = ("test@test.com", f"test+{k}@nordhaven.example", f"qa{k}@nordhaven.example",
                   f"test{k}@test.com")[k % 4]
        p.phone = Phone(country, new_mobile(rng, country).nsn[:3] + "0" * (R.NSN_LEN[country] - 3), "")
        self._address(p)
        p.cat_w = [1.0 for _ in CATS]
        p.brand_w = {b: 1.0 for b in R.ALL_BRANDS}
        self.people.append(p)
        return p

    # ---------------------------------------------------------------- planning
    def _devices(self, p: Person, rng: random.Random) -> None:
        kinds = ("mobile", "desktop", "ios", "android")
        first = rng.choices(kinds, (0.45, 0.33, 0.14, 0.08))[0]
        chosen = [first]
        if rng.random() < 0.35:
            chosen.append(rng.choice([k for k in kinds if k != first]))
        own = []
        for k in chosen:
            ua = rng.choice(R.USER_AGENTS[k])
            own.append(Device(_uuid(rng), k, ua, _ip(rng, p.country), _uuid(rng).upper() if k in ("ios", "android")
                              else None))
        p.devices = own + p.devices  # household device (if any) last

    def _session(self, p: Person, ts: int, kind: str, device: Device, data=None) -> None:
        self._session_seq += 1
        p.sessions.append((ts, self._session_seq, kind, device, data))

    def pick_lines(self, p: Person, rng: random.Random, ts: int, currency: str, b2b: bool = False) -> list:
        _, m, _ = ymd(ts // DAY)
        cold = 1.5 if m in (10, 11, 12, 1, 2) else (0.6 if m in (5, 6, 7, 8) else 1.0)
        weights = [w * cold if c in R.COLD_CATEGORIES else w for c, w in zip(CATS, p.cat_w, strict=False)]
        n = rng.choices((1, 2, 3, 4), (55, 28, 12, 5))[0]
        lines, seen = [], {}
        for _ in range(n):
            cat = rng.choices(CATS, weights)[0]
            brands = R.BRANDS[cat]
            brand = rng.choices(brands, [p.brand_w[b] for b in brands])[0]
            ps, cw = self.catalog.by_cat_brand.get((cat, brand)) or self.catalog.by_cat_brand[(cat, "Nordhaven")]
            prod = rng.choices(ps, cum_weights=cw)[0]
            if prod.sku in seen:
                continue
            seen[prod.sku] = True
            qty = rng.randint(5, 20) if b2b else rng.choices((1, 2, 3), (85, 12, 3))[0]
            lines.append((prod, qty, local_price(prod.price_cents, currency)))
        return lines

    def plan(self) -> None:
        rng = random.Random(f"{self.seed}:plan")
        for p in self.people:
            if p.kind == "customer":
                self._plan_customer(p, rng)
            elif p.kind == "visitor":
                self._plan_visitor(p, rng)
            else:
                self._plan_test(p, rng)
        self._walk_ins(rng)
        self._finalise_ids(rng)
        self._fuzzy_duplicates()

    def _fuzzy_duplicates(self) -> None:
        """Noise kind ``fuzzy_duplicate``: a CRM contact typed in by hand for an existing customer, sharing
        no clean identifier with their other records. Kinds (``FUZZY_KINDS``): ``email_typo`` (an email one
        typo away, names with a typo or swapped), ``phone_typo`` (no email; the phone with two digits
        transposed, often written differently), ``nickname`` (the short form of the given name, no email
        or phone) and ``moved_house`` (no email or phone, same name and birth date, a new address).
        Birth date and address are filled in as a person would type them (sometimes a digit off, a day
        and month swapped, a typo in the street). Its own RNG streams and ids above every other
        contact's, so the rest of the data set is the same with or without it; the first stream draws
        exactly what it drew before the kinds existed."""
        nz = self.noise
        rate = nz.rates["fuzzy_duplicate"]
        rng = random.Random(f"{self.seed}:fuzzy_duplicate")
        krng = random.Random(f"{self.seed}:fuzzy_duplicate_kind")
        cid = max((int(c.id) for c in self.contacts), default=1051) + 100_000
        for p in self.people:
            if p.kind != "customer" or not p.email or not (p.orders or p.receipts or p.contacts):
                continue
            nz.opp["fuzzy_duplicate"] += 1
            if rate <= 0 or rng.random() >= rate:
                continue
            nz.count["fuzzy_duplicate"] += 1
            local, _, domain = p.email.partition("@")
            first, last = p.first_name, p.last_name
            style = rng.randrange(4)
            if style == 1:
                first = typo(rng, first)
            elif style == 2:
                first, last = last, first
            elif style == 3:
                last = typo(rng, last)
            email: str | None = f"{typo(rng, local)}@{domain}"
            if email in self._used_emails:
                email = f"{local}{local[-1:]}@{domain}"
            created = rng.randint(max(p.first_ts, self.W0), self.E - DAY)
            cid += rng.randint(1, 40)
            fuzzy = self._fuzzy_values(p, krng, first, last)
            if fuzzy["kind"] == "email_typo":
                self._used_emails[email] = True
            else:
                email = None
            c = Contact(person=p, created=created, email=email, secondary=None, mods=[], id=str(cid), fuzzy=fuzzy)
            p.contacts.append(c)
            self.contacts.append(c)

    def _fuzzy_values(self, p: Person, rng: random.Random, first: str, last: str) -> dict:
        """What a hand-typed duplicate of ``p`` holds besides its email (names as typed by ``style``)."""
        kind = rng.choices(FUZZY_KINDS, FUZZY_KIND_WEIGHTS)[0]
        nickname = R.NICKNAMES.get(p.first_name)
        if kind == "nickname" and nickname is None:
            kind = "moved_house"
        phone = None
        if kind == "phone_typo" and p.phone is not None:
            moved = Phone(p.phone.country, digit_transposition(rng, p.phone.nsn), p.phone.area)
            phone = rng.choice(phone_variants(moved)) if rng.random() < 0.5 else moved.e164
        elif kind == "phone_typo":
            kind = "email_typo"
        if kind == "nickname":
            first, last = nickname, p.last_name
        elif kind == "moved_house":
            first, last = p.first_name, p.last_name
        has_dob = kind == "moved_house" or rng.random() < (0.9 if kind == "nickname" else 0.7)
        birth = p.birth_date
        if has_dob and kind != "moved_house" and rng.random() < 0.2:
            birth = date_typo(rng, birth)
        address1, zip_code, city = p.address1, p.zip, p.city
        if kind == "moved_house":
            new = Person(idx=-1, person_id="", kind="", country=p.country, household_id="")
            for _ in range(10):
                self._address(new, rng)
                if new.zip != p.zip and new.address1 != p.address1:
                    break
            address1, zip_code, city = new.address1, new.zip, new.city
        elif rng.random() < (0.8 if kind == "nickname" else 0.6):
            if rng.random() < 0.2:
                address1 = typo(rng, address1)
        else:
            address1 = zip_code = city = ""
        return {"kind": kind, "first": first, "last": last, "phone": phone, "birth_date": birth if has_dob else "",
                "address1": address1, "zip": zip_code, "city": city}

    def _plan_customer(self, p: Person, rng: random.Random) -> None:
        nz, W0, E = self.noise, self.W0, self.E
        existing = rng.random() < 0.35
        if existing:
            p.first_ts = W0 - rng.randint(DAY, 3 * 365 * DAY)
        else:
            p.first_ts = rng.randint(W0, E - 3 * DAY)
        if rng.random() < 0.45:
            p.last_ts = p.first_ts + int(rng.expovariate(1 / (365 * DAY)))
        else:
            p.last_ts = E
        a = max(p.first_ts, W0)
        p.last_ts = min(E, max(p.last_ts, a + 21 * DAY))
        b = p.last_ts
        years = (b - a) / (365 * DAY)
        country, cur = p.country, R.CURRENCY[p.country]
        stores = self.stores_by_country[country]
        same_city = [s for s in stores if s[3] == p.city]
        p.home_store = same_city[0] if same_city else rng.choice(stores)

        # purchases: many one-time buyers, a few heavy buyers
        rate = rng.lognormvariate(0.0, 0.9)  # per year
        n = poisson(rng, rate * years)
        buyer = rng.random() < 0.9 or p.segment == "store"
        times = []
        if not existing and buyer:
            times.append(p.first_ts)
            n = max(0, n - 1)
        elif buyer and n == 0 and rng.random() < 0.5:
            n = 1
        for _ in range(n):
            times.append(self.online_ts(rng, a, b, country))
        times.sort()
        store_share = {"online": 0.0, "omni": 0.45, "store": 1.0}[p.segment]
        channels = ["store" if rng.random() < store_share else "online" for _ in times]
        if p.segment == "store" and not times:
            times, channels = [self.online_ts(rng, a, b, country)], ["store"]

        # accounts and devices
        p.web_active = p.segment != "store" or rng.random() < 0.25
        if p.web_active:
            self._devices(p, rng)
        if p.segment == "store":
            p.has_account = False
        else:
            p.has_account = rng.random() < 0.88 or "online" not in channels
        online_times = [t for t, c in zip(times, channels, strict=False) if c == "online"]
        if p.has_account:
            if existing or online_times and online_times[0] == p.first_ts:
                p.account_ts = p.first_ts
            else:
                p.account_ts = min(E - 1, p.first_ts + rng.randint(0, 5 * DAY))
            p.customer_state = rng.choices(("enabled", "disabled", "invited"), (0.95, 0.02, 0.03))[0]
            p.accepts_marketing = rng.random() < 0.55
            if rng.random() < 0.1 and E - p.account_ts > 2 * DAY:
                p.marketing_toggle_ts = rng.randint(max(p.account_ts, W0) + DAY, E - DAY)
        if p.phone is not None and p.phone is not p.landline and nz.roll("changed_phone"):
            p.old_phone = p.phone
            country_area = p.area or "212"
            p.phone = self._unique_phone(lambda: new_mobile(rng, country, country_area))
            p.phone_changed_ts = rng.randint(a, E - 1)

        # online orders
        for t, ch in zip(times, channels, strict=False):
            if ch == "online":
                dev = rng.choice(p.devices) if p.devices else None
                o = Order(person=p, ts=t, channel="app" if dev and dev.is_app else "web", device=dev,
                          lines=self.pick_lines(p, rng, t, cur, p.b2b and rng.random() < 0.3), currency=cur,
                          country=country, guest=not p.has_account)
                o.signup = p.has_account and not existing and t == p.account_ts
                self._price_order(o, rng)
                p.orders.append(o)
                self.orders.append(o)
                if dev is not None:
                    self._session(p, t, "purchase", dev, o)
                if rng.random() < 0.04:
                    self._ticket(p, rng, t + rng.randint(2 * DAY, 12 * DAY),
                                 rng.choice(("where_is_order", "return", "damaged", "size")), o)

        # store visits
        store_times = [t for t, c in zip(times, channels, strict=False) if c == "store"]
        if store_times:
            p.loyalty = rng.random() < {"online": 0.03, "omni": 0.5, "store": 0.65}[p.segment]
            p.ereceipt_pref = rng.random() < 0.35
            if p.loyalty:
                p.loyalty_joined = max(W0 - 2 * 365 * DAY, store_times[0] - rng.randint(0, 400) * DAY)
        for t in store_times:
            store = p.home_store if rng.random() < 0.85 else rng.choice(stores)
            ts = self.store_ts(rng, max(a, t - DAY), min(b, t + DAY), store)
            lines = self.pick_lines(p, rng, ts, cur)
            r = Receipt(person=p, ts=ts, store=store, rtype="sale", lines=lines, currency=cur)
            r.card = p.loyalty and ts >= p.loyalty_joined and rng.random() < 0.85
            r.ereceipt = p.ereceipt_pref and rng.random() < 0.6
            r.payment = rng.choices(("card", "cash", "mobile", "gift_card"), (0.62, 0.15, 0.2, 0.03))[0]
            r.register = rng.randint(1, 4)
            p.receipts.append(r)
            self.receipts.append(r)
            if rng.random() < 0.03:
                ret_ts = ts + rng.randint(2 * DAY, 28 * DAY)
                if ret_ts < E:
                    prod, _, unit = lines[0]
                    rr = Receipt(person=p, ts=self.store_ts(rng, ret_ts, min(E, ret_ts + DAY), store), store=store,
                                 rtype="return", lines=[(prod, -1, unit)], currency=cur, card=r.card,
                                 ereceipt=r.ereceipt, payment=r.payment, register=rng.randint(1, 4))
                    p.receipts.append(rr)
                    self.receipts.append(rr)
            if r.card and rng.random() < 0.01:
                self._ticket(p, rng, ts + rng.randint(DAY, 20 * DAY), "loyalty")
        if not p.has_account and not any(r.card or r.ereceipt for r in p.receipts):
            p.esp = True  # signed up for the newsletter at the till: the only way we know them

        # newsletter
        if p.has_account:
            initially = p.accepts_marketing
            if p.marketing_toggle_ts is not None:
                p.accepts_marketing = not p.accepts_marketing
            if initially:
                p.esp, p.esp_optin_ts = True, p.account_ts
            elif p.marketing_toggle_ts is not None:
                p.esp, p.esp_optin_ts = True, p.marketing_toggle_ts
        elif not p.esp and rng.random() < 0.2:
            p.esp = True
        if p.esp and not p.esp_optin_ts:
            first_visit = p.receipts[0].ts if p.receipts else p.first_ts
            p.esp_optin_ts = first_visit
        if p.esp:
            p.esp_email = p.email2 if p.email2 and rng.random() < 0.5 else p.email

        # CRM
        p.crm = p.b2b or rng.random() < 0.18
        if p.crm:
            created = p.first_ts + rng.randint(-30 * DAY, 30 * DAY)
            created = min(created, E - DAY)
            self._contact(p, rng, created)
            if p.email2 and rng.random() < 0.3:  # a second, duplicate contact with the other address
                self._contact(p, rng, rng.randint(min(created + DAY, E - DAY), E - 1), use_second=True)

        # support beyond orders
        if rng.random() < 0.025:
            self._ticket(p, rng, rng.randint(a, b - 1), rng.choice(("account", "product", "size")),
                         product=rng.choice(self.catalog.products))
        if p.b2b and rng.random() < 0.3:
            self._ticket(p, rng, rng.randint(a, b - 1), "invoice", p.orders[-1] if p.orders else None)

        # web browsing
        if p.web_active:
            self._plan_web(p, rng, a, b)

    def _plan_web(self, p: Person, rng: random.Random, a: int, b: int) -> None:
        years = (b - a) / (365 * DAY)
        if p.has_account:
            browse_rate = rng.lognormvariate(math.log(1.7), 0.8)
            lo = a if p.late_ident else max(a, p.account_ts)
        else:
            browse_rate = rng.lognormvariate(math.log(1.0 if p.segment == "store" else 1.6), 0.8)
            lo = a
        # late identification: anonymous sessions first, identified later
        if p.has_account and self.noise.roll("late_identification"):
            p.late_ident = True
            lo = a
        devs = [d for d in p.devices if d.shared != "household"] or p.devices
        if p.has_account and not any(s[2] in ("purchase",) and s[4].signup for s in p.sessions) \
                and p.account_ts >= self.W0:
            self._session(p, p.account_ts, "signup", devs[0])
        if lo < b:
            for _ in range(poisson(rng, browse_rate * years)):
                t = self.online_ts(rng, lo, b, p.country)
                dev = rng.choice(p.devices)
                self._session(p, t, "browse", dev, rng.random() < 0.25)
        if p.late_ident:
            first_id = min((s[0] for s in p.sessions if s[3] is devs[0]), default=b)
            first_id = max(first_id, p.account_ts)
            lo2 = max(self.W0, first_id - 60 * DAY)
            if first_id - lo2 > HOUR:
                for _ in range(rng.randint(1, 4)):
                    self._session(p, rng.randint(lo2, first_id - HOUR), "pre", devs[0], rng.random() < 0.3)
        # shared kiosk / public computer
        if self.noise.roll("shared_device"):
            p.kiosk = True
            for _ in range(rng.randint(1, 3)):
                if p.receipts and rng.random() < 0.7:
                    r = rng.choice(p.receipts)
                    dev, t = self.kiosk_devices[r.store[0]], r.ts - rng.randint(5 * MINUTE, 40 * MINUTE)
                else:
                    dev, t = self.public_devices[p.country], self.online_ts(rng, a, b, p.country)
                if t >= self.W0:
                    self._session(p, t, "kiosk", dev, rng.random() < 0.4)

    def _plan_visitor(self, p: Person, rng: random.Random) -> None:
        W0, E = self.W0, self.E
        self._devices(p, rng)
        p.devices = p.devices[:1]
        p.web_active = True
        start = rng.randint(W0, E - DAY)
        end = min(E, start + rng.randint(1, 90) * DAY)
        for _ in range(rng.choices((1, 2, 3, 4, 6), (45, 25, 15, 10, 5))[0]):
            self._session(p, self.online_ts(rng, start, end, p.country), "browse", p.devices[0],
                          rng.random() < 0.2)

    def _plan_test(self, p: Person, rng: random.Random) -> None:
        W0, E = self.W0, self.E
        p.first_ts = p.account_ts = rng.randint(W0, E - 10 * DAY)
        p.last_ts = E
        p.has_account = True
        p.web_active = True
        p.segment = "online"
        self._devices(p, rng)
        p.devices = p.devices[:1]
        p.accepts_marketing = rng.random() < 0.5
        cur = R.CURRENCY[p.country]
        self._session(p, p.account_ts, "signup", p.devices[0])
        for _ in range(rng.randint(0, 2)):
            t = rng.randint(p.account_ts + HOUR, E - HOUR)
            o = Order(person=p, ts=t, channel="web", device=p.devices[0], lines=self.pick_lines(p, rng, t, cur)[:1],
                      currency=cur, country=p.country)
            self._price_order(o, rng)
            if rng.random() < 0.6:
                o.cancelled_ts = t + rng.randint(MINUTE, HOUR)
            p.orders.append(o)
            self.orders.append(o)
            self._session(p, t, "purchase", p.devices[0], o)
        for _ in range(rng.randint(1, 3)):
            self._session(p, rng.randint(p.account_ts + HOUR, E - HOUR), "browse", p.devices[0], rng.random() < 0.5)
        if rng.random() < 0.3:
            p.esp, p.esp_optin_ts, p.esp_email = True, p.account_ts, p.email
        if rng.random() < 0.3:
            self._contact(p, rng, p.account_ts)

    def _walk_ins(self, rng: random.Random) -> None:
        """Anonymous store sales: no identifier, no person."""
        n = int(len(self.receipts) * 0.6)
        if not n:
            return
        shopper = {c: Person(idx=-1, person_id="", kind="walkin", country=c, household_id="",
                             cat_w=[1.0] * len(CATS), brand_w={b: 1.0 for b in R.ALL_BRANDS}) for c in R.COUNTRIES}
        for _ in range(n):
            store = rng.choice(self.stores)
            cur = R.CURRENCY[store[2]]
            ts = self.store_ts(rng, self.W0, self.E, store)
            fake = shopper[store[2]]
            r = Receipt(person=None, ts=ts, store=store, rtype="sale", lines=self.pick_lines(fake, rng, ts, cur),
                        currency=cur)
            r.payment = rng.choices(("card", "cash", "mobile", "gift_card"), (0.6, 0.22, 0.16, 0.02))[0]
            r.register = rng.randint(1, 4)
            self.receipts.append(r)

    def _price_order(self, o: Order, rng: random.Random) -> None:
        _, m, d = ymd(o.ts // DAY)
        sale = m == 7 or (m == 1 and d <= 20) or (m == 11 and d >= 22) or (m == 12 and d <= 2)
        gross = sum(q * u for _, q, u in o.lines)
        if sale and rng.random() < 0.4:
            o.discount = round(gross * 0.2)
        elif rng.random() < 0.05:
            o.discount = round(gross * 0.1)
        o.subtotal = gross - o.discount
        threshold = local_price(7500, o.currency)
        o.shipping = 0 if o.subtotal >= threshold else local_price(495, o.currency)
        base = o.subtotal + o.shipping
        if o.country == "US":
            o.tax = round(base * R.US_SALES_TAX)
            o.total = base + o.tax
        else:
            vat = R.VAT[o.country]
            o.tax = base - round(base / (1 + vat))
            o.total = base

    def _ticket(self, p: Person, rng: random.Random, ts: int, reason: str, order: Order | None = None,
                product: Product | None = None) -> None:
        if ts >= self.E or ts < self.W0:
            return
        channel = rng.choices(("email", "phone", "chat", "web"), (0.4, 0.2, 0.25, 0.15))[0]
        t = Ticket(person=p, ts=ts, reason=reason, channel=channel, order=order, product=product)
        p.tickets.append(t)
        self.tickets.append(t)

    def _contact(self, p: Person, rng: random.Random, created: int, use_second: bool = False) -> None:
        E = self.E
        if use_second or (p.b2b and p.email2):
            email, secondary = p.email2, (p.email if rng.random() < 0.4 else None)
        else:
            email, secondary = p.email, (p.email2 if p.email2 and rng.random() < 0.4 else None)
        mods = []
        for _ in range(rng.choices((0, 1, 2, 3), (40, 30, 20, 10))[0]):
            if created + HOUR < E:
                mods.append(rng.randint(created + HOUR, E - 1))
        if p.phone_changed_ts is not None and p.phone_changed_ts > created:
            mods.append(p.phone_changed_ts)
        first_purchase = min([o.ts for o in p.orders] + [r.ts for r in p.receipts], default=None)
        if first_purchase is not None and first_purchase > created:
            mods.append(first_purchase)
        mods.sort()
        c = Contact(person=p, created=created, email=email, secondary=secondary, mods=mods)
        p.contacts.append(c)
        self.contacts.append(c)

    # ---------------------------------------------------------------- ids and order lifecycle
    def _finalise_ids(self, rng: random.Random) -> None:
        E = self.E
        # shop customers: ids increase with account creation time
        holders = sorted((p for p in self.people if p.has_account), key=lambda p: (p.account_ts, p.idx))
        cid = 7_301_000_000_000
        for p in holders:
            cid += rng.randint(1, 250_000)
            p.shop_id = cid
        # orders: ids and numbers follow created_at
        self.orders.sort(key=lambda o: (o.ts, o.person.idx))
        oid, lid, rid = 5_602_000_000_000, 14_210_000_000_000, 9_120_000_000
        for n, o in enumerate(self.orders):
            oid += rng.randint(1, 90_000)
            o.id, o.number = oid, 1001 + n
            for _ in o.lines:
                lid += rng.randint(1, 9_000)
                o.line_ids.append(lid)
            updated = o.ts + rng.randint(HOUR, 3 * DAY)  # fulfilment
            if o.person.kind == "test" and o.cancelled_ts is None and rng.random() < 0.5:
                o.financial_status = "pending"
            elif rng.random() < 0.015:
                o.cancelled_ts = o.ts + rng.randint(10 * MINUTE, 2 * HOUR)
            if o.cancelled_ts is not None:
                rid += rng.randint(1, 5000)
                o.refund = (o.cancelled_ts, o.total, "Order cancelled", rid)
                o.financial_status = "refunded"
                updated = o.cancelled_ts
            elif o.financial_status == "paid" and E - o.ts < 2 * DAY and rng.random() < 0.25:
                o.financial_status = "pending"
                updated = o.ts + rng.randint(MINUTE, HOUR)
            elif rng.random() < 0.04:
                ts = o.ts + rng.randint(5 * DAY, 30 * DAY)
                if ts < E:
                    rid += rng.randint(1, 5000)
                    if rng.random() < 0.6 or len(o.lines) == 1:
                        o.refund = (ts, o.total, rng.choice(("Customer return", "Wrong size", "Changed mind")), rid)
                        o.financial_status = "refunded"
                    else:
                        _, q, u = o.lines[-1]
                        o.refund = (ts, q * u, rng.choice(("Damaged item", "Partial return")), rid)
                        o.financial_status = "partially_refunded"
                    updated = ts
            o.updated_ts = min(max(updated, o.ts), E - 1)
        # POS receipts: per-store sequence by time
        self.receipts.sort(key=lambda r: (r.ts, r.store[0], r.person.idx if r.person else -1, r.rtype))
        seq: dict[str, int] = {}
        for r in self.receipts:
            seq[r.store[0]] = seq.get(r.store[0], 0) + 1
            r.id = f"{r.store[0]}-{seq[r.store[0]]:07d}"
            r.total = sum(q * u for _, q, u in r.lines)
        # loyalty card numbers (EAN-13 like, check digit) by join time
        members = sorted((p for p in self.people if p.loyalty), key=lambda p: (p.loyalty_joined, p.idx))
        for n, p in enumerate(members):
            body = f"2960{n * 37 + 100003:08d}"
            p.card_number = body + str(_ean_check(body))
        # support tickets (Zendesk-like ids by creation)
        self.tickets.sort(key=lambda t: (t.ts, t.person.idx))
        tid = 1000
        for t in self.tickets:
            tid += rng.randint(1, 3)
            t.id = tid
        # CRM contact ids by creation
        self.contacts.sort(key=lambda c: (c.created, c.person.idx))
        cid = 1051
        for c in self.contacts:
            cid += rng.randint(1, 40)
            c.id = str(cid)


def _ean_check(body: str) -> int:
    s = sum(int(ch) * (3 if i % 2 else 1) for i, ch in enumerate(body))
    return (10 - s % 10) % 10


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


_IP_FIRST = {"NL": (77, 82, 145, 212), "DE": (79, 84, 91, 217), "PL": (83, 89, 178, 188),
             "DK": (80, 87, 185, 193), "GB": (81, 86, 92, 151), "US": (24, 67, 73, 98)}


def _ip(rng: random.Random, country: str) -> str:
    return f"{rng.choice(_IP_FIRST[country])}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randint(1, 254)}"
