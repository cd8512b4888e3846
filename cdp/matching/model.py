"""The Fellegi-Sunter model: Splink settings from the feature columns a data set has, EM training, saving
and reusing the trained model as JSON, and scoring candidate pairs with per-comparison contributions.

One code path for every data set: the demo's `int_match_features`, the Febrl benchmarks and the scale
benchmark all call `train` / `score` with a pandas frame of the feature columns below (absent or all-null
columns are left out of the model), keyed by `unique_id` (and `source_dataset` for a link between two
data sets)."""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

log = logging.getLogger(__name__)

# feature column -> what it holds; every one is optional
FEATURES = {
    "first_name": "lower-case given name",
    "last_name": "lower-case family name",
    "email": "normalised email address",
    "email_local": "email part before @ (blocking only)",
    "email_domain": "email part after @ (blocking only)",
    "phone": "E.164 phone",
    "date_of_birth": "date of birth as YYYYMMDD text",
    "address_line": "street and number",
    "postcode": "postcode",
    "city": "lower-case city",
    "country_code": "ISO country",
    "national_id": "a national id number (Febrl's soc_sec_id)",
}
BLOCKING_ONLY = ("email_local", "email_domain")


@dataclass(frozen=True)
class Thresholds:
    """Match probability cut-offs. `accept`: a link becomes a probabilistic edge; `review`: between review
    and accept it goes to the review queue; `strict`: needed to join two components that each hold a
    different strong identifier."""

    accept: float = 0.99
    review: float = 0.80
    strict: float = 0.995


class ModelMismatch(ValueError):
    """The saved model was trained on other feature columns than the data now has."""


def usable_columns(df: pd.DataFrame) -> list[str]:
    """Feature columns present with at least one value."""
    return [c for c in FEATURES if c in df.columns and df[c].notna().any()]


def _comparisons(cols: list[str]) -> list:
    import splink.comparison_library as cl

    out = []
    if "first_name" in cols and "last_name" in cols:
        # exact, swapped, fuzzy on both, one exact: catches nicknames' surnames and swapped order
        out.append(cl.ForenameSurnameComparison("first_name", "last_name"))
    else:
        for c in ("first_name", "last_name"):
            if c in cols:
                out.append(cl.NameComparison(c))
    if "email" in cols:
        # one or two edits (a typo, a transposition) in a whole address is rare between two people
        out.append(cl.DamerauLevenshteinAtThresholds("email", [1, 2]))
    if "phone" in cols:
        out.append(cl.DamerauLevenshteinAtThresholds("phone", [1, 2]))
    if "date_of_birth" in cols:
        out.append(cl.DamerauLevenshteinAtThresholds("date_of_birth", [1, 2]))
    if "address_line" in cols:
        out.append(cl.JaroWinklerAtThresholds("address_line", [0.95, 0.85]))
    if "postcode" in cols:
        out.append(cl.DamerauLevenshteinAtThresholds("postcode", [1]))
    if "city" in cols:
        out.append(cl.JaroWinklerAtThresholds("city", [0.92]))
    if "country_code" in cols:
        out.append(cl.ExactMatch("country_code"))
    if "national_id" in cols:
        out.append(cl.DamerauLevenshteinAtThresholds("national_id", [1, 2]))
    return out


