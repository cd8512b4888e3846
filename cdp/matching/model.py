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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdp.matching import blocking

log = logging.getLogger(__name__)

# feature column -> what it holds; every one is optional
FEATURES = {
    "first_name": "lower-case given name",
    "last_name": "lower-case family name",
    "email": "normalised email address",
    "email_local": "email part before @ (blocking only)",
    "email_domain": "email part after @ (blocking only)",
    "email_letters": "email with only its letters and @ (tells a typo from a namesake's address)",
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


def _date_of_birth_comparison():
    """Birth dates (YYYYMMDD text): exact, day and month swapped, one or two digits off, else. A
    different birth date is strong evidence of two people, a missing one none."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    swapped = (
        "substr(date_of_birth_l, 1, 4) = substr(date_of_birth_r, 1, 4)"
        " and substr(date_of_birth_l, 5, 2) = substr(date_of_birth_r, 7, 2)"
        " and substr(date_of_birth_l, 7, 2) = substr(date_of_birth_r, 5, 2)"
    )
    return cl.CustomComparison(
        output_column_name="date_of_birth",
        comparison_levels=[
            cll.NullLevel("date_of_birth"),
            cll.ExactMatchLevel("date_of_birth"),
            cll.CustomLevel(swapped, label_for_charts="day and month swapped", base_dialect_str="duckdb"),
            cll.DamerauLevenshteinLevel("date_of_birth", 1),
            cll.DamerauLevenshteinLevel("date_of_birth", 2),
            cll.ElseLevel(),
        ],
    )


def _address_comparison():
    """Street addresses: exact, a typo in the street with the same house number, Jaro-Winkler >= 0.95, >= 0.85, else.
    The house-number level first: `kerkstraat 12` and `kerkstraat 21` are one transposition apart and two
    households."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    same_number = (
        "regexp_extract(address_line_l, '([0-9]+)', 1) = regexp_extract(address_line_r, '([0-9]+)', 1)"
    )
    return cl.CustomComparison(
        output_column_name="address_line",
        comparison_levels=[
            cll.NullLevel("address_line"),
            cll.ExactMatchLevel("address_line"),
            cll.And(
                cll.CustomLevel(same_number, label_for_charts="same house number", base_dialect_str="duckdb"),
                cll.DamerauLevenshteinLevel("address_line", 2),
            ).configure(label_for_charts="same house number, street within two edits"),
            # typos anywhere (Febrl's addresses); on the demo's short street lists this level also holds
            # neighbours, and EM weighs it accordingly
            cll.JaroWinklerLevel("address_line", 0.95),
            cll.JaroWinklerLevel("address_line", 0.85),
            cll.ElseLevel(),
        ],
    )


def _swapped_names_close(threshold: float):
    """A level: first and last name swapped, each within Jaro-Winkler `threshold` of the other's (a form
    filled in the wrong order, with a typo). Rendered per SQL dialect, like Splink's own levels."""
    from splink.internals.comparison_level_creator import ComparisonLevelCreator

    class SwappedNamesClose(ComparisonLevelCreator):
        def create_sql(self, sql_dialect) -> str:
            jw = sql_dialect.jaro_winkler_function_name
            return (f'{jw}("first_name_l", "last_name_r") >= {threshold}'
                    f' and {jw}("last_name_l", "first_name_r") >= {threshold}')

        def create_label_for_charts(self) -> str:
            return f"swapped, Jaro-Winkler >= {threshold}"

    return SwappedNamesClose()


