"""Paid media: daily Meta ad insights from the Marketing API and Google Ads campaign report exports."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
from dlt.extract import DltResource

from ingestion.ads import helpers, settings


@dlt.source(name=settings.SOURCE_NAME)
def ads_source(
    base_url: str = dlt.config.value,
    access_token: str = dlt.secrets.value,
    account_id: str = dlt.config.value,
    landing_dir: Path = dlt.config.value,
) -> list[DltResource]:
    """Meta insights of ad account `account_id` read from the Graph API at `base_url`, and the Google Ads
    report files under `landing_dir/google_ads/`."""
    return [meta_insights(base_url, access_token, account_id), google_ads_campaigns(landing_dir)]


@dlt.resource(name=settings.META_TABLE, primary_key=("ad_id", "date_start"), write_disposition="merge",
              columns=settings.META_COLUMNS)
def meta_insights(base_url: str, access_token: str, account_id: str) -> Iterator[Any]:
    """One row per ad and day. Merge: Meta restates a day's figures while conversions are still being
    attributed to it, so the last `RESTATEMENT_DAYS` days are read again and changed rows replace the old."""
    yield from helpers.read_meta_insights(base_url, access_token, account_id)


@dlt.resource(name=settings.GOOGLE_TABLE, primary_key=("campaign_id", "report_date"), write_disposition="merge",
              columns=settings.GOOGLE_COLUMNS)
def google_ads_campaigns(landing_dir: Path) -> Iterator[Any]:
    """One row per campaign and day. Merge: the current month's report is re-exported every day."""
    yield from helpers.read_google_reports(landing_dir)
