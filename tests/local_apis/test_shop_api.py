"""The local shop API enforces the contract of docs/data-contracts.md ("Local shop API")."""

import json
import time
from pathlib import Path

import pytest
import requests

from cdp.errors import ConfigError
from cdp.local_apis.shop import create_app, serve_shop_api

TOKEN = "test-token"
CUSTOMERS = "/admin/api/2024-01/customers.json"
ORDERS = "/admin/api/2024-01/orders.json"


def customer(customer_id, updated_at, **fields):
    return {"id": customer_id, "updated_at": updated_at, "created_at": "2026-01-01T00:00:00Z", **fields}


def write_jsonl(path: Path, records: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


# Ids 1..6; 3 and 4 share an `updated_at` so the (updated_at, id) order decides; written out of order.
SIX_CUSTOMERS = [
    customer(4, "2026-03-03T10:00:00Z"),
    customer(1, "2026-03-01T10:00:00Z"),
    customer(6, "2026-03-05T10:00:00+02:00"),  # 08:00 UTC: before customer 5
    customer(3, "2026-03-03T10:00:00Z"),
    customer(2, "2026-03-02T10:00:00Z"),
    customer(5, "2026-03-05T09:00:00Z"),
]


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    landing = tmp_path_factory.mktemp("shop")
    write_jsonl(landing / "customers.jsonl", SIX_CUSTOMERS)
    write_jsonl(landing / "orders.jsonl", [{"id": 10, "updated_at": "2026-03-01T10:00:00Z"}])
    return landing


@pytest.fixture(scope="module")
def api(landing) -> str:
    with serve_shop_api(landing, TOKEN, rate_per_s=None) as base_url:
        yield base_url


@pytest.fixture
def session() -> requests.Session:
    with requests.Session() as session:
        session.headers["X-Shop-Access-Token"] = TOKEN
        yield session


def ids(response: requests.Response, resource: str = "customers") -> list:
    return [record["id"] for record in response.json()[resource]]


def all_pages(session, url, params=None) -> tuple[list, int]:
    response = session.get(url, params=params)
    pages, found = 1, ids(response)
    while "next" in response.links:
        response = session.get(response.links["next"]["url"])
        assert response.status_code == 200, response.text
        pages, found = pages + 1, found + ids(response)
    return found, pages


@pytest.mark.parametrize("headers", [{}, {"X-Shop-Access-Token": "wrong"}], ids=["missing", "wrong"])
def test_request_without_the_right_token_is_refused_with_a_401_json_error(api, headers):
    response = requests.get(api + CUSTOMERS, headers=headers)
    assert response.status_code == 401
    assert "access token" in response.json()["errors"]


def test_records_are_sorted_by_updated_at_then_id_with_the_default_page_size(api, session):
    response = session.get(api + CUSTOMERS)
    assert response.status_code == 200
    assert ids(response) == [1, 2, 3, 4, 6, 5]
    assert "Link" not in response.headers


@pytest.mark.parametrize(
    "limit", ["0", "251", "-1", "ten", ""], ids=["zero", "251", "negative", "word", "empty"]
)
def test_limit_outside_1_to_250_is_a_400(api, session, limit):
    response = session.get(api + CUSTOMERS, params={"limit": limit})
    assert response.status_code == 400
    assert "limit" in response.json()["errors"]


def test_pages_are_chained_by_the_link_header_until_the_last_page(api, session):
    first = session.get(api + CUSTOMERS, params={"limit": 4})
    assert ids(first) == [1, 2, 3, 4]
    link = first.headers["Link"]
    assert link.startswith(f"<{api}{CUSTOMERS}?page_info=") and link.endswith('&limit=4>; rel="next"')
    second = session.get(first.links["next"]["url"])
    assert ids(second) == [6, 5]
    assert "Link" not in second.headers


def test_every_record_is_served_once_across_pages_of_one(api, session):
    found, pages = all_pages(session, api + CUSTOMERS, {"limit": 1})
    assert found == [1, 2, 3, 4, 6, 5]
    assert pages == 6


def test_updated_at_min_keeps_records_updated_at_or_after_it_across_pages(api, session):
    found, pages = all_pages(session, api + CUSTOMERS, {"limit": 2, "updated_at_min": "2026-03-03T10:00:00Z"})
    assert found == [3, 4, 6, 5]
    assert pages == 2


def test_updated_at_min_compares_instants_not_strings(api, session):
    response = session.get(api + CUSTOMERS, params={"updated_at_min": "2026-03-05T10:30:00+02:00"})
    assert ids(response) == [5]  # 08:30 UTC: after customer 6 (08:00 UTC), before customer 5 (09:00 UTC)


@pytest.mark.parametrize(
    "value", ["yesterday", "2026-03-03", "2026-03-03T10:00:00"], ids=["word", "date", "naive"]
)
def test_updated_at_min_that_is_not_a_timestamp_with_offset_is_a_400(api, session, value):
    response = session.get(api + CUSTOMERS, params={"updated_at_min": value})
    assert response.status_code == 400
    assert "updated_at_min" in response.json()["errors"]


def test_page_info_combined_with_a_filter_is_a_400(api, session):
    first = session.get(api + CUSTOMERS, params={"limit": 2})
    response = session.get(first.links["next"]["url"] + "&updated_at_min=2026-03-01T00:00:00Z")
    assert response.status_code == 400
    assert "page_info" in response.json()["errors"]


@pytest.mark.parametrize("page_info", ["not-a-cursor", "eyJyIjoib3JkZXJzIn0"], ids=["garbage", "incomplete"])
def test_page_info_that_the_api_did_not_issue_is_a_400(api, session, page_info):
    response = session.get(api + CUSTOMERS, params={"page_info": page_info})
    assert response.status_code == 400


def test_page_info_of_customers_is_refused_on_orders(api, session):
    first = session.get(api + CUSTOMERS, params={"limit": 2})
    page_info = first.links["next"]["url"].split("page_info=")[1].split("&")[0]
    response = session.get(api + ORDERS, params={"page_info": page_info})
    assert response.status_code == 400


def test_unknown_query_parameter_is_a_400(api, session):
    response = session.get(api + CUSTOMERS, params={"since_id": "3"})
    assert response.status_code == 400
    assert "since_id" in response.json()["errors"]


def test_requests_past_the_burst_get_429_with_retry_after(landing, session):
    with serve_shop_api(landing, TOKEN, rate_per_s=0.5, burst=3) as base_url:
        statuses = [session.get(base_url + CUSTOMERS).status_code for _ in range(4)]
        refused = session.get(base_url + CUSTOMERS)
    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert 0 < float(refused.headers["Retry-After"]) <= 2.0
    assert "errors" in refused.json()


def test_rate_limit_refills_at_the_configured_rate(landing, session):
    with serve_shop_api(landing, TOKEN, rate_per_s=20, burst=1) as base_url:
        assert session.get(base_url + CUSTOMERS).status_code == 200
        refused = session.get(base_url + CUSTOMERS)
        assert refused.status_code == 429
        time.sleep(float(refused.headers["Retry-After"]))
        assert session.get(base_url + CUSTOMERS).status_code == 200


def test_latest_version_of_a_record_is_served_once(tmp_path, session):
    write_jsonl(
        tmp_path / "customers.jsonl",
        [customer(1, "2026-03-02T10:00:00Z", email="new@example.com"), customer(1, "2026-03-01T10:00:00Z")],
    )
    with serve_shop_api(tmp_path, TOKEN, rate_per_s=None) as base_url:
        served = session.get(base_url + CUSTOMERS).json()["customers"]
    assert [(c["id"], c.get("email")) for c in served] == [(1, "new@example.com")]


def test_rewritten_landing_file_is_served_without_a_restart(tmp_path, session):
    path = tmp_path / "customers.jsonl"
    write_jsonl(path, [customer(1, "2026-03-01T10:00:00Z")])
    with serve_shop_api(tmp_path, TOKEN, rate_per_s=None) as base_url:
        assert ids(session.get(base_url + CUSTOMERS)) == [1]
        write_jsonl(path, [customer(1, "2026-03-01T10:00:00Z"), customer(2, "2026-03-02T10:00:00Z")])
        assert ids(session.get(base_url + CUSTOMERS)) == [1, 2]
        assert ids(session.get(base_url + ORDERS), "orders") == []  # no orders file: an empty shop


def test_records_with_unparsable_updated_at_are_served_only_without_updated_at_min(tmp_path, session):
    write_jsonl(tmp_path / "customers.jsonl", [customer(1, "2026-03-01T10:00:00Z"), customer(2, "soon")])
    with serve_shop_api(tmp_path, TOKEN, rate_per_s=None) as base_url:
        assert ids(session.get(base_url + CUSTOMERS)) == [2, 1]
        changed = session.get(base_url + CUSTOMERS, params={"updated_at_min": "2026-01-01T00:00:00Z"})
        assert ids(changed) == [1]


def test_app_without_a_shop_landing_folder_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        create_app(tmp_path / "shop", TOKEN)