# (columns needed, SQL over l. and r.): each rule is a cheap equi-join; their union is the candidate set
_BLOCKING = (
    (("first_name", "last_name"), "l.first_name = r.first_name and l.last_name = r.last_name"),
    (("first_name", "last_name"), "l.first_name = r.last_name and l.last_name = r.first_name"),
    (("email_local", "email_domain"),
     "l.email_domain = r.email_domain and substr(l.email_local, 1, 3) = substr(r.email_local, 1, 3)"),
    (("email_local", "email_domain"),
     "l.email_domain = r.email_domain and substr(l.email_local, -3) = substr(r.email_local, -3)"),
    (("phone",), "l.phone = r.phone"),
    (("date_of_birth", "first_name"),
     "l.date_of_birth = r.date_of_birth and substr(l.first_name, 1, 1) = substr(r.first_name, 1, 1)"),
    (("postcode", "last_name"), "l.postcode = r.postcode and substr(l.last_name, 1, 2) = substr(r.last_name, 1, 2)"),
    (("national_id",), "l.national_id = r.national_id"),
    (("date_of_birth", "last_name"),
     "l.date_of_birth = r.date_of_birth and substr(l.last_name, 1, 1) = substr(r.last_name, 1, 1)"),
    (("postcode", "first_name"),
     "l.postcode = r.postcode and substr(l.first_name, 1, 2) = substr(r.first_name, 1, 2)"),
    (("address_line",), "l.address_line = r.address_line"),
    (("city", "first_name"), "l.city = r.city and l.first_name = r.first_name"),
    (("national_id", "date_of_birth"),
     "substr(l.national_id, 1, 3) = substr(r.national_id, 1, 3)"
     " and substr(l.date_of_birth, 1, 4) = substr(r.date_of_birth, 1, 4)"),
)


def blocking_rules(cols: list[str]) -> list[str]:
    return [sql for need, sql in _BLOCKING if all(c in cols for c in need)]


def settings_dict(cols: list[str], link_type: str = "dedupe_only") -> dict[str, Any]:
    from splink import SettingsCreator
    from splink.blocking_rule_library import CustomRule

    creator = SettingsCreator(
        link_type=link_type,
        comparisons=_comparisons(cols),
        blocking_rules_to_generate_predictions=[CustomRule(sql) for sql in blocking_rules(cols)],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=False,
        additional_columns_to_retain=[],
    )
    return creator.create_settings_dict(sql_dialect_str="duckdb")


def _db_api(connection=None):
    import duckdb
    from splink import DuckDBAPI

    return DuckDBAPI(connection if connection is not None else duckdb.connect(":memory:"))


def _linker(frames: list[pd.DataFrame], settings, db_api):
    from splink import Linker

    registered = [db_api.register(f, table_name=f"features_{i}") for i, f in enumerate(frames)]
    return Linker(registered if len(registered) > 1 else registered[0], settings, log_level=logging.ERROR)