def _name_comparison():
    """First and last name together, as Splink's ForenameSurnameComparison (exact, swapped, both close,
    one exact: a nickname keeps the surname) with one more level: swapped and both close."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    first, last = "first_name", "last_name"
    levels = [
        cll.And(cll.NullLevel(first), cll.NullLevel(last)),
        cll.And(cll.ExactMatchLevel(first), cll.ExactMatchLevel(last)),
        cll.ColumnsReversedLevel(first, last, symmetrical=True),
        *[cll.And(cll.JaroWinklerLevel(first, t), cll.JaroWinklerLevel(last, t)) for t in (0.92, 0.88)],
        _swapped_names_close(0.88),
        cll.ExactMatchLevel(last),
        cll.ExactMatchLevel(first),
        cll.ElseLevel(),
    ]
    return cl.CustomComparison(output_column_name="first_name_last_name", comparison_levels=levels)


def _email_comparison():
    """Emails: exact, one or two edits that change a letter (a typo), else. Two people of one name get
    addresses one edit apart from the provider (`emma.smit@`, `emmasmit@`, `emma.smit2@`): an edit that
    only adds or drops a separator or a digit is no evidence of one person, so it falls to the last level."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    letters_differ = '"email_letters_l" <> "email_letters_r"'
    levels = [cll.NullLevel("email"), cll.ExactMatchLevel("email")]
    for edits in (1, 2):
        levels.append(cll.And(
            cll.DamerauLevenshteinLevel("email", edits),
            cll.CustomLevel(letters_differ, base_dialect_str="duckdb"),
        ).configure(label_for_charts=f"{edits} edit(s) changing a letter"))
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(output_column_name="email", comparison_levels=levels)


def _comparisons(cols: list[str]) -> list:
    import splink.comparison_library as cl

    out = []
    if "first_name" in cols and "last_name" in cols:
        out.append(_name_comparison())
    else:
        for c in ("first_name", "last_name"):
            if c in cols:
                out.append(cl.NameComparison(c))
    if "email" in cols and "email_letters" in cols:
        out.append(_email_comparison())
    elif "email" in cols:
        # one or two edits (a typo, a transposition) in a whole address is rare between two people
        out.append(cl.DamerauLevenshteinAtThresholds("email", [1, 2]))
    if "phone" in cols:
        # exact, or one edit (two digits transposed, one mistyped): E.164, so formatting is already gone
        out.append(cl.DamerauLevenshteinAtThresholds("phone", [1]))
    if "date_of_birth" in cols:
        out.append(_date_of_birth_comparison())
    if "address_line" in cols:
        out.append(_address_comparison())
    if "postcode" in cols:
        out.append(cl.DamerauLevenshteinAtThresholds("postcode", [1]))
    if "city" in cols:
        out.append(cl.JaroWinklerAtThresholds("city", [0.92, 0.85]))
    if "country_code" in cols:
        out.append(cl.ExactMatch("country_code"))
    if "national_id" in cols:
        out.append(cl.DamerauLevenshteinAtThresholds("national_id", [1, 2]))
    return out


def blocking_rules(cols: list[str]) -> list[str]:
    """The prediction blocking rules for these feature columns (cdp/matching/blocking.py)."""
    return blocking.rules(blocking.keys_for(cols))


def settings_dict(cols: list[str], link_type: str = "dedupe_only", dialect: str = "duckdb") -> dict[str, Any]:
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
    return creator.create_settings_dict(sql_dialect_str=dialect)


def _db_api(connection=None):
    import duckdb
    from splink import DuckDBAPI

    return DuckDBAPI(connection if connection is not None else duckdb.connect(":memory:"))


def _frame(df: pd.DataFrame) -> pd.DataFrame:
    """Id and every feature column the frame has, as text (the model compares some, blocking uses any)."""
    keep = ["unique_id", *(["source_dataset"] if "source_dataset" in df.columns else []),
            *[c for c in FEATURES if c in df.columns]]
    out = df[keep].copy()
    for c in keep:
        out[c] = out[c].astype("string")
    return out


@dataclass
class Blocked:
    """Feature tables with their capped blocking keys, in one DuckDB connection."""

    conn: Any
    tables: list[str]
    rules: list[str]
    comparisons: int
    skipped: dict[str, tuple[int, int]]  # key -> (blocks, pairs) left out for size


