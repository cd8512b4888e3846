"""Tests for the deterministic demo data generator (cdp.generate)."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import sqlite3
from dataclasses import replace
from datetime import UTC, date
from pathlib import Path

import pytest

from cdp.generate import NoiseConfig, generate

END = date(2026, 11, 1)
CRM_HEADER = ["Contact ID", "Email", "Secondary Email", "Phone Number", "Mobile Phone Number", "First Name",
              "Last Name", "Company Name", "Lifecycle Stage", "Country", "Unsubscribed from all email",
              "Create Date", "Last Modified Date", "Date of Birth", "Street Address", "Postal Code", "City"]
LOYALTY_HEADER = ["card_number", "email", "phone", "first_name", "last_name", "tier", "points_balance", "joined_at",
                  "updated_at", "country", "home_store_id", "birth_date", "postcode"]
SEGMENT_FIELDS = ("type", "messageId", "anonymousId", "userId", "timestamp", "sentAt", "receivedAt",
                  "originalTimestamp", "context")


def _hash_tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def _jsonl(path: Path):
    """(parsed or None, raw line) per line."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            try:
                yield json.loads(line), line
            except json.JSONDecodeError:
                yield None, line


def _csv_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _csv_dicts(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _truth(root: Path) -> dict[tuple[str, str, str], str]:
    with open(root / "_ground_truth" / "records.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows, "records.csv is empty"
    return {(r["source"], r["source_table"], r["source_record_id"]): r["person_id"] for r in rows}


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("landing")
    stats = generate(out, customers=200, seed=7, end_date=END)
    return out, stats


# ------------------------------------------------------------------------------------------ determinism
def test_same_seed_is_byte_identical_and_other_seed_differs(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    sa = generate(a, customers=120, seed=3, end_date=END, days=400)
    sb = generate(b, customers=120, seed=3, end_date=END, days=400)
    generate(c, customers=120, seed=4, end_date=END, days=400)
    ha, hb, hc = _hash_tree(a), _hash_tree(b), _hash_tree(c)
    assert ha == hb
    assert sa.noise == sb.noise and sa.files == sb.files
    assert "pos/pos.sqlite" in ha and "_ground_truth/records.csv" in ha
    assert ha != hc
    assert ha["shop/customers.jsonl"] != hc["shop/customers.jsonl"]


def test_rerun_wipes_previous_output(tmp_path):
    generate(tmp_path, customers=60, seed=1, end_date=END, days=120)
    stray = tmp_path / "web" / "events" / "1999-01-01.jsonl"
    stray.write_text("{}\n")
    keep = tmp_path / "unrelated.txt"
    keep.write_text("keep me")
    generate(tmp_path, customers=60, seed=1, end_date=END, days=120)
    assert not stray.exists()
    assert keep.exists()


# ------------------------------------------------------------------------------------------ noise
def test_noise_rates_match_config(tmp_path):
    cfg = NoiseConfig(
        email_case_whitespace=0.1, phone_format=0.3, name_typo=0.08, second_email=0.15, household=0.2,
        shared_device=0.1, late_identification=0.3, test_accounts=0.02, junk_values=0.05, duplicate_events=0.03,
        late_events=0.04, malformed_rows=0.01, changed_phone=0.1,
    )
    stats = generate(tmp_path, customers=500, seed=11, end_date=END, noise=cfg, days=365)
    for kind in NoiseConfig.kinds():
        rate = getattr(cfg, kind)
        n = stats.noise_opportunities[kind]
        assert n >= 100, (kind, n)
        observed = stats.noise[kind] / n
        if kind == "household":
            tol = 0.08  # households come in groups of 2-4
        else:
            tol = 4 * math.sqrt(rate * (1 - rate) / n) + 0.005
        assert abs(observed - rate) <= tol, (kind, observed, rate, n)
    assert stats.people_by_kind["test"] == 10

    # cross-check counters against what is actually in the files
    web_bad = web_valid = 0
    web_ids: dict[str, bool] = {}
    late = 0
    for f in sorted((tmp_path / "web" / "events").glob("*.jsonl")):
        for ev, _ in _jsonl(f):
            if ev is None:
                web_bad += 1
                continue
            web_valid += 1
            web_ids[ev["messageId"]] = True
            if _ts(ev["receivedAt"]) - _ts(ev["timestamp"]) >= 86400:
                late += 1
    assert web_bad == stats.malformed["web"]
    assert web_valid - len(web_ids) == stats.duplicates["web"]
    assert late >= stats.noise["late_events"] > 0

    esp_bad = esp_valid = 0
    esp_ids: dict[str, bool] = {}
    for f in sorted((tmp_path / "esp" / "events").glob("*.jsonl")):
        for ev, _ in _jsonl(f):
            if ev is None:
                esp_bad += 1
            else:
                esp_valid += 1
                esp_ids[ev["event_id"]] = True
    assert esp_bad == stats.malformed["esp"]
    assert esp_valid - len(esp_ids) == stats.duplicates["esp"]

    short_crm = sum(1 for f in (tmp_path / "crm").glob("*.csv") for row in _csv_rows(f)[1:]
                    if len(row) != len(CRM_HEADER))
    assert short_crm == stats.malformed["crm"]
    short_loy = sum(1 for f in (tmp_path / "loyalty").glob("*.csv") for row in _csv_rows(f)[1:]
                    if len(row) != len(LOYALTY_HEADER))
    assert short_loy == stats.malformed["loyalty"]
    no_id = sum(1 for f in (tmp_path / "support").glob("*.json") for t in json.loads(f.read_text()) if "id" not in t)
    assert no_id == stats.malformed["support"]
    con = sqlite3.connect(tmp_path / "pos" / "pos.sqlite")
    bad_ts = sum(1 for (ts,) in con.execute("SELECT created_at FROM receipts") if not _is_local_iso(ts))
    con.close()
    assert bad_ts == stats.malformed["pos"]


def _ts(iso: str) -> float:
    from datetime import datetime
    return datetime.fromisoformat(iso).timestamp()


def _is_local_iso(ts: str) -> bool:
    from datetime import datetime
    try:
        dt = datetime.fromisoformat(ts)
    except ValueError:
        return False
    return dt.tzinfo is not None and len(ts) == 25


def test_no_noise_is_clean(tmp_path):
    stats = generate(tmp_path, customers=200, seed=5, end_date=END, noise=NoiseConfig.none(), days=365)
    assert sum(stats.noise.values()) == 0
    assert sum(stats.malformed.values()) == 0 and sum(stats.duplicates.values()) == 0
    assert stats.people_by_kind.get("test", 0) == 0
    junk = {"test@test.com", "n/a", "null", "000000", "noreply@shop.example", "-", ""}
    ids: dict[str, bool] = {}
    for f in sorted((tmp_path / "web" / "events").glob("*.jsonl")):
        for ev, _ in _jsonl(f):
            assert ev is not None
            assert ev["messageId"] not in ids
            ids[ev["messageId"]] = True
            assert ev["receivedAt"][:10] == f.stem
            assert ev["timestamp"][:10] in (f.stem, _prev_day(f.stem))  # no late events
    for ev, _ in _jsonl(tmp_path / "shop" / "customers.jsonl"):
        assert ev["email"] == ev["email"].strip().lower()
        assert ev["phone"] is None or ev["phone"].startswith("+")
    for f in (tmp_path / "crm").glob("*.csv"):
        for row in _csv_dicts(f):
            assert row["Email"] not in junk
            assert row["Phone Number"] == "" or row["Phone Number"].startswith("+")
    for f in (tmp_path / "loyalty").glob("*.csv"):
        for row in _csv_dicts(f):
            assert row["phone"].startswith("+")
    con = sqlite3.connect(tmp_path / "pos" / "pos.sqlite")
    for (email,) in con.execute("SELECT ereceipt_email FROM receipts WHERE ereceipt_email IS NOT NULL"):
        assert "@" in email and email == email.strip().lower()
    con.close()


def _prev_day(day: str) -> str:
    from datetime import timedelta
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


# ------------------------------------------------------------------------------------------ ground truth
def test_ground_truth_covers_every_record(default_run):
    out, stats = default_run
    truth = _truth(out)
    people = {r["person_id"]: r for r in _csv_dicts(out / "_ground_truth" / "people.csv")}
    assert set(truth.values()) <= set(people)
    assert {r["kind"] for r in people.values()} == {"customer", "visitor", "test"}
    assert sum(r["kind"] == "customer" for r in people.values()) == 200
    assert stats.ground_truth_records == len(truth)

    for ev, _ in _jsonl(out / "shop" / "customers.jsonl"):
        assert ("shop", "customers", str(ev["id"])) in truth
    for ev, _ in _jsonl(out / "shop" / "orders.jsonl"):
        pid = truth[("shop", "orders", str(ev["id"]))]
        if ev["customer"] is not None:
            assert truth[("shop", "customers", str(ev["customer"]["id"]))] == pid
    web_people: dict[str, set] = {}
    for f in sorted((out / "web" / "events").glob("*.jsonl")):
        for ev, _ in _jsonl(f):
            if ev is None:
                continue
            pid = truth[("web", "events", ev["messageId"])]
            if ev["userId"] is not None:
                assert truth[("shop", "customers", ev["userId"])] == pid
                web_people.setdefault(ev["userId"], set()).add(pid)
    assert all(len(v) == 1 for v in web_people.values())
    for ev, _ in _jsonl(out / "esp" / "subscribers.jsonl"):
        assert ("esp", "subscribers", ev["subscriber_id"]) in truth
    subs = {k[2]: v for k, v in truth.items() if k[:2] == ("esp", "subscribers")}
    for f in sorted((out / "esp" / "events").glob("*.jsonl")):
        for ev, _ in _jsonl(f):
            if ev is not None:
                assert truth[("esp", "events", ev["event_id"])] == subs[ev["subscriber_id"]]
    for f in (out / "support").glob("*.json"):
        for t in json.loads(f.read_text()):
            if "id" in t:
                assert ("support", "tickets", str(t["id"])) in truth
    for f in (out / "crm").glob("*.csv"):
        for row in _csv_rows(f):
            if len(row) == len(CRM_HEADER) and row[0] != "Contact ID":
                assert ("crm", "contacts", row[0]) in truth
    for f in (out / "loyalty").glob("*.csv"):
        for row in _csv_rows(f):
            if len(row) == len(LOYALTY_HEADER) and row[0] != "card_number":
                assert ("loyalty", "members", row[0]) in truth
    con = sqlite3.connect(out / "pos" / "pos.sqlite")
    for rid, card, email in con.execute("SELECT receipt_id, loyalty_card_number, ereceipt_email FROM receipts"):
        assert (("pos", "receipts", rid) in truth) == (card is not None or email is not None)
    con.close()


def test_order_completed_matches_shop_orders(default_run):
    out, _ = default_run
    orders = {str(ev["id"]): ev for ev, _ in _jsonl(out / "shop" / "orders.jsonl")}
    completed = 0
    for f in sorted((out / "web" / "events").glob("*.jsonl")):
        for ev, _ in _jsonl(f):
            if ev and ev.get("event") == "Order Completed":
                o = orders[ev["properties"]["order_id"]]
                assert ev["properties"]["currency"] == o["currency"]
                assert abs(ev["properties"]["revenue"] - float(o["total_price"])) < 0.005
                completed += 1
    assert completed >= 0.8 * len(orders)


# ------------------------------------------------------------------------------------------ shapes
def test_web_events_shape(default_run):
    out, stats = default_run
    files = sorted((out / "web" / "events").glob("*.jsonl"))
    assert files and len(files) == stats.file_count("web")
    types, events = set(), set()
    bad = 0
    for f in files:
        for ev, line in _jsonl(f):
            if ev is None:
                bad += 1
                assert line.startswith("{")
                continue
            for k in SEGMENT_FIELDS:
                assert k in ev, (k, line)
            assert ev["receivedAt"][:10] == f.stem
            assert ev["receivedAt"].endswith("Z") and ev["timestamp"] <= ev["receivedAt"]
            assert ev["userId"] is None or isinstance(ev["userId"], str)
            ctx = ev["context"]
            assert {"ip", "userAgent", "locale"} <= set(ctx)
            types.add(ev["type"])
            if ev["type"] == "track":
                events.add(ev["event"])
                assert isinstance(ev["properties"], dict)
            elif ev["type"] == "identify":
                assert set(ev["traits"]) == {"email", "phone", "first_name", "last_name"}
            elif ev["type"] in ("page", "screen"):
                assert ev["name"]
                assert ("page" in ctx) == (ev["type"] == "page")
                if ev["type"] == "screen":
                    assert set(ctx["device"]) == {"id", "type"}
            elif ev["type"] == "alias":
                assert ev["previousId"] == ev["anonymousId"] and ev["userId"]
    assert bad == stats.malformed["web"]
    assert types == {"track", "identify", "page", "screen", "alias"}
    assert {"Product Viewed", "Product Added", "Cart Viewed", "Checkout Started", "Order Completed", "Signed Up",
            "Signed In"} <= events
    assert 20 <= stats.records["web/events"] / 200 <= 50


def test_pos_sqlite_shape(default_run):
    out, _ = default_run
    con = sqlite3.connect(out / "pos" / "pos.sqlite")
    cols = {t: [r[1] for r in con.execute(f"PRAGMA table_info({t})")] for t in ("stores", "receipts", "receipt_lines")}
    assert cols["stores"] == ["store_id", "name", "country_code", "city", "timezone"]
    assert cols["receipts"] == ["receipt_id", "store_id", "register_id", "receipt_type", "loyalty_card_number",
                                "ereceipt_email", "currency", "total_amount_minor", "payment_method", "created_at",
                                "updated_at"]
    assert cols["receipt_lines"] == ["line_id", "receipt_id", "line_no", "sku", "quantity", "unit_price_minor",
                                     "line_total_minor", "updated_at"]
    for rtype, total in con.execute("SELECT receipt_type, total_amount_minor FROM receipts"):
        assert rtype in ("sale", "return")
        assert (total < 0) == (rtype == "return")
    mism = con.execute("""SELECT count(*) FROM receipts r JOIN (SELECT receipt_id, sum(line_total_minor) s
                          FROM receipt_lines GROUP BY 1) l USING (receipt_id) WHERE l.s != r.total_amount_minor""")
    assert mism.fetchone()[0] == 0
    con.close()


def test_csv_headers_and_other_sources(default_run):
    out, stats = default_run
    crm = sorted((out / "crm").glob("contacts_export_*.csv"))
    loyalty = sorted((out / "loyalty").glob("members_*.csv"))
    assert crm and loyalty
    for f in crm:
        assert _csv_rows(f)[0] == CRM_HEADER
    for f in loyalty:
        rows = list(_csv_rows(f))
        assert rows[0] == LOYALTY_HEADER
        assert all(r[5] in ("bronze", "silver", "gold", "platinum") for r in rows[1:] if len(r) == 11)
    with open(out / "_ground_truth" / "records.csv", encoding="utf-8") as fh:
        assert fh.readline().strip() == "source,source_table,source_record_id,person_id"
    with open(out / "_ground_truth" / "people.csv", encoding="utf-8") as fh:
        assert fh.readline().strip() == "person_id,kind,country,household_id"

    products = json.loads((out / "catalog" / "products.json").read_text())
    assert len(products) == 300
    assert set(products[0]) == {"sku", "name", "category", "brand", "price", "stock", "is_active", "updated_at"}
    assert products[0]["price"]["currency"] == "EUR"

    cust = [ev for ev, _ in _jsonl(out / "shop" / "customers.jsonl")]
    assert set(cust[0]) == {"id", "email", "phone", "first_name", "last_name", "accepts_marketing",
                            "accepts_marketing_updated_at", "created_at", "updated_at", "currency", "tags", "state",
                            "default_address", "addresses"}
    for c in cust:
        assert c["updated_at"] >= c["created_at"]
    orders = [ev for ev, _ in _jsonl(out / "shop" / "orders.jsonl")]
    assert [o["id"] for o in orders] == sorted(o["id"] for o in orders)
    for o in orders:
        assert o["updated_at"] >= o["created_at"]
        assert o["financial_status"] in ("paid", "refunded", "partially_refunded", "pending")
        assert o["source_name"] in ("web", "app")
        for r in o["refunds"]:
            assert r["order_id"] == o["id"]
    assert {o["currency"] for o in orders} <= {"EUR", "PLN", "DKK", "GBP", "USD"}

    subs = [ev for ev, _ in _jsonl(out / "esp" / "subscribers.jsonl")]
    assert {s["status"] for s in subs} <= {"subscribed", "unsubscribed", "cleaned", "pending"}
    for f in (out / "support").glob("tickets_*.json"):
        for t in json.loads(f.read_text()):
            assert set(t["requester"]) == {"email", "phone", "name"}
            assert t["created_at"][:7].replace("-", "") == f.stem.split("_")[1]
    assert stats.file_count("support") == len(list((out / "support").glob("*.json")))


def test_end_date_defaults_to_today(tmp_path):
    stats = generate(tmp_path, customers=30, seed=2, days=60)
    from datetime import datetime
    assert stats.end_date == datetime.now(UTC).date().isoformat()


def test_noise_config_none_and_replace():
    z = NoiseConfig.none()
    assert all(getattr(z, k) == 0 for k in NoiseConfig.kinds())
    assert replace(z, name_typo=0.5).name_typo == 0.5
    assert NoiseConfig().duplicate_events > 0


def test_day_files_spill_gives_same_output(tmp_path):
    import random

    from cdp.generate.io import DayFiles

    rng = random.Random(1)
    items = [(f"2026-01-0{rng.randint(1, 3)}", rng.randint(0, 10**12), f'{{"n":{i}}}') for i in range(500)]
    outs = []
    for spill in (10**9, 200):
        folder = tmp_path / str(spill)
        df = DayFiles(folder, spill_bytes=spill)
        for day, key, line in items:
            df.add(day, key, line)
        counts = df.close()
        assert sum(counts.values()) == 500
        assert not (folder / ".spill").exists()
        outs.append(_hash_tree(folder))
    assert outs[0] == outs[1]


def test_fuzzy_duplicates_share_no_clean_identifier(tmp_path):
    """Noise kind fuzzy_duplicate: an extra CRM contact per chosen customer that shares no clean identifier
    with the person's other records: an email one edit away, a phone with two digits transposed, a nickname
    or a new address with the same birth date. Ground truth names the person; the rest of the data set is
    the same as without it."""
    cfg = NoiseConfig(fuzzy_duplicate=0.2)
    stats = generate(tmp_path / "on", customers=300, seed=21, end_date=END, noise=cfg, days=365)
    off = generate(tmp_path / "off", customers=300, seed=21, end_date=END, noise=NoiseConfig(fuzzy_duplicate=0.0),
                   days=365)
    n = stats.noise["fuzzy_duplicate"]
    assert n > 20 and abs(stats.noise_rate("fuzzy_duplicate") - 0.2) < 0.08
    assert off.noise["fuzzy_duplicate"] == 0
    truth = _truth(tmp_path / "on")

    def contacts(folder):
        rows = {}
        for f in sorted((folder / "crm").glob("*.csv")):
            with open(f, encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    rows[row["Contact ID"]] = row
        return rows

    def digits(phone):
        return "".join(ch for ch in phone if ch.isdigit())[-8:]

    on, base = contacts(tmp_path / "on"), contacts(tmp_path / "off")
    extra = {k: v for k, v in on.items() if k not in base}
    assert len(extra) == n
    assert all(on[k] == base[k] for k in base)  # nothing else changed
    own: dict[str, dict[str, set]] = {}
    for k, row in base.items():
        pid = truth.get(("crm", "contacts", k))
        if pid:
            mine = own.setdefault(pid, {"email": set(), "phone": set(), "dob": set(), "postcode": set()})
            mine["email"].add(row["Email"].strip().lower())
            mine["phone"] |= {digits(row[c]) for c in ("Phone Number", "Mobile Phone Number") if row[c]}
            mine["dob"].add(row["Date of Birth"])
            mine["postcode"].add(row["Postal Code"])
    kinds = {"email": 0, "phone": 0, "no_contact_with_birth_date": 0, "moved": 0}
    for k, row in extra.items():
        pid = truth[("crm", "contacts", k)]
        mine = own.get(pid, {"email": set(), "phone": set(), "dob": set(), "postcode": set()})
        assert row["Email"] == "" or row["Email"] not in mine["email"]
        assert row["Mobile Phone Number"] == "" or digits(row["Mobile Phone Number"]) not in mine["phone"]
        assert row["Phone Number"] == ""
        kinds["email"] += row["Email"] != ""
        kinds["phone"] += row["Mobile Phone Number"] != ""
        if not row["Email"] and not row["Mobile Phone Number"]:
            assert row["Date of Birth"] or row["Postal Code"]
            kinds["no_contact_with_birth_date"] += row["Date of Birth"] != ""
        if row["Date of Birth"] in mine["dob"] and row["Postal Code"] and mine["postcode"] - {""} \
                and row["Postal Code"] not in mine["postcode"]:
            kinds["moved"] += 1  # same birth date, another postcode than the person's other contacts
    assert all(v > 0 for v in kinds.values()), kinds


def test_birth_dates_and_addresses_are_consistent_per_person(tmp_path):
    """CRM contacts and loyalty members of one person agree on the birth date (one per person, an adult's);
    the CRM contact's postal code and city agree with the shop account's default address."""
    generate(tmp_path, customers=200, seed=5, end_date=END, noise=NoiseConfig.none(), days=365)
    truth = _truth(tmp_path)
    dob: dict[str, set] = {}
    postcode: dict[str, set] = {}
    for f in sorted((tmp_path / "crm").glob("*.csv")):
        for row in csv.DictReader(open(f, encoding="utf-8")):
            pid = truth[("crm", "contacts", row["Contact ID"])]
            if row["Date of Birth"]:
                dob.setdefault(pid, set()).add(row["Date of Birth"])
            if row["Postal Code"]:
                postcode.setdefault(pid, set()).add((row["Postal Code"], row["City"]))
    for f in sorted((tmp_path / "loyalty").glob("*.csv")):
        for row in csv.DictReader(open(f, encoding="utf-8")):
            pid = truth[("loyalty", "members", row["card_number"])]
            if row["birth_date"]:
                dob.setdefault(pid, set()).add(row["birth_date"])
    assert len(dob) > 25 and all(len(v) == 1 for v in dob.values())
    years = [int(next(iter(v))[:4]) for v in dob.values()]
    assert min(years) >= END.year - 86 and max(years) <= END.year - 18
    shop = {}
    for line in open(tmp_path / "shop" / "customers.jsonl", encoding="utf-8"):
        c = json.loads(line)
        shop[truth[("shop", "customers", str(c["id"]))]] = (c["default_address"]["zip"], c["default_address"]["city"])
    both = [pid for pid in postcode if pid in shop]
    assert len(both) > 10 and all(postcode[pid] == {shop[pid]} for pid in both)
