"""Phones, and the noise injector that renders identifiers the way messy source systems hold them."""

from __future__ import annotations

import random
from datetime import date as _date
from typing import NamedTuple

from .config import NoiseConfig
from .reference import DIAL, JUNK_EMAILS, JUNK_PHONES, MOBILE_PREFIX, NSN_LEN


class Phone(NamedTuple):
    country: str
    nsn: str  # national significant number (no trunk 0, no country code)
    area: str  # landline area code ('' for mobiles)

    @property
    def e164(self) -> str:
        return f"+{DIAL[self.country]}{self.nsn}"


def new_mobile(rng: random.Random, country: str, us_area: str = "212") -> Phone:
    if country == "US":
        nsn = f"{us_area}{rng.randint(2, 9)}{rng.randrange(10**6):06d}"
        return Phone(country, nsn, "")
    prefix = rng.choice(MOBILE_PREFIX[country])
    rest = NSN_LEN[country] - len(prefix)
    return Phone(country, f"{prefix}{rng.randrange(10**rest):0{rest}d}", "")


def new_landline(rng: random.Random, country: str, area: str) -> Phone:
    if country == "DK":
        return Phone(country, f"{rng.randint(3, 9)}{rng.randrange(10**7):07d}", "")
    if country == "US":
        return Phone(country, f"{area}{rng.randint(2, 9)}{rng.randrange(10**6):06d}", area)
    total = {"NL": 9, "DE": 10, "PL": 9, "GB": 10}[country]
    rest = total - len(area)
    first = rng.randint(2, 9)
    return Phone(country, f"{area}{first}{rng.randrange(10 ** (rest - 1)):0{rest - 1}d}", area)


def phone_variants(ph: Phone) -> list[str]:
    """Non-E.164 renderings people and systems actually store."""
    c, n, a = ph.country, ph.nsn, ph.area
    cc = DIAL[c]
    if c == "US":
        x, y, z = n[:3], n[3:6], n[6:]
        return [f"({x}) {y}-{z}", f"{x}-{y}-{z}", f"{x}.{y}.{z}", f"+1 {x}-{y}-{z}", f"1-{x}-{y}-{z}",
                f"001{n}"]
    if c == "DK":
        return [f"+45 {n[:2]} {n[2:4]} {n[4:6]} {n[6:]}", f"{n[:2]} {n[2:4]} {n[4:6]} {n[6:]}", n,
                f"0045{n}", f"+45 {n}"]
    if a:  # landline with area code
        r = n[len(a):]
        if c == "NL":
            return [f"(0{a}) {r[:3]} {r[3:]}", f"0{a}-{r}", f"+31 {a} {r}", f"0031{n}"]
        if c == "DE":
            return [f"(0{a}) {r}", f"0{a}/{r}", f"+49 {a} {r}", f"0049{n}"]
        if c == "PL":
            return [f"({a}) {r[:3]} {r[3:5]} {r[5:]}", f"+48 {a} {r}", f"0048{n}", f"{a} {r}"]
        if c == "GB":
            split = 4 if len(r) == 8 else 3
            return [f"(0{a}) {r[:split]} {r[split:]}", f"0{a} {r[:split]} {r[split:]}", f"+44 {a} {r}",
                    f"0044{n}"]
    if c == "NL":
        return [f"+31 6 {n[1:5]} {n[5:]}", f"06-{n[1:]}", f"06 {n[1:5]} {n[5:]}", f"0031{n}", f"0{n}"]
    if c == "DE":
        p, r = n[:3], n[3:]
        return [f"+49 {p} {r}", f"0{p} {r}", f"0{p}-{r}", f"0049{n}", f"0{p}/{r}"]
    if c == "PL":
        return [f"+48 {n[:3]} {n[3:6]} {n[6:]}", f"{n[:3]}-{n[3:6]}-{n[6:]}", f"{n[:3]} {n[3:6]} {n[6:]}",
                f"0048{n}", n]
    if c == "GB":
        return [f"+44 {n[:4]} {n[4:]}", f"0{n[:4]} {n[4:]}", f"0044{n}", f"0{n}"]
    return [f"00{cc}{n}"]


_KEY_NEIGHBOURS = {
    "a": "sqz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo",
    "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "r": "et", "s": "ad",
    "t": "ry", "u": "yi", "v": "cb", "w": "qe", "y": "tu", "z": "x",
}