def block(frames: list[pd.DataFrame], max_block: int = blocking.MAX_BLOCK, conn=None) -> Blocked:
    """Register the frames, derive the capped blocking keys over all of them (a block spans both data sets
    of a link), count the comparisons the rules generate and the oversize blocks skipped."""
    import duckdb

    conn = conn if conn is not None else duckdb.connect(":memory:")
    prepared = [_frame(f) for f in frames]
    cols = usable_columns(pd.concat(prepared, ignore_index=True))
    columns = list(prepared[0].columns)
    keys = blocking.keys_for(cols)
    for i, f in enumerate(prepared):
        conn.register(f"cdp_frame_{i}", f[columns])
    union = " union all ".join(f"select * from cdp_frame_{i}" for i in range(len(prepared)))
    conn.execute(f"create or replace temp table cdp_features as {union}")
    for i in range(len(prepared)):
        conn.unregister(f"cdp_frame_{i}")
    keyed = blocking.keyed_sql("cdp_features", columns, keys, max_block)
    conn.execute(f"create or replace temp table cdp_keyed as {keyed}")
    skipped = {r[0]: (int(r[1]), int(r[2])) for r in
               conn.execute(blocking.skipped_sql("cdp_features", columns, keys, max_block)).fetchall()} if keys else {}
    conn.execute("drop table cdp_features")
    count = blocking.comparisons_sql("cdp_keyed", keys, link=len(prepared) > 1)
    comparisons = int(conn.execute(count).fetchall()[0][0])
    if len(prepared) == 1:
        tables = ["cdp_keyed"]
    else:
        tables = []
        for i, f in enumerate(prepared):
            dataset = f["source_dataset"].iloc[0]
            conn.execute(f"create or replace temp view cdp_keyed_{i} as select * from cdp_keyed"
                         f" where source_dataset = '{dataset}'")
            tables.append(f"cdp_keyed_{i}")
    return Blocked(conn, tables, blocking.rules(keys), comparisons, skipped)


def _linker(tables: list, settings, db_api):
    from splink import Linker

    registered = [db_api.register(t, table_name=f"features_{i}") for i, t in enumerate(tables)]
    return Linker(registered if len(registered) > 1 else registered[0], settings, log_level=logging.ERROR)


def with_rules(settings: dict, rules: list[str], dialect: str) -> dict:
    """Saved settings with today's blocking rules: blocking is code, not a trained parameter, and the
    rules name the key columns this run derived."""
    out = {k: v for k, v in settings.items() if k != "cdp"}
    out["blocking_rules_to_generate_predictions"] = [{"blocking_rule": r, "sql_dialect": dialect} for r in rules]
    out["sql_dialect"] = dialect
    # the compared values come back with each pair (e.g. to drop pairs that share their email)
    out["retain_matching_columns"] = True
    return out


def train(frames: list[pd.DataFrame], recall: float = 0.8, max_pairs: float = 2e6, seed: int = 7) -> dict:
    """EM-train a model on one frame (dedupe) or two (link). Returns the Splink settings with the trained
    m and u probabilities (the JSON that is saved and reused)."""
    from splink.blocking_rule_library import CustomRule

    cols = usable_columns(pd.concat(frames, ignore_index=True))
    if not _comparisons(cols):
        raise ValueError(f"no feature columns to compare (have {sorted(frames[0].columns)})")
    link_type = "dedupe_only" if len(frames) == 1 else "link_only"
    blocked = block(frames)
    linker = _linker(blocked.tables, settings_dict(cols, link_type), _db_api(blocked.conn))
    # prior: how many pairs would a near-certain rule find, given it finds `recall` of the matches
    deterministic = [r for r in ("l.email = r.email", "l.national_id = r.national_id") if r.split(".")[1].split(" ")[0]
                     in cols]
    if not deterministic:
        deterministic = ["l.first_name = r.first_name and l.last_name = r.last_name"]
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
    with _em_allows_zero_m():
        for sql in sessions:
            linker.training.estimate_parameters_using_expectation_maximisation(CustomRule(sql))
    model = _floor_probabilities(linker.misc.save_model_to_json())
    model["cdp"] = {"columns": cols, "link_type": link_type}
    return model


# the least m or u probability a trained level keeps, so that no level vetoes a pair outright
M_U_FLOOR = 1e-6
# the least m of a level that is not an exact match: EM on generated data, where a person's records agree
# on everything but the few hand-typed ones, would make one digit off in a birth date a veto
M_FLOOR_FUZZY = 1e-3
# the least m of "differs" for the address parts: people move and one system keeps the old address (say
# one pair of a person's records in five), and a move changes street, postcode and city at once: the city,
# counted a third time, weighs least
M_FLOOR_MOVED = {"address_line": 0.2, "postcode": 0.2, "city": 0.5}


