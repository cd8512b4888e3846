"""The social source: Lead Ads webhook notifications in, leads fetched by id from the local Graph API."""

import json
from pathlib import Path

import duckdb
import pytest

from cdp.config import Settings
from cdp.errors import IngestionError
from cdp.local_apis.meta import serve_meta_api
from ingestion.runner import MetaApi, run_source
from ingestion.social.helpers import leadgen_changes

TOKEN = "meta-test-token"
PAGE = "104857600123"


def lead(lead_id: str, email: str = "Ann@Example.com ", phone: str | None = "+31612345678", consent: str = "1") -> dict:
    fields = [{"name": "email", "values": [email]}, {"name": "full_name", "values": ["Ann Smit"]}]
    if phone is not None:
        fields.append({"name": "phone_number", "values": [phone]})
    return {"id": lead_id, "created_time": "2026-03-01T10:15:00+0000", "ad_id": "2385009", "ad_name": "leadgen reel",
            "adset_id": "2385008", "adset_name": "set", "campaign_id": "2385007", "campaign_name": "leadgen_nl",
            "form_id": "555", "platform": "ig", "is_organic": False, "field_data": fields,
            "custom_disclaimer_responses": [{"checkbox_key": "marketing_opt_in", "is_checked": consent}]}


def notification(*lead_ids: str) -> str:
    changes = [{"field": "leadgen", "value": {"leadgen_id": i, "form_id": "555", "ad_id": "2385009",
                                              "adgroup_id": "2385008", "page_id": PAGE, "created_time": 1772360100}}
               for i in lead_ids]
    return json.dumps({"object": "page", "entry": [{"id": PAGE, "time": 1772360160, "changes": changes}]})


