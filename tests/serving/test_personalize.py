"""The browser-safe endpoint: consent decides, the YAML whitelist shapes the answer, and no PII leaves."""

import json
import sqlite3

import pytest
from starlette.testclient import TestClient

from serving.app import ApiSettings, create_app
from serving.personalization import decide, has_consent, load_config
from serving.store import apply_changes
from tests.serving.conftest import SHOP_ORIGIN, TOKEN, Published

ANSWER_KEYS = {"personalized", "segments", "recommended_skus", "slots", "onsite"}


def _pii_of(warehouse, customer_id: str) -> list[str]:
    """Every identifier and personal attribute of the customer, as the warehouse holds them."""
    values = [customer_id]
    values += [
        v
        for (v,) in warehouse.execute(
            "select identifier_value from marts.customer_identities where customer_id = ?", [customer_id]
        ).fetchall()
    ]
    row = warehouse.execute(
        "select primary_email, primary_phone, first_name, last_name, city from marts.customer_profiles"
        " where customer_id = ?",
        [customer_id],
    ).fetchone()
    return [v for v in values + list(row) if v]


def _visitor(warehouse, store_db, *, granted: bool) -> tuple[str, str]:
    """(anonymous id, customer id) of a visitor whose personalisation consent is all granted, or refused."""
    rows = warehouse.execute(
        """
        select i.identifier_value, i.customer_id
        from marts.customer_identities as i
        inner join marts.customer_consents as c on c.customer_id = i.customer_id and c.purpose = 'personalisation'
        where i.identifier_type = 'anonymous_id' and i.is_linkable
        group by all
        having bool_and(c.is_granted) = ?
        order by 2, 1
        """,
        [granted],
    ).fetchall()
    assert rows, "the demo data has visitors of both kinds"
    # prefer one with recommendations, so a leak would have something to leak
    with_recs = {c for (c,) in store_db.execute("select customer_id from recommendations")}
    return next((r for r in rows if r[1] in with_recs), rows[0])


def _personalize(client, anonymous_id: str, origin: str | None = SHOP_ORIGIN):
    headers = {"Origin": origin} if origin else {}
    return client.get("/v1/personalize", params={"anonymousId": anonymous_id}, headers=headers)


def test_visitor_with_consent_gets_whitelisted_decisions_and_no_pii(client, warehouse, store_db) -> None:
    anonymous_id, customer_id = _visitor(warehouse, store_db, granted=True)
    response = _personalize(client, anonymous_id)
    answer = response.json()
    assert response.status_code == 200
    assert answer["personalized"] is True
    assert set(answer) == ANSWER_KEYS
    skus = [
        s
        for (s,) in warehouse.execute(
            "select sku from marts.customer_product_recommendations where customer_id = ? order by recommendation_rank",
            [customer_id],
        ).fetchall()
    ]
    assert answer["recommended_skus"] == skus[: load_config().recommendation_limit]
    for value in _pii_of(warehouse, customer_id):
        assert value.lower() not in response.text.lower(), f"`{value}` leaked"


def test_visitor_without_consent_gets_the_default_and_no_pii(client, warehouse, store_db) -> None:
    anonymous_id, customer_id = _visitor(warehouse, store_db, granted=False)
    response = _personalize(client, anonymous_id)
    unknown = _personalize(client, "00000000-0000-0000-0000-000000000000")
    assert response.status_code == 200
    assert response.json()["personalized"] is False
    assert response.json() == unknown.json(), "a refusal looks exactly like an unknown visitor"
    assert response.json()["recommended_skus"] == []
    for value in _pii_of(warehouse, customer_id):
        assert value.lower() not in response.text.lower()


def test_withdrawing_consent_in_the_store_turns_personalisation_off(
    published: Published, warehouse, store_db, tmp_path
):
    anonymous_id, customer_id = _visitor(warehouse, store_db, granted=True)
    store = tmp_path / "serving.sqlite"
    store_db.backup(copy := sqlite3.connect(store))
    client = TestClient(create_app(ApiSettings(store=store, tokens=(TOKEN,), allowed_origins=(SHOP_ORIGIN,))))
    assert _personalize(client, anonymous_id).json()["personalized"] is True

    refused = json.dumps({"personalisation": {"email": False, "sms": True, "web_push": True}})
    copy.execute("begin")
    apply_changes(copy, "consents", [(customer_id, refused, "edited")], [])
    copy.execute("commit")

    assert _personalize(client, anonymous_id).json()["personalized"] is False
    copy.execute("begin")
    apply_changes(copy, "consents", [], [(customer_id,)])
    copy.execute("commit")
    assert _personalize(client, anonymous_id).json()["personalized"] is False, "no consent row means no"