def typo(rng: random.Random, s: str) -> str:
    if len(s) < 3:
        return s + s[-1:]
    i = rng.randrange(len(s) - 1)
    op = rng.randrange(4)
    if op == 0 and s[i] != s[i + 1]:
        out = s[:i] + s[i + 1] + s[i] + s[i + 2:]
    elif op == 1 and s[i] != " ":
        out = s[:i] + s[i + 1:]
    elif op == 2:
        nb = _KEY_NEIGHBOURS.get(s[i].lower())
        out = s[:i] + rng.choice(nb) + s[i + 1:] if nb else s[:i] + s[i] + s[i:]
    else:
        out = s[:i] + s[i] + s[i:]
    return out if out != s else s + s[-1]


def digit_transposition(rng: random.Random, digits: str) -> str:
    """``digits`` with two adjacent, different digits swapped (after the first, which is a prefix)."""
    spots = [i for i in range(1, len(digits) - 1) if digits[i] != digits[i + 1]]
    if not spots:
        return digits
    i = rng.choice(spots)
    return digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]


def date_typo(rng: random.Random, iso: str) -> str:
    """An ISO date as a person mistypes it: day and month swapped (where both read as a month) or one
    digit of the day, month or year's last two digits off; always a valid date, never ``iso`` itself."""
    y, m, d = iso[:4], iso[5:7], iso[8:10]
    if m != d and int(d) <= 12 and rng.random() < 0.4:
        return f"{y}-{d}-{m}"
    for _ in range(30):
        pos = rng.choice((2, 3, 5, 6, 8, 9))
        out = iso[:pos] + str(rng.randrange(10)) + iso[pos + 1:]
        try:
            _date.fromisoformat(out)
        except ValueError:
            continue
        if out != iso:
            return out
    return iso


def mangle_email(rng: random.Random, e: str) -> str:
    k = rng.randrange(5)
    if k == 0:
        out = e.upper()
    elif k == 1:
        out = e[:1].upper() + e[1:]
    elif k == 2:
        out = " " + e
    elif k == 3:
        out = e + " "
    else:
        local, _, dom = e.partition("@")
        out = ".".join(p.capitalize() for p in local.split(".")) + "@" + dom.capitalize()
    return out if out != e else e + " "


class Noise:
    """Rolls noise decisions on its own RNG stream and counts them."""

    def __init__(self, cfg: NoiseConfig, rng: random.Random):
        self.cfg = cfg
        self.rng = rng
        self.count: dict[str, int] = {k: 0 for k in NoiseConfig.kinds()}
        self.opp: dict[str, int] = {k: 0 for k in NoiseConfig.kinds()}
        self.malformed: dict[str, int] = {}
        self.duplicates: dict[str, int] = {}
        self.rates: dict[str, float] = {k: float(getattr(cfg, k)) for k in NoiseConfig.kinds()}

    def roll(self, kind: str) -> bool:
        self.opp[kind] += 1
        rate = self.rates[kind]
        if rate > 0 and self.rng.random() < rate:
            self.count[kind] += 1
            return True
        return False

    def malformed_roll(self, source: str) -> bool:
        hit = self.roll("malformed_rows")
        if hit:
            self.malformed[source] = self.malformed.get(source, 0) + 1
        return hit

    def duplicate_roll(self, source: str) -> bool:
        hit = self.roll("duplicate_events")
        if hit:
            self.duplicates[source] = self.duplicates.get(source, 0) + 1
        return hit

    def email(self, value: str | None, junk: bool = True) -> str | None:
        if value is None:
            return None
        if junk and self.roll("junk_values"):
            return self.rng.choice(JUNK_EMAILS)
        if self.roll("email_case_whitespace"):
            return mangle_email(self.rng, value)
        return value

    def phone(self, ph: Phone | None, junk: bool = True) -> str | None:
        if ph is None:
            return None
        if junk and self.roll("junk_values"):
            return self.rng.choice(JUNK_PHONES)
        if self.roll("phone_format"):
            return self.rng.choice(phone_variants(ph))
        return ph.e164

    def name(self, value: str | None) -> str | None:
        if not value:
            return value
        if self.roll("name_typo"):
            return typo(self.rng, value)
        return value

    def truncate(self, line: str) -> str:
        """A line cut off mid-object (always invalid JSON)."""
        cut = self.rng.randint(len(line) // 3, max(len(line) // 3, len(line) - 5))
        return line[:cut]
