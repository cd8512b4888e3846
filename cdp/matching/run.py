"""`cdp match`: read `int_match_features` from the warehouse, reuse (or train) the saved model, score the
blocked pairs and replace `matching.identity_match_candidates`. The dbt project reads that table as a
source (models/staging/matching/), so `dbt build` alone uses the last scored links."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from cdp.config import PROJECT_ROOT, Settings
from cdp.matching.model import ModelMismatch, Thresholds, load_model, model_id, save_model, score, train

log = logging.getLogger(__name__)

MODEL_PATH = PROJECT_ROOT / "matching" / "model.json"
SCHEMA = "matching"
CANDIDATES = "identity_match_candidates"
DECISIONS = "identity_review_decisions"
# pairs below this probability are not kept (they are neither links nor worth reviewing)
KEEP_FLOOR = 0.5

DECISIONS_DDL = (
    f"create table if not exists {SCHEMA}.{DECISIONS} ("
    " record_key_l varchar not null, record_key_r varchar not null, decision varchar not null,"
    " decided_by varchar, note varchar, decided_at timestamp not null)"
)


@dataclass
class MatchResult:
    records: int
    comparisons: int
    candidates: int
    accepted: int
    review: int
    trained: bool
    model_id: str
    seconds: float
    skipped: dict[str, tuple[int, int]] = field(default_factory=dict)  # key -> (blocks, pairs) too large


def features_relation(conn: duckdb.DuckDBPyConnection) -> str | None:
    rows = conn.execute(
        "select table_schema from information_schema.tables where table_name = 'int_match_features'"
        " order by table_schema"
    ).fetchall()
    return f"{rows[0][0]}.int_match_features" if rows else None


def read_features(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    relation = features_relation(conn)
    if relation is None:
        return pd.DataFrame(columns=["unique_id"])
    return conn.execute(
        f"select source_record_key as unique_id, * exclude (source_record_key, source, observed_at) from {relation}"
    ).df()


def ensure_tables(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(f"create schema if not exists {SCHEMA}")
    conn.execute(
        f"create table if not exists {SCHEMA}.{CANDIDATES} ("
        " record_key_l varchar, record_key_r varchar, match_probability double, match_weight double,"
        " contributions varchar, model_id varchar, scored_at timestamp)"
    )
    conn.execute(DECISIONS_DDL)


def match(
    settings: Settings,
    retrain: bool = False,
    model_path: Path = MODEL_PATH,
    thresholds: Thresholds = Thresholds(),
) -> MatchResult:
    """Score the warehouse's match features. Trains only when there is no saved model, when `retrain`, or
    when the saved model compares columns the data no longer has."""
    started = time.monotonic()
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        ensure_tables(conn)
        df = read_features(conn)
        model = None if retrain else load_model(model_path)
        trained = False
        result = pd.DataFrame()
        if len(df) >= 2:
            if model is not None:
                try:
                    result = score([df], model, threshold=KEEP_FLOOR)
                except ModelMismatch as exc:
                    log.warning("%s", exc)
                    model = None
            if model is None:
                model = train([df])
                save_model(model, model_path)
                trained = True
                result = score([df], model, threshold=KEEP_FLOOR)
        rows = candidate_rows(result, model_id(model) if model else "")
        conn.execute(f"delete from {SCHEMA}.{CANDIDATES}")
        if len(rows):
            conn.register("scored_pairs", rows)
            conn.execute(f"insert into {SCHEMA}.{CANDIDATES} select * from scored_pairs")
            conn.unregister("scored_pairs")
    accepted = int((rows["match_probability"] >= thresholds.accept).sum()) if len(rows) else 0
    review = int(((rows["match_probability"] >= thresholds.review)
                  & (rows["match_probability"] < thresholds.accept)).sum()) if len(rows) else 0
    return MatchResult(
        records=len(df), comparisons=int(result.attrs.get("comparisons", 0)), candidates=len(rows),
        accepted=accepted, review=review, trained=trained, model_id=model_id(model) if model else "",
        seconds=round(time.monotonic() - started, 2), skipped=dict(result.attrs.get("skipped", {})),
    )


def candidate_rows(pairs: pd.DataFrame, mid: str) -> pd.DataFrame:
    """Pairs in canonical order (l < r); a pair that already shares its email is the deterministic rules'
    business and is left out."""
    cols = ["record_key_l", "record_key_r", "match_probability", "match_weight", "contributions", "model_id",
            "scored_at"]
    if not len(pairs):
        return pd.DataFrame(columns=cols)
    if "same_email" in pairs.columns:
        pairs = pairs[~pairs["same_email"].astype(bool)]
    left = pairs["unique_id_l"].astype(str)
    right = pairs["unique_id_r"].astype(str)
    out = pd.DataFrame({
        "record_key_l": left.where(left < right, right),
        "record_key_r": right.where(left < right, left),
        "match_probability": pairs["match_probability"],
        "match_weight": pairs["match_weight"],
        "contributions": pairs["contributions"],
    })
    out["model_id"] = mid
    out["scored_at"] = datetime.now(UTC).replace(tzinfo=None)
    return out.drop_duplicates(["record_key_l", "record_key_r"]).reset_index(drop=True)[cols]
