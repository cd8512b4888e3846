"""Paid campaigns and lead ads: the ad platforms' side of the demo (see docs/data-contracts.md).

The web writer's paid landings (Google `brand_<country>` search ads, Instagram `lookbook_<country>`
ads) carry a click id (`gclid` / `fbclid`) and are counted here per campaign and day (`ClickLog`).
The ad platforms then report at least those clicks, plus the clicks the site never saw (bounces before
the tracker loaded), with impressions and spend capped by the campaign's daily budget:

- `ads/meta/insights.jsonl`: the Meta ad account's daily ad-level insights, as the Marketing API returns
  them; the local Meta API (`cdp/local_apis/meta.py`) serves them.
- `ads/google_ads/campaign_report_<YYYYMM>.csv`: a monthly Google Ads campaign report export (GAQL field
  names, cost in micros of the account currency).
- `social/leads.jsonl`: the Lead Ads leads the Meta API answers by id, and `social/webhooks/<day>.jsonl`:
  the `leadgen` webhook notifications that announce them (at least once; some malformed; a few announce a
  lead deleted since).

Everything draws from its own random streams, after every other source is written, so adding it changed
no other source's output except the click ids on paid landing URLs.
"""

from __future__ import annotations

import csv
import random
import string
from dataclasses import dataclass

from . import reference as R
from .io import DayFiles, dumps
from .timeutil import DAY, day_str, ymd

META_ACCOUNT_ID = "1029384756"
META_ACCOUNT_CURRENCY = "DKK"
META_PAGE_ID = "104857600123"
GOOGLE_CUSTOMER_CURRENCY = "EUR"
# (utm source, utm medium) of the paid landings the web writer tags with a click id
PAID_LANDINGS = {("google", "cpc"): "google", ("instagram", "social"): "meta"}
_B64 = string.ascii_letters + string.digits + "-_"


@dataclass(frozen=True)
class Ad:
    ad_id: str
    name: str


@dataclass(frozen=True)
class AdCampaign:
    platform: str  # meta | google
    campaign_id: str
    name: str  # what the landing URL's utm_campaign says
    country: str
    objective: str
    adset_id: str
    adset_name: str
    ads: tuple[Ad, ...]
    form_id: str | None  # lead ads only
    daily_budget_cents: int  # account currency
    cpc_cents: int  # typical cost per click, account currency


def plan_campaigns(seed: int) -> list[AdCampaign]:
    """Per country: a Google brand search campaign, an Instagram lookbook (traffic) and a lead ad campaign."""
    rng = random.Random(f"{seed}:ads_plan")
    out = []
    for country in R.COUNTRIES:
        c = country.lower()
        specs = (
            ("google", f"brand_{c}", "SEARCH", None, rng.randint(40, 90) * 100, rng.randint(35, 70)),
            ("meta", f"lookbook_{c}", "OUTCOME_TRAFFIC", None, rng.randint(300, 700) * 100, rng.randint(250, 450)),
            ("meta", f"leadgen_{c}", "OUTCOME_LEADS", str(rng.randint(10**14, 10**15 - 1)),
             rng.randint(150, 400) * 100, rng.randint(300, 600)),
        )
        for platform, name, objective, form_id, budget, cpc in specs:
            if platform == "google":
                cid, adset = str(rng.randint(10**9, 10**10 - 1)), str(rng.randint(10**10, 10**11 - 1))
                ads = (Ad(str(rng.randint(10**11, 10**12 - 1)), f"{name} rsa"),)
            else:
                cid = f"2385{rng.randint(10**13, 10**14 - 1)}"
                adset = f"2385{rng.randint(10**13, 10**14 - 1)}"
                ads = tuple(Ad(f"2385{rng.randint(10**13, 10**14 - 1)}", f"{name} {v}") for v in ("carousel", "reel"))
            out.append(AdCampaign(platform, cid, name, country, objective, adset, f"{name} {country} 25-54",
                                  ads, form_id, budget, cpc))
    return out