def _frame(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    keep = ["unique_id", *(["source_dataset"] if "source_dataset" in df.columns else []),
            *[c for c in FEATURES if c in df.columns and (c in cols or c in BLOCKING_ONLY)]]
    out = df[keep].copy()
    for c in keep:
        out[c] = out[c].astype("string")
    return out


def train(frames: list[pd.DataFrame], recall: float = 0.8, max_pairs: float = 2e6, seed: int = 7) -> dict:
    """EM-train a model on one frame (dedupe) or two (link). Returns the Splink settings with the trained
    m and u probabilities (the JSON that is saved and reused)."""
    from splink.blocking_rule_library import CustomRule

    cols = usable_columns(pd.concat(frames, ignore_index=True))
    if not _comparisons(cols):
        raise ValueError(f"no feature columns to compare (have {sorted(frames[0].columns)})")
    link_type = "dedupe_only" if len(frames) == 1 else "link_only"
    linker = _linker([_frame(f, cols) for f in frames], settings_dict(cols, link_type), _db_api())
    # prior: how many pairs would a near-certain rule find, given it finds `recall` of the matches
    deterministic = [r for r in ("l.email = r.email", "l.national_id = r.national_id") if r.split(".")[1].split(" ")[0]
                     in cols]
    if not deterministic:
        deterministic = [blocking_rules(cols)[0]]
    linker.training.estimate_probability_two_random_records_match(
        [CustomRule(r) for r in deterministic], recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    # two EM sessions whose blocking columns differ, so every comparison is estimated in one of them
    sessions = []
    if "first_name" in cols and "last_name" in cols:
        sessions.append("l.first_name = r.first_name and l.last_name = r.last_name")
    for need, sql in (("email", "l.email = r.email"), ("date_of_birth", "l.date_of_birth = r.date_of_birth"),
                      ("phone", "l.phone = r.phone"), ("postcode", "l.postcode = r.postcode")):
        if need in cols and len(sessions) < 4:
            sessions.append(sql)
    for sql in sessions:
        linker.training.estimate_parameters_using_expectation_maximisation(CustomRule(sql))
    model = linker.misc.save_model_to_json()
    model["cdp"] = {"columns": cols, "link_type": link_type}
    return model


def _level_weights(comparison: dict) -> list[tuple[str, float]]:
    out = []
    for level in comparison["comparison_levels"]:
        label = level.get("label_for_charts", level.get("sql_condition", ""))
        if level.get("is_null_level"):
            out.append((label, 0.0))
            continue
        m, u = level.get("m_probability"), level.get("u_probability")
        if m and u:
            out.append((label, math.log2(m / u)))
    return out or [("", 0.0)]


def model_id(model: dict) -> str:
    return hashlib.sha256(json.dumps(model, sort_keys=True).encode()).hexdigest()[:12]


def save_model(model: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load_model(path: Path) -> dict | None:
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def comparison_names(model: dict) -> list[str]:
    return [c["output_column_name"] for c in model["comparisons"]]


def score(frames: list[pd.DataFrame], model: dict, threshold: float = 0.5) -> pd.DataFrame:
    """Score the blocked candidate pairs with a trained model. One row per pair with
    match_probability >= threshold: unique_id_l, unique_id_r (and source_dataset_l/_r for a link),
    match_probability, match_weight, contributions (JSON: comparison -> {level, weight}) and
    the number of compared pairs in `attrs['comparisons']`."""
    cols = model["cdp"]["columns"]
    present = usable_columns(pd.concat(frames, ignore_index=True))
    missing = [c for c in cols if c not in present]
    if missing:
        raise ModelMismatch(f"the saved model compares {missing}, which the data no longer has: retrain")
    settings = {k: v for k, v in model.items() if k != "cdp"}
    db_api = _db_api()
    linker = _linker([_frame(f, cols) for f in frames], settings, db_api)
    pairs = linker.inference.predict(threshold_match_probability=threshold).as_pandas_dataframe()
    names = comparison_names(model)
    level_weights = {c["output_column_name"]: _level_weights(c) for c in model["comparisons"]}

    def contributions(row) -> str:
        out = {}
        for n in names:
            weight = float(row[f"mw_{n}"])
            tf = float(row[f"mw_tf_adj_{n}"]) if f"mw_tf_adj_{n}" in row.index else 0.0
            # the level whose trained weight this is (Splink returns weights, not level numbers)
            label = min(level_weights[n], key=lambda lw: abs(lw[1] - weight))[0]
            out[n] = {"level": label, "weight": round(weight + tf, 3)}
        return json.dumps(out, sort_keys=True)

    keep = [c for c in ("source_dataset_l", "source_dataset_r", "unique_id_l", "unique_id_r") if c in pairs.columns]
    out = pairs[keep].copy()
    out["match_probability"] = pairs["match_probability"].astype(float)
    out["match_weight"] = pairs["match_weight"].astype(float)
    out["contributions"] = pairs.apply(contributions, axis=1) if len(pairs) else pd.Series(dtype="string")
    out.attrs["comparisons"] = count_comparisons(frames, cols)
    return out.reset_index(drop=True)


def count_comparisons(frames: list[pd.DataFrame], cols: list[str]) -> int:
    """How many distinct pairs the blocking rules generate (what scoring has to compare)."""
    import duckdb

    conn = duckdb.connect(":memory:")
    for i, f in enumerate(frames):
        conn.register(f"f{i}", _frame(f, cols))
    rules = blocking_rules(cols)
    if len(frames) == 1:
        join = "from f0 as l inner join f0 as r on l.unique_id < r.unique_id and ({})"
    else:
        join = "from f0 as l inner join f1 as r on ({})"
    sql = " union ".join(f"select l.unique_id as a, r.unique_id as b {join.format(rule)}" for rule in rules)
    return int(conn.execute(f"select count(*) from ({sql})").fetchall()[0][0])
