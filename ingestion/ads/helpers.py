"""Paging, validation and restatement handling for the ads source (Meta insights, Google Ads reports)."""

import csv
import hashlib
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import dlt

from cdp.errors import IngestionError
from ingestion.ads import settings
from ingestion.common import TableCounts, finish
from ingestion.common import graph_api as graph
from ingestion.common.files import new_landing_files, remember_landing_file

log = logging.getLogger(__name__)

_DIGITS = re.compile(r"^[0-9]+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")

# -- Meta insights ----------------------------------------------------------------------------------


def insight_ranges(last_date: date | None, today: date) -> list[tuple[date, date]]:
    """The (since, until) chunks to ask for: from the restatement window before `last_date` (or as far
    back as the API keeps) to today, in chunks of at most `CHUNK_DAYS`."""
    if last_date is None:
        since = today - timedelta(days=settings.INITIAL_LOOKBACK_DAYS)
    else:
        since = min(last_date, today) - timedelta(days=settings.RESTATEMENT_DAYS)
    ranges = []
    while since <= today:
        until = min(since + timedelta(days=settings.CHUNK_DAYS - 1), today)
        ranges.append((since, until))
        since = until + timedelta(days=1)
    return ranges


def iter_insight_pages(
    base_url: str, access_token: str, account_id: str, since: date, until: date
) -> Iterator[list[Any]]:
    """Every page of daily ad-level insights of `act_<account_id>` in [since, until], following `paging.next`."""
    url: str | None = f"{base_url.rstrip('/')}/{settings.API_VERSION}/act_{account_id}/insights"
    params: dict[str, Any] | None = {
        "level": "ad",
        "time_increment": "1",
        "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
        "fields": ",".join(settings.INSIGHT_FIELDS),
        "limit": settings.PAGE_SIZE,
    }
    with graph.make_session(access_token) as session:
        while url:
            body = graph.get(session, url, params, "sources.ads.access_token")
            data = body.get("data")
            if not isinstance(data, list):
                raise IngestionError(f"Insights page of `act_{account_id}` has no `data` list")
            yield data
            paging = body.get("paging") or {}
            url = paging.get("next") if isinstance(paging, dict) else None
            params = None  # `next` carries every parameter and the cursor


def _count(value: Any, name: str) -> tuple[int | None, str | None]:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DIGITS.match(value):
        number = int(value)
    else:
        return None, f"`{name}` is not a count: `{value}`"
    return number, None


def prepare_insight(row: Any) -> tuple[dict[str, Any] | None, str | None]:
    """One insights row as a raw row, or None and the reason it is quarantined."""
    if not isinstance(row, dict):
        return None, "not a JSON object"
    for name in ("ad_id", "campaign_id", "account_id"):
        value = row.get(name)
        if not isinstance(value, str) or not _DIGITS.match(value):
            return None, f"`{name}` is not a numeric id: `{value}`"
    try:
        day = date.fromisoformat(str(row.get("date_start")))
    except ValueError:
        return None, f"`date_start` is not a date: `{row.get('date_start')}`"
    if row.get("date_stop") != row.get("date_start"):
        return None, f"not a daily row: `date_stop` `{row.get('date_stop')}` differs from `date_start`"
    currency = row.get("account_currency")
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        return None, f"`account_currency` is not an ISO 4217 code: `{currency}`"
    try:
        spend = Decimal(str(row.get("spend")))
    except InvalidOperation:
        return None, f"`spend` is not a decimal amount: `{row.get('spend')}`"
    if not spend.is_finite() or spend < 0:
        return None, f"`spend` is not a non-negative amount: `{row.get('spend')}`"
    clean: dict[str, Any] = {name: row.get(name) for name in (
        "ad_id", "account_id", "account_currency", "campaign_id", "campaign_name", "adset_id", "adset_name",
        "ad_name", "objective")}
    clean["date_start"] = day
    clean["spend"] = str(spend)
    for name in ("impressions", "clicks"):
        clean[name], problem = _count(row.get(name), name)
        if problem:
            return None, problem
    actions = row.get("actions") or []
    if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
        return None, "`actions` is not a list of objects"
    for column in settings.ACTION_COLUMNS.values():
        clean[column] = 0
    for action in actions:
        column = settings.ACTION_COLUMNS.get(action.get("action_type"))
        if column is not None:
            clean[column], problem = _count(action.get("value"), f"actions.{action.get('action_type')}")
            if problem:
                return None, problem
    clean["actions_json"] = json.dumps(actions, separators=(",", ":"))
    return clean, None


def _row_hash(clean: dict[str, Any]) -> str:
    return hashlib.sha1(json.dumps(clean, sort_keys=True, default=str).encode()).hexdigest()