class ClickLog:
    """Click ids for paid landings, counted per (campaign name, day) and whether the session bought."""

    def __init__(self, seed: int):
        self.rng = random.Random(f"{seed}:ad_clicks")
        self.clicks: dict[tuple[str, int], int] = {}
        self.purchases: dict[tuple[str, int], int] = {}

    def click_id(self, source: str, medium: str, campaign: str, ts_s: int, purchase: bool) -> tuple[str, str] | None:
        """The click-id URL parameter of a landing from `source`/`medium`, or None for unpaid traffic."""
        platform = PAID_LANDINGS.get((source, medium))
        if platform is None:
            return None
        key = (campaign, ts_s // DAY)
        self.clicks[key] = self.clicks.get(key, 0) + 1
        if purchase:
            self.purchases[key] = self.purchases.get(key, 0) + 1
        choice = self.rng.choice
        if platform == "google":
            return "gclid", "Cj0KCQ" + "".join(choice(_B64) for _ in range(44))
        return "fbclid", "IwAR" + "".join(choice(_B64) for _ in range(56))


@dataclass
class Lead:
    lead_id: str
    person_id: str
    ts: int
    campaign: AdCampaign
    ad: Ad
    email: str
    phone: str | None
    full_name: str
    consent: bool
    platform: str


def plan_leads(world, campaigns: list[AdCampaign], seed: int) -> list[Lead]:
    """Lead-form fills: some people leave their details on a lead ad before their first order, others
    never buy. The form is the lead campaign of the person's country."""
    rng = random.Random(f"{seed}:leads")
    by_country = {c.country: c for c in campaigns if c.form_id is not None}
    leads = []
    for p in world.people:
        if p.kind != "customer" or not p.email:
            continue
        if p.orders:
            first = min(o.ts for o in p.orders)
            if rng.random() >= 0.06:
                continue
            ts = first - rng.randint(1, 45) * DAY - rng.randint(0, DAY - 1)
        else:
            if rng.random() >= 0.08:
                continue
            ts = rng.randint(world.W0, world.E - 1)
        if not world.W0 <= ts < world.E - 3600:
            continue
        campaign = by_country[p.country]
        email = p.email if rng.random() > 0.05 else p.email.upper()
        phone = p.phone_at(ts)
        leads.append(Lead(
            lead_id=str(rng.randint(10**14, 10**15 - 1)), person_id=p.person_id, ts=ts, campaign=campaign,
            ad=rng.choice(campaign.ads), email=email,
            phone=phone.e164 if phone is not None and rng.random() < 0.7 else None,
            full_name=f"{p.first_name} {p.last_name}", consent=rng.random() < 0.6,
            platform="ig" if rng.random() < 0.55 else "fb"))
    leads.sort(key=lambda lead: (lead.ts, lead.lead_id))
    return leads


def _meta_ts(ts: int) -> str:
    """Graph API timestamps: `2026-03-01T12:34:56+0000`."""
    d = ts // DAY
    y, m, dd = ymd(d)
    r = ts - d * DAY
    return f"{y:04d}-{m:02d}-{dd:02d}T{r // 3600:02d}:{r % 3600 // 60:02d}:{r % 60:02d}+0000"


def _daily_metrics(rng: random.Random, campaign: AdCampaign, site_clicks: int, leads: int) -> tuple[int, int, int]:
    """(impressions, clicks, spend in cents) of one campaign-day: the platform counts every click the site
    saw and those it did not; spend stops at the daily budget."""
    if campaign.form_id is not None:
        clicks = leads * rng.randint(3, 6) + rng.randint(0, 4)
    else:
        clicks = site_clicks + round(site_clicks * rng.uniform(0.1, 0.35)) + rng.randint(0, 1)
    impressions = clicks * rng.randint(40, 110) + rng.randint(80, 600)
    spend = round(clicks * campaign.cpc_cents * rng.uniform(0.8, 1.2) + impressions * rng.uniform(0.0, 0.4))
    return impressions, clicks, min(spend, campaign.daily_budget_cents)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def write_ads(ctx, campaigns: list[AdCampaign], clicks: ClickLog, leads: list[Lead]) -> None:
    w = ctx.world
    rng = random.Random(f"{ctx.seed}:ads")
    day0, day_end = w.W0 // DAY, w.E // DAY
    leads_per_day: dict[tuple[str, int], int] = {}
    for lead in leads:
        key = (lead.campaign.name, lead.ts // DAY)
        leads_per_day[key] = leads_per_day.get(key, 0) + 1

    meta_dir = ctx.out / "ads" / "meta"
    meta_dir.mkdir(parents=True, exist_ok=True)
    n_meta = 0
    with open(meta_dir / "insights.jsonl", "w", encoding="utf-8", newline="\n") as fh:
        for d in range(day0, day_end):
            for c in campaigns:
                if c.platform != "meta":
                    continue
                impressions, n_clicks, spend = _daily_metrics(
                    rng, c, clicks.clicks.get((c.name, d), 0), leads_per_day.get((c.name, d), 0))
                n_leads = leads_per_day.get((c.name, d), 0)
                # split the campaign's day over its ads
                share = rng.uniform(0.3, 0.7)
                parts = [share, 1 - share][: len(c.ads)]
                for i, ad in enumerate(c.ads):
                    last = i == len(c.ads) - 1
                    ad_impr = impressions - sum(round(impressions * s) for s in parts[:i]) if last \
                        else round(impressions * parts[i])
                    ad_clicks = n_clicks - sum(round(n_clicks * s) for s in parts[:i]) if last \
                        else round(n_clicks * parts[i])
                    ad_spend = spend - sum(round(spend * s) for s in parts[:i]) if last else round(spend * parts[i])
                    ad_leads = n_leads - sum(round(n_leads * s) for s in parts[:i]) if last \
                        else round(n_leads * parts[i])
                    if ad_impr <= 0:
                        continue
                    actions = [{"action_type": "link_click", "value": str(ad_clicks)}]
                    if c.form_id is not None and ad_leads > 0:
                        actions.append({"action_type": "lead", "value": str(ad_leads)})
                    row = {"account_id": META_ACCOUNT_ID, "account_currency": META_ACCOUNT_CURRENCY,
                           "campaign_id": c.campaign_id, "campaign_name": c.name, "adset_id": c.adset_id,
                           "adset_name": c.adset_name, "ad_id": ad.ad_id, "ad_name": ad.name, "objective": c.objective,
                           "date_start": day_str(d), "date_stop": day_str(d), "impressions": str(ad_impr),
                           "clicks": str(ad_clicks), "spend": _money(ad_spend), "actions": actions}
                    fh.write(dumps(row) + "\n")
                    n_meta += 1
    ctx.file("ads", "ads/meta/insights.jsonl", n_meta)
    ctx.rec("ads/meta_insights", n_meta)

    google_dir = ctx.out / "ads" / "google_ads"
    google_dir.mkdir(parents=True, exist_ok=True)
    by_month: dict[str, list] = {}
    for d in range(day0, day_end):
        for c in campaigns:
            if c.platform != "google":
                continue
            site = clicks.clicks.get((c.name, d), 0)
            impressions, n_clicks, spend = _daily_metrics(rng, c, site, 0)
            bought = clicks.purchases.get((c.name, d), 0)
            conversions = f"{bought + rng.choice((0.0, 0.0, 0.5, 1.0)):.2f}"  # data-driven credit is fractional
            y, m, _ = ymd(d)
            by_month.setdefault(f"{y}{m:02d}", []).append(
                [c.campaign_id, c.name, "ENABLED", day_str(d), GOOGLE_CUSTOMER_CURRENCY, str(spend * 10_000),
                 str(n_clicks), str(impressions), conversions])
    n_google = 0
    for month, rows in sorted(by_month.items()):
        name = f"campaign_report_{month}.csv"
        with open(google_dir / name, "w", encoding="utf-8", newline="") as fh:
            cw = csv.writer(fh, lineterminator="\n")
            cw.writerow(GOOGLE_HEADER)
            cw.writerows(rows)
        ctx.file("ads", f"ads/google_ads/{name}", len(rows))
        n_google += len(rows)
    ctx.rec("ads/google_ads_campaigns", n_google)


GOOGLE_HEADER = ("campaign.id", "campaign.name", "campaign.status", "segments.date", "customer.currency_code",
                 "metrics.cost_micros", "metrics.clicks", "metrics.impressions", "metrics.conversions")


def lead_object(lead: Lead) -> dict:
    """A lead as `GET /{lead-id}` answers it."""
    c = lead.campaign
    field_data = [{"name": "email", "values": [lead.email]}, {"name": "full_name", "values": [lead.full_name]}]
    if lead.phone is not None:
        field_data.append({"name": "phone_number", "values": [lead.phone]})
    return {"id": lead.lead_id, "created_time": _meta_ts(lead.ts), "ad_id": lead.ad.ad_id, "ad_name": lead.ad.name,
            "adset_id": c.adset_id, "adset_name": c.adset_name, "campaign_id": c.campaign_id,
            "campaign_name": c.name, "form_id": c.form_id, "platform": lead.platform, "is_organic": False,
            "field_data": field_data,
            "custom_disclaimer_responses": [{"checkbox_key": "marketing_opt_in",
                                             "is_checked": "1" if lead.consent else ""}]}


def write_social(ctx, leads: list[Lead]) -> None:
    """The lead store (`leads.jsonl`) and the webhook deliveries announcing each lead."""
    rng = random.Random(f"{ctx.seed}:social")
    E = ctx.world.E
    folder = ctx.out / "social"
    (folder / "webhooks").mkdir(parents=True, exist_ok=True)
    days = DayFiles(folder / "webhooks")
    stored, n_notifications = 0, 0

    def notify(lead_id: str, form_id: str, ad_id: str, adset_id: str, created: int) -> tuple[int, str]:
        sent = min(created + rng.randint(1, 90), E - 1)
        value = {"ad_id": ad_id, "form_id": form_id, "leadgen_id": lead_id, "created_time": created,
                 "page_id": META_PAGE_ID, "adgroup_id": adset_id}
        body = {"object": "page", "entry": [{"id": META_PAGE_ID, "time": sent,
                                             "changes": [{"field": "leadgen", "value": value}]}]}
        return sent, dumps(body)

    with open(folder / "leads.jsonl", "w", encoding="utf-8", newline="\n") as fh:
        for lead in leads:
            fh.write(dumps(lead_object(lead)) + "\n")
            stored += 1
            sent, line = notify(lead.lead_id, lead.campaign.form_id or "", lead.ad.ad_id, lead.campaign.adset_id,
                                lead.ts)
            n_notifications += 1
            if rng.random() < 0.01:  # a broken delivery: the lead never reaches the CDP
                days.add(day_str(sent // DAY), sent, line[: rng.randint(10, len(line) - 5)])
                continue
            days.add(day_str(sent // DAY), sent, line)
            ctx.truth.add("social", "leads", lead.lead_id, lead.person_id)
            if rng.random() < 0.02:  # webhooks are delivered at least once
                days.add(day_str(sent // DAY), sent + 5, line)
                n_notifications += 1
            if rng.random() < 0.01:  # a lead deleted by the page admin before it was fetched
                c = lead.campaign
                gone = str(rng.randint(10**14, 10**15 - 1))
                s2, l2 = notify(gone, c.form_id or "", lead.ad.ad_id, c.adset_id, lead.ts + 60)
                days.add(day_str(s2 // DAY), s2, l2)
                n_notifications += 1
    ctx.file("social", "social/leads.jsonl", stored)
    for name, n in days.close().items():
        ctx.file("social", f"social/webhooks/{name}", n)
    ctx.rec("social/leads", stored)
    ctx.rec("social/webhook_notifications", n_notifications)
