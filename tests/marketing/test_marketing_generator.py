"""The generator's ad platforms agree with the web landings they paid for, and leads are real people."""

import csv
import json
from collections import Counter
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest

from cdp.generate import generate
from cdp.generate.marketing import GOOGLE_HEADER


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    stats = generate(out, customers=200, seed=11, end_date=date(2026, 6, 1), days=120)
    return out, stats


def _landings(out) -> Counter:
    """Paid landing page events per (campaign, day) in the web files (duplicates counted once; the track
    events of a landing page carry its URL too, but only its page event is the landing)."""
    seen = {}
    for path in sorted((out / "web" / "events").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            query = parse_qs(urlparse(((event.get("context") or {}).get("page") or {}).get("url") or "").query)
            if event.get("type") == "page" and ("gclid" in query or "fbclid" in query):
                seen[event["messageId"]] = (query["utm_campaign"][0], event["timestamp"][:10])
    return Counter(seen.values())


def test_platforms_report_at_least_the_clicks_the_site_saw(landing):
    out, _ = landing
    site = _landings(out)
    assert site
    platform: Counter = Counter()
    for path in (out / "ads" / "google_ads").glob("campaign_report_*.csv"):
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            assert tuple(next(reader)) == GOOGLE_HEADER
            for r in reader:
                platform[(r[1], r[3])] += int(r[6])
    for line in (out / "ads" / "meta" / "insights.jsonl").read_text().splitlines():
        r = json.loads(line)
        platform[(r["campaign_name"], r["date_start"])] += int(r["clicks"])
    short = {key: (n, platform[key]) for key, n in site.items() if platform[key] < n}
    assert not short, f"campaign-days with fewer platform clicks than landings: {list(short.items())[:5]}"


def test_spend_stays_within_the_daily_budget_and_meta_bills_in_its_account_currency(landing):
    out, _ = landing
    rows = [json.loads(line) for line in (out / "ads" / "meta" / "insights.jsonl").read_text().splitlines()]
    assert {r["account_currency"] for r in rows} == {"DKK"}
    assert all(float(r["spend"]) >= 0 and int(r["clicks"]) <= int(r["impressions"]) for r in rows)


def test_every_announced_lead_is_a_person_and_in_the_lead_store(landing):
    out, stats = landing
    lines = (out / "social" / "leads.jsonl").read_text().splitlines()
    leads = {json.loads(line)["id"]: json.loads(line) for line in lines}
    with open(out / "_ground_truth" / "records.csv", encoding="utf-8", newline="") as fh:
        truth = {r["source_record_id"]: r["person_id"] for r in csv.DictReader(fh) if r["source"] == "social"}
    assert truth and set(truth) <= set(leads)
    announced = set()
    for path in (out / "social" / "webhooks").glob("*.jsonl"):
        for line in path.read_text().splitlines():
            try:
                body = json.loads(line)
            except json.JSONDecodeError:
                continue
            announced |= {c["value"]["leadgen_id"] for e in body["entry"] for c in e["changes"]}
    assert set(truth) <= announced
    assert stats.records["social/leads"] == len(leads)
    for lead in leads.values():
        assert {f["name"] for f in lead["field_data"]} >= {"email", "full_name"}
        assert lead["campaign_name"].startswith("leadgen_")