def read_meta_insights(base_url: str, access_token: str, account_id: str, today: date | None = None) -> Iterator[Any]:
    """New and restated insights rows since the last run, then the quarantine and the counts.

    State: `last_date`, the newest day loaded, and `row_hashes`, the content of each (ad, day) loaded in
    the restatement window: a re-read row whose figures did not change is a duplicate, not a load.
    """
    state = dlt.current.resource_state()
    today = today or datetime.now(UTC).date()
    last = state.get("last_date")
    last_date = date.fromisoformat(last) if last else None
    hashes: dict[str, str] = state.setdefault("row_hashes", {})
    counts = TableCounts(settings.SOURCE_NAME, settings.META_TABLE)
    newest = last_date
    ranges = insight_ranges(last_date, today)
    for since, until in ranges:
        for page in iter_insight_pages(base_url, access_token, account_id, since, until):
            good = []
            for row in page:
                clean, reason = prepare_insight(row)
                if clean is None:
                    counts.reject(json.dumps(row, default=str), str(reason))
                    continue
                key = f"{clean['ad_id']}|{clean['date_start'].isoformat()}"
                digest = _row_hash(clean)
                if hashes.get(key) == digest:
                    counts.add(read=1, duplicate=1)
                    continue
                hashes[key] = digest
                good.append(clean)
                if newest is None or clean["date_start"] > newest:
                    newest = clean["date_start"]
            counts.add(read=len(good), loaded=len(good))
            if good:
                yield good
    if newest is not None:
        state["last_date"] = newest.isoformat()
        cutoff = (newest - timedelta(days=settings.RESTATEMENT_DAYS)).isoformat()
        for key in [k for k in hashes if k.split("|", 1)[1] < cutoff]:
            del hashes[key]
    log.info("ads.%s: %s rows over %s ranges (%s unchanged, %s refused)", settings.META_TABLE,
             counts.rows_loaded, len(ranges), counts.rows_duplicate, counts.rows_quarantined)
    yield from finish(counts)


# -- Google Ads report ------------------------------------------------------------------------------


def prepare_report_row(row: dict[str, str]) -> tuple[dict[str, Any] | None, str | None]:
    """One report line as a raw row, or None and the reason it is quarantined."""
    campaign_id = row.get("campaign.id") or ""
    if not _DIGITS.match(campaign_id):
        return None, f"`campaign.id` is not a numeric id: `{campaign_id}`"
    try:
        day = date.fromisoformat(row.get("segments.date") or "")
    except ValueError:
        return None, f"`segments.date` is not a date: `{row.get('segments.date')}`"
    currency = row.get("customer.currency_code") or ""
    if not _CURRENCY.match(currency):
        return None, f"`customer.currency_code` is not an ISO 4217 code: `{currency}`"
    clean: dict[str, Any] = {"campaign_id": campaign_id, "report_date": day,
                             "campaign_name": row.get("campaign.name"), "campaign_status": row.get("campaign.status"),
                             "currency_code": currency}
    for column, name in (("cost_micros", "metrics.cost_micros"), ("clicks", "metrics.clicks"),
                         ("impressions", "metrics.impressions")):
        clean[column], problem = _count(row.get(name), name)
        if problem:
            return None, problem
    try:
        conversions = float(row.get("metrics.conversions") or "")
    except ValueError:
        return None, f"`metrics.conversions` is not a number: `{row.get('metrics.conversions')}`"
    if conversions != conversions or conversions < 0:
        return None, f"`metrics.conversions` is not a non-negative number: `{row.get('metrics.conversions')}`"
    clean["conversions"] = conversions
    return clean, None


def read_google_reports(landing_dir: Path) -> Iterator[Any]:
    """Rows of the report files that are new or rewritten since the last run.

    The reports are small (one row per campaign and day), so they are parsed with the csv module; a
    re-export of a month repeats its rows, and the merge on (campaign_id, report_date) keeps the last.
    A file whose header is not the expected one is refused whole, line by line, with that reason.
    """
    landing_dir = Path(landing_dir)
    files = new_landing_files(landing_dir, settings.GOOGLE_PATTERN) if landing_dir.is_dir() else []
    counts = TableCounts(settings.SOURCE_NAME, settings.GOOGLE_TABLE)
    seen: set[tuple[str, date]] = set()
    # newest first, so that a key exported twice in this run keeps its latest delivery
    for landing_file in reversed(files):
        good = []
        with landing_file.path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = tuple(next(reader, ()))
            bad_header = header != settings.GOOGLE_HEADER
            for line in reader:
                raw = ",".join(line)
                if bad_header:
                    counts.reject(raw, f"unexpected header `{','.join(header)}`", landing_file.name)
                    continue
                if len(line) != len(header):
                    counts.reject(raw, f"{len(line)} fields, expected {len(header)}", landing_file.name)
                    continue
                clean, reason = prepare_report_row(dict(zip(header, line, strict=True)))
                if clean is None:
                    counts.reject(raw, str(reason), landing_file.name)
                    continue
                key = (clean["campaign_id"], clean["report_date"])
                if key in seen:
                    counts.add(read=1, duplicate=1)
                    continue
                seen.add(key)
                clean["_file_name"] = landing_file.name
                good.append(clean)
        counts.add(read=len(good), loaded=len(good))
        if good:
            yield good
        remember_landing_file(landing_file)
    yield from finish(counts)