def test_cors_headers_only_for_configured_origins(client, warehouse, store_db) -> None:
    anonymous_id, _ = _visitor(warehouse, store_db, granted=True)
    allowed = _personalize(client, anonymous_id, SHOP_ORIGIN)
    assert allowed.headers["access-control-allow-origin"] == SHOP_ORIGIN
    assert "Origin" in allowed.headers["vary"]
    for origin in ("https://evil.example", "https://shop.example.evil.example", None):
        response = _personalize(client, anonymous_id, origin)
        assert "access-control-allow-origin" not in response.headers, origin


def test_cors_preflight_is_answered_for_configured_origins_only(client) -> None:
    preflight = {"Access-Control-Request-Method": "GET"}
    ok = client.options("/v1/personalize", headers={"Origin": SHOP_ORIGIN, **preflight})
    assert ok.status_code == 204 and ok.headers["access-control-allow-origin"] == SHOP_ORIGIN
    refused = client.options("/v1/personalize", headers={"Origin": "https://evil.example", **preflight})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers


def test_server_side_endpoints_send_no_cors_headers(client, warehouse) -> None:
    customer_id = warehouse.execute("select min(customer_id) from marts.customer_profiles").fetchone()[0]
    response = client.get(
        f"/v1/profiles/customer_id:{customer_id}",
        headers={"Authorization": f"Bearer {TOKEN}", "Origin": SHOP_ORIGIN},
    )
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_personalize_needs_an_anonymous_id(client) -> None:
    assert client.get("/v1/personalize").status_code == 400


@pytest.mark.parametrize(
    "consents,expected",
    [
        (None, False),
        ({}, False),
        ({"marketing": {"email": True}}, False),
        ({"personalisation": {"email": True, "web_push": True}}, True),
        ({"personalisation": {"email": True, "web_push": False}}, False),
    ],
    ids=["no_document", "empty", "other_purpose_only", "granted_everywhere", "refused_on_one_channel"],
)
def test_consent_rule(consents, expected) -> None:
    assert has_consent(consents) is expected


def test_holdout_members_are_not_flagged_and_slots_follow_the_yaml() -> None:
    config = load_config()
    answer = decide(
        config,
        {"favourite_category": "knitwear", "primary_email": "ann@example.com"},
        [{"segment": "win_back", "is_holdout": True}, {"segment": "cart_abandoners", "is_holdout": False}],
        [{"sku": f"SKU-{i}"} for i in range(10)],
    )
    assert answer["segments"]["win_back"] is False
    assert answer["segments"]["cart_abandoners"] is True
    assert answer["slots"] == {"hero_banner": "hero-knitwear-autumn", "promo_strip": "promo-complete-your-order"}
    assert answer["recommended_skus"] == [f"SKU-{i}" for i in range(config.recommendation_limit)]
    assert "ann@example.com" not in json.dumps(answer)


def test_a_slot_keyed_on_a_personal_field_is_refused(tmp_path) -> None:
    from serving.errors import PersonalizationConfigError

    path = tmp_path / "p.yml"
    path.write_text("slots:\n  hero_banner:\n    by: primary_email\n    default: x\n")
    with pytest.raises(PersonalizationConfigError, match="`primary_email`"):
        load_config(path)


def test_onsite_content_from_a_flow_reaches_the_visitor_with_consent_only(warehouse, store_db, tmp_path) -> None:
    """A flow's on-site send (automation/channels/onsite.py) is served to the visitor's browser while fresh,
    once per firing id, as a content id only; a visitor without consent sees the default answer."""
    from automation.channels.base import Delivery
    from automation.channels.onsite import OnsiteChannel
    from automation.errors import ChannelError

    store = tmp_path / "serving.sqlite"
    store_db.backup(copy := sqlite3.connect(store))
    copy.close()
    client = TestClient(create_app(ApiSettings(store=store, tokens=(TOKEN,), allowed_origins=(SHOP_ORIGIN,))))
    anonymous_id, customer_id = _visitor(warehouse, store_db, granted=True)
    refused_anonymous_id, refused_customer_id = _visitor(warehouse, store_db, granted=False)
    assert _personalize(client, anonymous_id).json()["onsite"] == []  # before any flow wrote: no table

    channel = OnsiteChannel(store)
    for firing_id, who in (("f1", customer_id), ("f1", customer_id), ("f2", refused_customer_id)):
        channel.send(Delivery(firing_id, "cart_abandonment", "banner", who, {"body": "cart_reminder:NH-1"}))
    with pytest.raises(ChannelError, match="content id") as refused_text:
        channel.send(Delivery("f3", "cart_abandonment", "banner", customer_id, {"body": "Hi Ann, ann@x.nl"}))
    assert not refused_text.value.retryable

    assert _personalize(client, anonymous_id).json()["onsite"] == ["cart_reminder:NH-1"]  # once, not twice
    assert _personalize(client, refused_anonymous_id).json()["onsite"] == []
    OnsiteChannel(store, ttl_s=-1).send(Delivery("f1", "cart_abandonment", "banner", customer_id, {"body": "x"}))
    assert _personalize(client, anonymous_id).json()["onsite"] == [], "an expired decision is not served"
