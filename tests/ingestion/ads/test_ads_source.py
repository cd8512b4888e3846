"""The ads source: Meta insights from the local Graph API and Google Ads report files into `raw_ads`."""

import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from cdp.config import Settings
from cdp.errors import IngestionError
from cdp.local_apis.meta import serve_meta_api
from ingestion.ads import settings as ads_settings
from ingestion.ads.helpers import insight_ranges
from ingestion.common import graph_api
from ingestion.runner import MetaApi, run_source

TOKEN = "meta-test-token"
ACCOUNT = "1029384756"
TODAY = datetime.now(UTC).date()


def day(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


def insight(ad_id: str, days_ago: int, spend: str = "10.00", **fields) -> dict:
    return {
        "account_id": ACCOUNT, "account_currency": "DKK", "campaign_id": "2385001", "campaign_name": "Lookbook_NL",
        "adset_id": "2385002", "adset_name": "set", "ad_id": ad_id, "ad_name": f"ad {ad_id}",
        "objective": "OUTCOME_TRAFFIC", "date_start": day(days_ago), "date_stop": day(days_ago),
        "impressions": "1000", "clicks": "12", "spend": spend,
        "actions": [{"action_type": "link_click", "value": "10"}, {"action_type": "lead", "value": "2"}],
        **fields,
    }


def report(rows: list[list[str]], header=ads_settings.GOOGLE_HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def google_row(campaign_id: str, days_ago: int, cost_micros: str = "12340000") -> list[str]:
    return [campaign_id, "Brand_NL", "ENABLED", day(days_ago), "EUR", cost_micros, "7", "300", "1.5"]


def fresh_settings(root: Path) -> Settings:
    return Settings(duckdb_path=root / "wh.duckdb", landing_dir=root / "landing", pipelines_dir=root / "p")


def land(landing: Path, insights: list[dict], reports: dict[str, str]) -> None:
    meta = landing / "ads" / "meta"
    meta.mkdir(parents=True, exist_ok=True)
    (meta / "insights.jsonl").write_text("".join(json.dumps(r) + "\n" for r in insights), encoding="utf-8")
    google = landing / "ads" / "google_ads"
    google.mkdir(parents=True, exist_ok=True)
    for name, text in reports.items():
        (google / name).write_text(text, encoding="utf-8")


def snapshot(settings: Settings) -> dict:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        def rows(sql: str) -> list[dict]:
            cursor = con.execute(sql)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]

        types = {
            (t, c): d
            for t, c, d in con.execute(
                "select table_name, column_name, data_type from information_schema.columns "
                "where table_schema = 'raw_ads'"
            ).fetchall()
        }
        return {
            "meta": rows("select * from raw_ads.meta_insights order by ad_id, date_start"),
            "google": rows("select * from raw_ads.google_ads_campaigns order by campaign_id, report_date"),
            "quarantine": rows("select * from raw_ads._quarantine order by source_table, reason"),
            "stats": rows("select * from raw_ads._load_stats order by loaded_at"),
            "types": types,
        }


GOOD_INSIGHTS = [insight(ad, n) for ad in ("101", "102", "103") for n in (1, 2)]
BAD_INSIGHTS = [insight("104", 1, spend="ten"), insight("105", 1, date_stop=day(0))]
GOOD_REPORT = report([google_row("900", 1), google_row("900", 2), google_row("901", 1), google_row("901", 2),
                      ["902", "x", "ENABLED", "2026-13-01", "EUR", "1", "1", "1", "0"]])


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """Three runs: first load, an unchanged re-run, then a restated Meta day and a re-exported report;
    the API pages two rows at a time."""
    root = tmp_path_factory.mktemp("ads")
    settings = Settings(duckdb_path=root / "wh.duckdb", landing_dir=root / "landing", pipelines_dir=root / "p")
    land(settings.landing_dir, GOOD_INSIGHTS + BAD_INSIGHTS,
         {"campaign_report_1.csv": GOOD_REPORT, "campaign_report_0.csv": report([google_row("903", 1)],
                                                                                 header=("id", "date"))})
    steps = []
    with pytest.MonkeyPatch.context() as mp, serve_meta_api(settings.landing_dir, TOKEN) as base_url:
        mp.setattr(ads_settings, "PAGE_SIZE", 2)
        api = MetaApi(base_url, TOKEN, ACCOUNT)
        steps.append((run_source("ads", settings, meta_api=api), snapshot(settings)))
        steps.append((run_source("ads", settings, meta_api=api), snapshot(settings)))
        restated = [insight("101", 1, spend="11.50")] + GOOD_INSIGHTS[1:] + BAD_INSIGHTS
        land(settings.landing_dir, restated, {"campaign_report_1.csv": GOOD_REPORT.replace("12340000", "20000000", 1)})
        steps.append((run_source("ads", settings, meta_api=api), snapshot(settings)))
    return steps


def test_first_run_loads_every_good_row_and_pages_through_the_api(scenario):
    run, snap = scenario[0]
    assert run.rows_by_table["meta_insights"] == 6
    assert {(r["ad_id"], r["date_start"].isoformat()) for r in snap["meta"]} == {
        (ad, day(n)) for ad in ("101", "102", "103") for n in (1, 2)}
    row = snap["meta"][0]
    assert (row["spend"], row["impressions"], row["link_clicks"], row["leads"], row["account_currency"]) == (
        "10.00", 1000, 10, 2, "DKK")
    assert json.loads(row["actions_json"])[0] == {"action_type": "link_click", "value": "10"}


def test_loaded_schema_types(scenario):
    types = scenario[0][1]["types"]
    assert types[("meta_insights", "date_start")] == "DATE"
    assert types[("meta_insights", "impressions")] == "BIGINT"
    assert types[("meta_insights", "spend")] == "VARCHAR"
    assert types[("google_ads_campaigns", "report_date")] == "DATE"
    assert types[("google_ads_campaigns", "cost_micros")] == "BIGINT"
    assert types[("google_ads_campaigns", "conversions")] == "DOUBLE"


def test_bad_rows_are_quarantined_with_a_reason_and_counts_balance(scenario):
    _, snap = scenario[0]
    reasons = sorted((q["source_table"], q["reason"]) for q in snap["quarantine"])
    assert reasons == [
        ("google_ads_campaigns", "`segments.date` is not a date: `2026-13-01`"),
        ("google_ads_campaigns", "unexpected header `id,date`"),
        ("meta_insights", "`spend` is not a decimal amount: `ten`"),
        ("meta_insights", f"not a daily row: `date_stop` `{day(0)}` differs from `date_start`"),
    ]
    for stats in snap["stats"]:
        assert stats["rows_read"] == stats["rows_loaded"] + stats["rows_quarantined"] + stats["rows_duplicate"]
    meta = next(s for s in snap["stats"] if s["source_table"] == "meta_insights")
    assert (meta["rows_read"], meta["rows_loaded"], meta["rows_quarantined"]) == (8, 6, 2)


def test_google_report_rows_convert_micros_later_and_keep_their_file(scenario):
    _, snap = scenario[0]
    assert len(snap["google"]) == 4
    first = snap["google"][0]
    assert (first["campaign_id"], first["cost_micros"], first["clicks"], first["currency_code"]) == (
        "900", 12340000, 7, "EUR")
    assert first["_file_name"] == "google_ads/campaign_report_1.csv"


def test_a_run_without_changes_loads_nothing(scenario):
    run, snap = scenario[1]
    assert run.rows_loaded == 0
    meta = [s for s in snap["stats"] if s["source_table"] == "meta_insights"][-1]
    # the restatement window is read again, and unchanged rows count as duplicates
    assert (meta["rows_loaded"], meta["rows_duplicate"]) == (0, 6)


def test_restated_meta_day_and_reexported_report_replace_their_rows(scenario):
    run, snap = scenario[2]
    assert run.rows_by_table["meta_insights"] == 1
    assert len(snap["meta"]) == 6
    assert next(r for r in snap["meta"] if r["ad_id"] == "101" and r["date_start"].isoformat() == day(1))[
        "spend"] == "11.50"
    assert len(snap["google"]) == 4
    costs = {(r["campaign_id"], r["report_date"].isoformat()): r["cost_micros"] for r in snap["google"]}
    assert costs[("900", day(1))] == 20000000 and costs[("900", day(2))] == 12340000


def test_wrong_token_stops_with_the_setting_named_and_no_token_shown(tmp_path):
    settings = fresh_settings(tmp_path)
    land(settings.landing_dir, GOOD_INSIGHTS, {})
    with serve_meta_api(settings.landing_dir, TOKEN) as base_url:
        with pytest.raises(IngestionError) as info:
            run_source("ads", settings, meta_api=MetaApi(base_url, "not-the-token", ACCOUNT))
    message = str(info.value)
    assert "190" in message and "sources.ads.access_token" in message
    assert "not-the-token" not in message


def test_rate_limit_is_waited_out(tmp_path, monkeypatch):
    settings = fresh_settings(tmp_path)
    land(settings.landing_dir, GOOD_INSIGHTS, {})
    waits = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(0.3)

    monkeypatch.setattr(graph_api, "_sleep", sleep)
    monkeypatch.setattr(ads_settings, "PAGE_SIZE", 2)
    with serve_meta_api(settings.landing_dir, TOKEN, calls_per_window=2, window_s=0.25) as base_url:
        run = run_source("ads", settings, meta_api=MetaApi(base_url, TOKEN, ACCOUNT))
    assert run.rows_by_table["meta_insights"] == 6
    assert waits, "the API's code 17 should have been retried after a wait"


def test_first_run_asks_for_the_whole_history_in_chunks():
    ranges = insight_ranges(None, TODAY)
    assert ranges[0][0] == TODAY - timedelta(days=ads_settings.INITIAL_LOOKBACK_DAYS)
    assert ranges[-1][1] == TODAY
    assert all((until - since).days < ads_settings.CHUNK_DAYS for since, until in ranges)
    assert all(b[0] == a[1] + timedelta(days=1) for a, b in zip(ranges, ranges[1:], strict=False))