def land(landing: Path, leads: list[dict], webhooks: dict[str, list[str]]) -> None:
    social = landing / "social"
    (social / "webhooks").mkdir(parents=True, exist_ok=True)
    (social / "leads.jsonl").write_text("".join(json.dumps(x) + "\n" for x in leads), encoding="utf-8")
    for name, lines in webhooks.items():
        (social / "webhooks" / name).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def snapshot(settings: Settings) -> dict:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        def rows(sql: str) -> list[dict]:
            cursor = con.execute(sql)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]

        return {
            "leads": {r["lead_id"]: r for r in rows("select * from raw_social.leads")},
            "quarantine": rows("select * from raw_social._quarantine order by reason"),
            "stats": rows("select * from raw_social._load_stats order by loaded_at"),
            "types": dict(con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'raw_social' and table_name = 'leads'").fetchall()),
        }


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """Day 1: two leads in one notification, one of them announced again, a broken line, a notification
    for a deleted lead and one that is not about leads. Day 2 (second run): a new lead; the old files are
    not read again."""
    root = tmp_path_factory.mktemp("social")
    settings = Settings(duckdb_path=root / "wh.duckdb", landing_dir=root / "landing", pipelines_dir=root / "p")
    leads = [lead("1001"), lead("1002", email="bo@example.com", phone=None, consent=""), lead("1003")]
    day1 = [
        notification("1001", "1002"),
        notification("1001"),
        notification("1002")[:40],
        notification("9999"),
        json.dumps({"object": "page", "entry": [{"id": PAGE, "changes": [{"field": "feed", "value": {}}]}]}),
    ]
    land(settings.landing_dir, leads, {"2026-03-01.jsonl": day1})
    steps = []
    with serve_meta_api(settings.landing_dir, TOKEN) as base_url:
        api = MetaApi(base_url, TOKEN, "0")
        steps.append((run_source("social", settings, meta_api=api), snapshot(settings)))
        land(settings.landing_dir, leads, {"2026-03-02.jsonl": [notification("1003")]})
        steps.append((run_source("social", settings, meta_api=api), snapshot(settings)))
    return steps


def test_announced_leads_are_fetched_and_flattened(scenario):
    run, snap = scenario[0]
    assert run.rows_by_table["leads"] == 2
    ann = snap["leads"]["1001"]
    assert (ann["email"], ann["phone_number"], ann["full_name"], ann["has_marketing_consent"]) == (
        "Ann@Example.com ", "+31612345678", "Ann Smit", True)
    assert (ann["form_id"], ann["campaign_name"], ann["platform"], ann["page_id"]) == (
        "555", "leadgen_nl", "ig", PAGE)
    assert ann["created_time"].isoformat() == "2026-03-01T10:15:00+00:00"
    bo = snap["leads"]["1002"]
    assert (bo["phone_number"], bo["has_marketing_consent"]) == (None, False)
    assert json.loads(bo["field_data_json"])[0] == {"name": "email", "values": ["bo@example.com"]}


def test_loaded_schema_types(scenario):
    types = scenario[0][1]["types"]
    assert types["created_time"] == "TIMESTAMP WITH TIME ZONE"
    assert types["has_marketing_consent"] == "BOOLEAN"
    assert types["lead_id"] == "VARCHAR"


def test_broken_notifications_and_deleted_leads_are_quarantined_and_counts_balance(scenario):
    _, snap = scenario[0]
    reasons = [q["reason"] for q in snap["quarantine"]]
    assert len(reasons) == 3
    assert "lead `9999` does not exist (any more) in the Graph API" in reasons
    assert any(r.startswith("notification line 3: invalid JSON") for r in reasons)
    assert any(r.startswith("notification line 5: no `leadgen` change") for r in reasons)
    stats = snap["stats"][-1]
    assert (stats["rows_read"], stats["rows_loaded"], stats["rows_quarantined"], stats["rows_duplicate"]) == (
        6, 2, 3, 1)


def test_second_run_reads_only_the_new_file(scenario):
    run, snap = scenario[1]
    assert run.rows_by_table["leads"] == 1
    assert set(snap["leads"]) == {"1001", "1002", "1003"}
    stats = snap["stats"][-1]
    assert (stats["rows_read"], stats["rows_loaded"]) == (1, 1)


def test_a_run_without_new_files_loads_nothing(tmp_path):
    settings = Settings(
        duckdb_path=tmp_path / "wh.duckdb", landing_dir=tmp_path / "landing", pipelines_dir=tmp_path / "p"
    )
    land(settings.landing_dir, [lead("1001")], {"2026-03-01.jsonl": [notification("1001")]})
    with serve_meta_api(settings.landing_dir, TOKEN) as base_url:
        api = MetaApi(base_url, TOKEN, "0")
        assert run_source("social", settings, meta_api=api).rows_by_table["leads"] == 1
        assert run_source("social", settings, meta_api=api).rows_loaded == 0


def test_wrong_token_stops_the_run_without_showing_the_token(tmp_path):
    settings = Settings(
        duckdb_path=tmp_path / "wh.duckdb", landing_dir=tmp_path / "landing", pipelines_dir=tmp_path / "p"
    )
    land(settings.landing_dir, [lead("1001")], {"2026-03-01.jsonl": [notification("1001")]})
    with serve_meta_api(settings.landing_dir, TOKEN) as base_url:
        with pytest.raises(IngestionError) as info:
            run_source("social", settings, meta_api=MetaApi(base_url, "stolen-token", "0"))
    assert "sources.social.access_token" in str(info.value) and "stolen-token" not in str(info.value)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"object": "user", "entry": []}', "`object` is not `page`: `user`"),
        ('{"object": "page"}', "no `entry` list"),
        ('{"object": "page", "entry": [{"changes": [{"field": "leadgen", "value": {"leadgen_id": "x1"}}]}]}',
         'a leadgen change has no numeric `leadgen_id`: `{"leadgen_id": "x1"}`'),
        ("[1, 2]", "not a JSON object"),
    ],
    ids=["not-a-page", "no-entry", "non-numeric-id", "array"],
)
def test_notification_shape_is_checked(line, reason):
    assert leadgen_changes(line) == ([], reason)
