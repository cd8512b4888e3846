"""Probabilistic matching (cdp/matching, Splink): scoring with the committed model, and the identity
graph's probabilistic tier on a generated warehouse with many hand-typed duplicates (noise kind
fuzzy_duplicate): typo'd emails join their person, limits hold, review decisions survive a full rebuild,
and the saved model is reused."""

from __future__ import annotations

import json
import math
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cdp.build import run_dbt
from cdp.config import PROJECT_ROOT, Settings
from cdp.generate import NoiseConfig, generate
from cdp.matching.model import Thresholds, load_model, score
from cdp.matching.review import ReviewError, decide, queue
from cdp.matching.run import match
from cdp.pipeline import ingest

MODEL = PROJECT_ROOT / "matching" / "model.json"
ACCEPT = Thresholds().accept


def _features(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df["email_local"] = df["email"].str.split("@").str[0]
    df["email_domain"] = df["email"].str.split("@").str[1]
    return df


def _probability(rows: list[dict]) -> float:
    pairs = score([_features(rows)], load_model(MODEL), threshold=0.0)
    assert len(pairs) == 1, pairs
    return float(pairs["match_probability"].iloc[0])


BASE = {"phone": None, "city": None, "country_code": "NL"}


def test_typo_in_email_scores_above_accept():
    p = _probability(
        [
            {
                **BASE,
                "unique_id": "shop/customers/1",
                "first_name": "sanne",
                "last_name": "visser",
                "email": "sanne.visser@gmail.com",
                "phone": "+31612345678",
                "city": "utrecht",
            },
            {
                **BASE,
                "unique_id": "crm/contacts/2",
                "first_name": "sanne",
                "last_name": "visser",
                "email": "sanne.vsiser@gmail.com",
            },
        ]
    )
    assert p >= ACCEPT


def test_same_common_name_and_city_is_not_a_match():
    p = _probability(
        [
            {
                **BASE,
                "unique_id": "shop/customers/1",
                "first_name": "jan",
                "last_name": "de jong",
                "email": "jan.dejong@gmail.com",
                "phone": "+31611111111",
                "city": "amsterdam",
            },
            {
                **BASE,
                "unique_id": "shop/customers/2",
                "first_name": "jan",
                "last_name": "de jong",
                "email": "jdejong77@hotmail.com",
                "phone": "+31622222222",
                "city": "amsterdam",
            },
        ]
    )
    assert p < Thresholds().review


def test_model_for_other_columns_is_refused():
    from cdp.matching.model import ModelMismatch

    df = pd.DataFrame({"unique_id": ["a", "b"], "first_name": ["x", "x"], "last_name": ["y", "y"]})
    with pytest.raises(ModelMismatch):
        score([df], load_model(MODEL))


# ------------------------------------------------------------------ the graph on a generated warehouse
@pytest.fixture(scope="module")
def fuzzy_warehouse(tmp_path_factory) -> tuple[Settings, Path]:
    root: Path = tmp_path_factory.mktemp("fuzzy")
    settings = Settings(
        duckdb_path=root / "warehouse.duckdb", landing_dir=root / "landing", pipelines_dir=root / "pipelines"
    )
    generate(
        settings.landing_dir, customers=300, seed=7, end_date=date(2026, 11, 1), noise=NoiseConfig(fuzzy_duplicate=0.3)
    )
    ingest(settings)
    model_path = root / "model.json"
    shutil.copy(MODEL, model_path)
    run_dbt(settings, "run", ["--select", "+int_match_features"], quiet=True)
    result = match(settings, model_path=model_path)
    assert not result.trained and result.accepted > 0
    run_dbt(settings, "build", ["--vars", "{identity_probabilistic_edges: true}"], quiet=True)
    return settings, model_path


def _truth(settings: Settings) -> dict[str, str]:
    rows = pd.read_csv(settings.landing_dir / "_ground_truth" / "records.csv", dtype=str)
    return dict(
        zip(
            rows["source"] + "/" + rows["source_table"] + "/" + rows["source_record_id"], rows["person_id"], strict=True
        )
    )


def _customers(settings: Settings) -> dict[str, str]:
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        rows = conn.execute(
            "select source || '/' || source_table || '/' || source_record_id, customer_id"
            " from marts.customer_source_records"
        ).fetchall()
    return dict(rows)


def _fuzzy_contacts(settings: Settings) -> list[str]:
    """The hand-typed CRM contacts: ids far above every other contact's (cdp/generate model.py)."""
    ids = sorted(int(k.split("/")[2]) for k in _truth(settings) if k.startswith("crm/contacts/"))
    gap = next(b for a, b in zip(ids, ids[1:], strict=False) if b - a > 50_000)
    return [f"crm/contacts/{i}" for i in ids if i >= gap]


def test_typoed_email_contact_joins_its_person(fuzzy_warehouse):
    settings, _ = fuzzy_warehouse
    truth, customers = _truth(settings), _customers(settings)
    fuzzy = _fuzzy_contacts(settings)
    assert len(fuzzy) > 30
    joined = 0
    for key in fuzzy:
        person = truth[key]
        others = [k for k, p in truth.items() if p == person and k != key and k in customers]
        if any(customers[k] == customers[key] for k in others):
            joined += 1
    # without the probabilistic tier none of them shares a customer (no clean identifier in common)
    assert joined / len(fuzzy) >= 0.8, (joined, len(fuzzy))


def test_probabilistic_edges_join_only_one_persons_records(fuzzy_warehouse):
    """The admitted probabilistic edges (after every guard and limit) join one person's records: at most
    2% of them may be wrong on this warehouse where 30% of customers have a hand-typed duplicate."""
    settings, _ = fuzzy_warehouse
    truth = _truth(settings)
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        links = conn.execute(
            "select distinct links.record_key_l, links.record_key_r"
            " from intermediate.int_identity_match_links as links"
            " inner join intermediate.int_identity_edges_judged as edges"
            " on edges.source = 'matching' and edges.source_record_id = links.record_key_l || ' ' || links.record_key_r"
            " where edges.is_admitted"
        ).fetchall()
    assert len(links) > 30
    wrong = [(a, b) for a, b in links if truth.get(a) != truth.get(b)]
    assert len(wrong) <= len(links) * 0.02, wrong


def test_probabilistic_link_never_joins_two_user_ids(fuzzy_warehouse):
    """A must-link between two shop customers (two user ids) is refused by the limit, with its reason."""
    settings, _ = fuzzy_warehouse
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        shop = [
            r[0]
            for r in conn.execute(
                "select source_record_key from intermediate.int_match_features where source = 'shop'"
                " order by source_record_key limit 2"
            ).fetchall()
        ]
    decide(settings, shop[0], shop[1], "must_link", note="test: two accounts")
    run_dbt(
        settings,
        "build",
        ["--select", "int_identity_match_links+", "--vars", "{identity_probabilistic_edges: true}"],
        quiet=True,
    )
    customers = _customers(settings)
    assert customers[shop[0]] != customers[shop[1]]
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        reasons = conn.execute(
            "select rejection_reason from intermediate.int_identity_edges_judged"
            " where source = 'matching' and source_record_id = ?",
            [f"{shop[0]} {shop[1]}"],
        ).fetchall()
        over = conn.execute(
            "select count(*) from (select customer_id from marts.customer_identities"
            " where identifier_type = 'user_id' group by customer_id having count(*) > 1)"
        ).fetchall()[0][0]
    assert reasons and all("user_id" in r[0] for r in reasons), reasons
    assert over == 0


def test_review_decisions_survive_a_full_rebuild(fuzzy_warehouse):
    settings, _ = fuzzy_warehouse
    truth, customers = _truth(settings), _customers(settings)
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        accepted = conn.execute(
            "select record_key_l, record_key_r from intermediate.int_identity_match_links"
            " where link_status = 'accepted' and review_decision is null order by 1, 2"
        ).fetchall()
        queued = conn.execute(
            "select record_key_l, record_key_r from intermediate.int_identity_match_links"
            " where link_status in ('review', 'rejected') and review_decision is null order by 1, 2"
        ).fetchall()
    # cannot-link: a fuzzy contact's only link to its person
    fuzzy = set(_fuzzy_contacts(settings))
    links_of: dict[str, int] = {}
    for a, b in accepted:
        for key in (a, b):
            links_of[key] = links_of.get(key, 0) + 1
    cut = next((a, b) for a, b in accepted if (a in fuzzy) != (b in fuzzy) and links_of[a if a in fuzzy else b] == 1)
    # must-link: a pair of one person's records the matcher did not accept, in two customers
    far = next(
        (a, b)
        for a, b in queued
        if truth.get(a) == truth.get(b) and customers.get(a) != customers.get(b) and a not in cut and b not in cut
    )
    decide(settings, *cut, "cannot_link", note="test")
    decide(settings, *far, "must_link", note="test")
    run_dbt(settings, "build", ["--full-refresh", "--vars", "{identity_probabilistic_edges: true}"], quiet=True)
    customers = _customers(settings)
    assert customers[far[0]] == customers[far[1]]
    fuzzy_key = cut[0] if cut[0] in fuzzy else cut[1]
    other_key = cut[1] if fuzzy_key == cut[0] else cut[0]
    assert customers[fuzzy_key] != customers[other_key]
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        reason = conn.execute(
            "select rejection_reason from marts.identity_rejections where rejected_kind = 'match_link'"
            " and source_record_key = ?",
            [f"matching/identity_match_candidates/{cut[0]} {cut[1]}"],
        ).fetchall()
    assert reason and reason[0][0].startswith("cannot-link")


def test_saved_model_is_reused_and_retrained_on_demand(fuzzy_warehouse):
    settings, model_path = fuzzy_warehouse
    before = model_path.read_bytes()
    again = match(settings, model_path=model_path)
    assert not again.trained and model_path.read_bytes() == before
    retrained = match(settings, retrain=True, model_path=model_path)
    assert retrained.trained
    assert json.loads(model_path.read_text())["cdp"]["columns"]
    assert match(settings, model_path=model_path).trained is False


def test_review_rejects_unknown_records_and_decisions(fuzzy_warehouse):
    settings, _ = fuzzy_warehouse
    with pytest.raises(ReviewError):
        decide(settings, "crm/contacts/nope", "crm/contacts/nope2", "must_link")
    with pytest.raises(ReviewError):
        decide(settings, "a", "b", "maybe")
    for item in queue(settings, 5):
        assert Thresholds().review <= item.match_probability < ACCEPT
        assert item.left and item.right and item.contributions


def test_explain_shows_the_waterfall_of_a_probabilistic_edge(fuzzy_warehouse):
    from cdp.identity.explain import explain

    settings, _ = fuzzy_warehouse
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        customer = conn.execute(
            "select customer_id from marts.customer_identity_links where source = 'matching' limit 1"
        ).fetchall()[0][0]
        result = explain(conn, customer)
    matching = [link for link in result.links if link.source == "matching"]
    assert matching
    waterfall = result.waterfalls[matching[0].source_record_id]
    # the weights add up from the model's prior, log2(lambda / (1 - lambda))
    lam = load_model(MODEL)["probability_two_random_records_match"]
    assert waterfall.steps and abs(waterfall.prior_weight - math.log2(lam / (1 - lam))) < 0.01
    assert 1 / (1 + 2**-waterfall.match_weight) == pytest.approx(waterfall.match_probability, abs=1e-6)
    assert any(name == "email" for name, _, _ in waterfall.steps)
