"""The profile API: lookups through the identity graph, token auth, filters and errors."""

import pytest

from tests.serving.conftest import AUTH, OTHER_TOKEN


@pytest.fixture
def identities(warehouse) -> dict[str, tuple[str, str]]:
    """One (value, customer id) per identifier type, from the warehouse (not from the store under test)."""
    rows = warehouse.execute(
        """
        select identifier_type, min_by(identifier_value, customer_id), min(customer_id)
        from marts.customer_identities
        where is_linkable
        group by identifier_type
        """
    ).fetchall()
    return {t: (v, c) for t, v, c in rows}


@pytest.mark.parametrize("identifier_type", ["email", "phone", "anonymous_id", "user_id", "loyalty_card", "device_id"])
def test_every_identifier_type_resolves_to_its_customer(client, identities, identifier_type) -> None:
    value, customer_id = identities[identifier_type]
    response = client.get(f"/v1/profiles/{identifier_type}:{value}", headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["customer_id"] == customer_id
    assert response.json()["traits"]["customer_id"] == customer_id


def test_customer_id_is_an_identifier_too(client, identities) -> None:
    _, customer_id = identities["email"]
    assert client.get(f"/v1/profiles/customer_id:{customer_id}", headers=AUTH).json()["customer_id"] == customer_id


@pytest.mark.parametrize(
    "rewrite",
    [lambda v: v.upper(), lambda v: f"  {v} "],
    ids=["upper_case", "padded"],
)
def test_email_lookup_is_normalised_as_the_warehouse_stores_it(client, identities, rewrite) -> None:
    value, customer_id = identities["email"]
    response = client.get(f"/v1/profiles/email:{rewrite(value)}", headers=AUTH)
    assert response.json()["customer_id"] == customer_id


@pytest.mark.parametrize(
    "rewrite",
    [
        lambda e164: f"+{e164[1:3]} {e164[3:6]} {e164[6:]}",
        lambda e164: "00" + e164[1:],
        lambda e164: f"+{e164[1:3]}-({e164[3:6]})-{e164[6:]}",
    ],
    ids=["spaces", "00_prefix", "dashes_and_brackets"],
)
def test_phone_lookup_matches_the_digits_of_the_e164_number(client, identities, rewrite) -> None:
    value, customer_id = identities["phone"]
    assert value.startswith("+")
    response = client.get("/v1/profiles/phone:" + rewrite(value).replace("+", "%2B"), headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["customer_id"] == customer_id


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic " + "x" * 8}, {"Authorization": "Bearer "}],
    ids=["no_header", "wrong_token", "other_scheme", "empty_token"],
)
def test_server_side_endpoints_need_a_token(client, identities, headers) -> None:
    value, _ = identities["email"]
    for suffix in ("", "/segments", "/recommendations", "/events"):
        response = client.get(f"/v1/profiles/email:{value}{suffix}", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"
        assert value not in response.text


def test_every_configured_token_is_accepted(client, identities) -> None:
    value, _ = identities["email"]
    response = client.get(f"/v1/profiles/email:{value}", headers={"Authorization": f"Bearer {OTHER_TOKEN}"})
    assert response.status_code == 200


def test_fields_selects_traits(client, identities) -> None:
    value, _ = identities["email"]
    response = client.get(f"/v1/profiles/email:{value}?fields=favourite_category,lifetime_revenue_eur", headers=AUTH)
    assert set(response.json()["traits"]) == {"favourite_category", "lifetime_revenue_eur"}


def test_an_unknown_field_is_refused_with_the_valid_ones(client, identities) -> None:
    value, _ = identities["email"]
    response = client.get(f"/v1/profiles/email:{value}?fields=shoe_size", headers=AUTH)
    assert response.status_code == 400
    assert "`shoe_size`" in response.json()["detail"] and "favourite_category" in response.json()["detail"]


def test_segments_and_recommendations_match_the_marts(client, warehouse) -> None:
    customer_id, segments = warehouse.execute(
        "select customer_id, list(segment order by segment) from marts.segment_memberships"
        " group by 1 order by 1 limit 1"
    ).fetchone()
    response = client.get(f"/v1/profiles/customer_id:{customer_id}/segments", headers=AUTH)
    assert [item["segment"] for item in response.json()["items"]] == segments

    customer_id, skus = warehouse.execute(
        "select customer_id, list(sku order by recommendation_rank) from marts.customer_product_recommendations"
        " group by 1 order by 1 limit 1"
    ).fetchone()
    response = client.get(f"/v1/profiles/customer_id:{customer_id}/recommendations", headers=AUTH)
    assert [item["sku"] for item in response.json()["items"]] == skus


def test_events_are_newest_first_and_limited(client, warehouse) -> None:
    customer_id = warehouse.execute(
        "select customer_id from marts.customer_timeline group by 1 having count(*) > 5 order by 1 limit 1"
    ).fetchone()[0]
    response = client.get(f"/v1/profiles/customer_id:{customer_id}/events?limit=3", headers=AUTH)
    items = response.json()["items"]
    assert len(items) == 3
    assert [e["occurred_at"] for e in items] == sorted((e["occurred_at"] for e in items), reverse=True)
    newest = warehouse.execute(
        "select strftime(max(occurred_at), '%Y-%m-%dT%H:%M:%S.%fZ') from marts.customer_timeline where customer_id = ?",
        [customer_id],
    ).fetchone()[0]
    assert items[0]["occurred_at"] == newest


@pytest.mark.parametrize("limit", ["0", "51", "x"], ids=["zero", "over_max", "not_a_number"])
def test_a_bad_events_limit_is_a_400(client, identities, limit) -> None:
    value, _ = identities["email"]
    assert client.get(f"/v1/profiles/email:{value}/events?limit={limit}", headers=AUTH).status_code == 400


def test_a_customer_without_segments_gets_an_empty_list(client, warehouse) -> None:
    customer_id = warehouse.execute(
        "select min(customer_id) from marts.customer_profiles"
        " where customer_id not in (select customer_id from marts.segment_memberships)"
    ).fetchone()[0]
    response = client.get(f"/v1/profiles/customer_id:{customer_id}/segments", headers=AUTH)
    assert response.status_code == 200 and response.json()["items"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/v1/profiles/email:nobody@nowhere.example",
        "/v1/profiles/customer_id:cus_does_not_exist",
        "/v1/profiles/anonymous_id:00000000-0000-0000-0000-000000000000/segments",
        "/v1/profiles/phone:%2B31000000000/events",
    ],
    ids=["email", "customer_id", "anonymous_id_segments", "phone_events"],
)
def test_unknown_customers_are_404_with_a_json_error(client, path) -> None:
    response = client.get(path, headers=AUTH)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize(
    "path,error",
    [("/v1/profiles/shoe_size:42", "unknown_identifier_type"), ("/v1/profiles/ann@example.com", "bad_identifier")],
    ids=["unknown_type", "no_type"],
)
def test_malformed_identifiers_are_400(client, path, error) -> None:
    response = client.get(path, headers=AUTH)
    assert response.status_code == 400 and response.json()["error"] == error


def test_an_unknown_path_is_a_json_404(client) -> None:
    response = client.get("/v2/whatever", headers=AUTH)
    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_openapi_document_and_docs_page_describe_every_endpoint(client) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert {
        "/v1/profiles/{identifier}",
        "/v1/profiles/{identifier}/segments",
        "/v1/profiles/{identifier}/recommendations",
        "/v1/profiles/{identifier}/events",
        "/v1/personalize",
    } <= set(spec["paths"])
    page = client.get("/docs")
    assert page.status_code == 200 and "/v1/personalize" in page.text
    assert "<script" not in page.text and "src=" not in page.text  # nothing loaded from a CDN


def test_health_reports_the_last_publish(client) -> None:
    last = client.get("/health").json()["last_publish"]
    assert last["published_at"] and last["traits_as_of"]
