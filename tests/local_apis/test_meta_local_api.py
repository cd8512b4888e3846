"""The local Meta Graph API keeps the real contract: token, fields, time range, cursor paging, errors."""

import json

import pytest
from starlette.testclient import TestClient

from cdp.local_apis.meta import create_app

TOKEN = "graph-token"
ACCOUNT = "42"
INSIGHTS = f"/v19.0/act_{ACCOUNT}/insights"


def row(ad_id: str, day: str) -> dict:
    return {"account_id": ACCOUNT, "ad_id": ad_id, "date_start": day, "date_stop": day, "spend": "1.00",
            "impressions": "10", "clicks": "1", "campaign_name": "c"}


@pytest.fixture
def landing(tmp_path):
    meta = tmp_path / "ads" / "meta"
    meta.mkdir(parents=True)
    rows = [row(ad, f"2026-03-0{d}") for d in (1, 2, 3) for ad in ("1", "2")]
    (meta / "insights.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    social = tmp_path / "social"
    social.mkdir()
    (social / "leads.jsonl").write_text(json.dumps({"id": "777", "created_time": "2026-03-01T10:00:00+0000",
                                                    "field_data": [], "form_id": "5"}) + "\n")
    return tmp_path


def client(landing, **kwargs) -> TestClient:
    return TestClient(create_app(landing, TOKEN, account_id=ACCOUNT, **kwargs))


def params(**extra) -> dict:
    return {"access_token": TOKEN, "level": "ad", "time_increment": "1", "fields": "ad_id,date_start,spend",
            "time_range": json.dumps({"since": "2026-03-01", "until": "2026-03-02"}), **extra}


def test_pages_follow_the_cursor_until_no_next(landing):
    api = client(landing)
    first = api.get(INSIGHTS, params=params(limit=3)).json()
    assert [r["ad_id"] for r in first["data"]] == ["1", "2", "1"]
    assert set(first["data"][0]) == {"ad_id", "date_start", "spend"}
    second = api.get(first["paging"]["next"]).json()
    assert [(r["ad_id"], r["date_start"]) for r in second["data"]] == [("2", "2026-03-02")]
    assert "next" not in second["paging"]


@pytest.mark.parametrize(
    ("query", "code", "status"),
    [
        ({"access_token": "wrong"}, 190, 400),
        ({"fields": "ad_id,secret"}, 100, 400),
        ({"time_range": "{\"since\": \"2026-03-05\", \"until\": \"2026-03-01\"}"}, 100, 400),
        ({"time_range": "yesterday"}, 100, 400),
        ({"limit": "501"}, 100, 400),
        ({"level": "campaign"}, 100, 400),
        ({"after": "bm90LWEtY3Vyc29y"}, 100, 400),
        ({"breakdowns": "age"}, 100, 400),
    ],
    ids=["bad-token", "unknown-field", "reversed-range", "range-not-json", "limit-too-big", "other-level",
         "forged-cursor", "unknown-parameter"],
)
def test_bad_requests_get_graph_errors(landing, query, code, status):
    response = client(landing).get(INSIGHTS, params=params(**query))
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and error["type"]


def test_missing_token_is_190_and_bearer_header_works(landing):
    api = client(landing)
    no_token = {k: v for k, v in params().items() if k != "access_token"}
    assert api.get(INSIGHTS, params=no_token).json()["error"]["code"] == 190
    assert api.get(INSIGHTS, params=no_token, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_cursor_of_another_time_range_is_refused(landing):
    api = client(landing)
    after = api.get(INSIGHTS, params=params(limit=1)).json()["paging"]["cursors"]["after"]
    other = params(after=after, time_range=json.dumps({"since": "2026-03-01", "until": "2026-03-03"}))
    assert api.get(INSIGHTS, params=other).json()["error"]["code"] == 100


def test_another_ad_account_is_forbidden(landing):
    response = client(landing).get("/v19.0/act_43/insights", params=params())
    assert response.status_code == 403 and response.json()["error"]["code"] == 200


def test_rate_limit_answers_code_17(landing):
    api = client(landing, calls_per_window=2, window_s=60)
    assert [api.get(INSIGHTS, params=params()).status_code for _ in range(2)] == [200, 200]
    assert api.get(INSIGHTS, params=params()).json()["error"]["code"] == 17


def test_lead_by_id_with_fields_and_unknown_lead(landing):
    api = client(landing)
    lead = api.get("/v19.0/777", params={"access_token": TOKEN, "fields": "id,form_id"}).json()
    assert lead == {"id": "777", "form_id": "5"}
    default = api.get("/v19.0/777", params={"access_token": TOKEN}).json()
    assert set(default) == {"id", "created_time", "field_data"}
    missing = api.get("/v19.0/778", params={"access_token": TOKEN})
    assert missing.status_code == 400 and missing.json()["error"]["code"] == 100


def test_unknown_api_version_is_refused(landing):
    response = client(landing).get("/v12.0/777", params={"access_token": TOKEN})
    assert response.status_code == 400 and response.json()["error"]["code"] == 2635