@contextmanager
def _em_allows_zero_m():
    """Let EM drive a level's m probability to zero. Splink 5 raises (m below 1e-300) where a level only
    non-matches show inside a training block: on the demo a person's records never differ in country,
    and with birth date and address as evidence EM is sure enough to push that level's m to 0.
    `_floor_probabilities` then lifts such values to M_U_FLOOR."""
    from splink.internals import comparison_level

    strict = comparison_level._validate_m_u_probability
    comparison_level._validate_m_u_probability = lambda value, name, not_observed: None
    try:
        yield
    finally:
        comparison_level._validate_m_u_probability = strict


def _floor_probabilities(model: dict) -> dict:
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for i, level in enumerate(levels):
            for key in ("m_probability", "u_probability"):
                value = level.get(key)
                if isinstance(value, int | float) and value < M_U_FLOOR:
                    level[key] = M_U_FLOOR
            m = level.get("m_probability")
            if i > 0 and isinstance(m, int | float):
                floor = M_FLOOR_MOVED.get(comparison["output_column_name"], M_FLOOR_FUZZY) \
                    if i == len(levels) - 1 else M_FLOOR_FUZZY
                level["m_probability"] = max(m, floor)
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


def score(frames: list[pd.DataFrame], model: dict, threshold: float = 0.5,
          max_block: int = blocking.MAX_BLOCK) -> pd.DataFrame:
    """Score the blocked candidate pairs with a trained model. One row per pair with
    match_probability >= threshold: unique_id_l, unique_id_r (and source_dataset_l/_r for a link),
    match_probability, match_weight, contributions (JSON: comparison -> {level, weight}), same_email;
    `attrs['comparisons']`: pairs compared, `attrs['skipped']`: key -> (blocks, pairs) skipped for size."""
    cols = model["cdp"]["columns"]
    present = usable_columns(pd.concat(frames, ignore_index=True))
    missing = [c for c in cols if c not in present]
    if missing:
        raise ModelMismatch(f"the saved model compares {missing}, which the data no longer has: retrain")
    blocked = block(frames, max_block)
    linker = _linker(blocked.tables, with_rules(model, blocked.rules, "duckdb"), _db_api(blocked.conn))
    pairs = linker.inference.predict(threshold_match_probability=threshold).as_pandas_dataframe()
    out = finish(pairs, model)
    out.attrs["comparisons"] = blocked.comparisons
    out.attrs["skipped"] = blocked.skipped
    return out


def finish(pairs: pd.DataFrame, model: dict) -> pd.DataFrame:
    """Splink's predicted pairs (any backend, as pandas) -> the scored-pair frame `score` returns."""
    names = comparison_names(model)
    level_weights = {c["output_column_name"]: _level_weights(c) for c in model["comparisons"]}

    keep = [c for c in ("source_dataset_l", "source_dataset_r", "unique_id_l", "unique_id_r") if c in pairs.columns]
    out = pairs[keep].copy()
    out["match_probability"] = pairs["match_probability"].astype(float)
    out["match_weight"] = pairs["match_weight"].astype(float)
    # per comparison: the level whose trained weight this is (Splink returns weights, not level numbers),
    # and the weight with its term-frequency adjustment; vectorised per column (pairs can be millions)
    columns = []
    for n in names:
        labels = [label for label, _ in level_weights[n]]
        trained = np.array([w for _, w in level_weights[n]])
        weight = pairs[f"mw_{n}"].to_numpy(dtype=float)
        nearest = np.abs(weight[:, None] - trained[None, :]).argmin(axis=1) if len(weight) else []
        tf = pairs[f"mw_tf_adj_{n}"].to_numpy(dtype=float) if f"mw_tf_adj_{n}" in pairs.columns else 0.0
        total = np.round(weight + tf, 3)
        columns.append([(n, labels[i], float(w)) for i, w in zip(nearest, total, strict=True)])
    if len(pairs):
        out["contributions"] = [
            json.dumps({n: {"level": label, "weight": w} for n, label, w in row}, sort_keys=True)
            for row in zip(*columns, strict=True)
        ]
    else:
        out["contributions"] = pd.Series([], dtype="string")
    if "email_l" in pairs.columns:
        out["same_email"] = (pairs["email_l"] == pairs["email_r"]).fillna(False).astype(bool)
    else:
        out["same_email"] = False
    return out.reset_index(drop=True)
