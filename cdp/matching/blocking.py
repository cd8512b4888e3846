"""Blocking: which pairs of records the model compares at all.

Each rule is an equality on one derived key column (`bk_<name>`): a few feature columns joined with `|`
(null where any part is null). A block is the set of records sharing one key value; a pair is compared when
one rule puts both in one block. Keys combine a name with a further key (birth date, postcode, email domain,
city, phone suffix) so that common names do not make huge blocks; a block of more than `max_block` distinct
profiles is skipped (its key set to null) and counted. Each rule then adds at most `max_block - 1` partners per record,
so comparisons grow linearly with N, not as N^2.

The key SQL uses only functions DuckDB and Spark share (concat_ws, least, greatest, substr, a window count),
so one query builds the keys on either engine; Splink then blocks on plain equi-joins of the key columns.
"""

from __future__ import annotations

from dataclasses import dataclass

# the largest block kept: a block of n records costs n*(n-1)/2 comparisons
MAX_BLOCK = 20
# names as an unordered pair, so a swapped first/last name lands in the same block
_NAMES = ("least(first_name, last_name)", "greatest(first_name, last_name)")
_NAME_COLS = ("first_name", "last_name")


@dataclass(frozen=True)
class Key:
    name: str
    needs: tuple[str, ...]
    parts: tuple[str, ...]  # SQL expressions over the feature columns

    @property
    def column(self) -> str:
        return f"bk_{self.name}"

    @property
    def rule(self) -> str:
        return f"l.{self.column} = r.{self.column}"


KEYS = (
    Key("names_dob", (*_NAME_COLS, "date_of_birth"), (*_NAMES, "date_of_birth")),
    Key("names_postcode", (*_NAME_COLS, "postcode"), (*_NAMES, "postcode")),
    Key("names_domain", (*_NAME_COLS, "email_domain"), (*_NAMES, "email_domain")),
    Key("names_phone", (*_NAME_COLS, "phone"), (*_NAMES, "substr(phone, -4)")),
    Key("names_city", (*_NAME_COLS, "city"), (*_NAMES, "city")),
    Key("names", _NAME_COLS, _NAMES),
    # a typo in the email's local part leaves its head or its tail
    Key("email_head", ("email_local", "email_domain"), ("email_domain", "substr(email_local, 1, 6)")),
    Key("email_tail", ("email_local", "email_domain"), ("email_domain", "substr(email_local, -4)")),
    Key("email_local", ("email_local",), ("email_local",)),
    Key("phone", ("phone",), ("phone",)),
    Key("dob_first", ("date_of_birth", "first_name"), ("date_of_birth", "substr(first_name, 1, 1)")),
    Key("dob_last", ("date_of_birth", "last_name"), ("date_of_birth", "substr(last_name, 1, 1)")),
    Key("postcode_last", ("postcode", "last_name"), ("postcode", "substr(last_name, 1, 2)")),
    Key("postcode_first", ("postcode", "first_name"), ("postcode", "substr(first_name, 1, 2)")),
    Key("address", ("address_line",), ("address_line",)),
    Key("city_first", ("city", "first_name"), ("city", "first_name")),
    Key("national_id", ("national_id",), ("national_id",)),
    Key("national_id_year", ("national_id", "date_of_birth"),
        ("substr(national_id, 1, 3)", "substr(date_of_birth, 1, 4)")),
)


def keys_for(cols: list[str]) -> list[Key]:
    """The keys whose columns the data has."""
    return [k for k in KEYS if all(c in cols for c in k.needs)]


def rules(keys: list[Key]) -> list[str]:
    return [k.rule for k in keys]


def _raw(key: Key) -> str:
    present = " and ".join(f"{c} is not null" for c in key.needs)
    return f"case when {present} then concat_ws('|', {', '.join(key.parts)}) end"


def _signature(columns: list[str]) -> str:
    """One text per distinct profile (all feature columns but the ids)."""
    features = [c for c in columns if c not in ("unique_id", "source_dataset")]
    return "concat_ws('|', " + ", ".join(f"coalesce({c}, '')" for c in features) + ")"


def keyed_sql(relation: str, columns: list[str], keys: list[Key], max_block: int = MAX_BLOCK) -> str:
    """`relation`'s `columns` plus one capped key column per key: null where the record's block holds more
    than `max_block` distinct profiles. Identical records (one person's support tickets with the same name
    and email) count once: they make a block long, not wide, and never grow with N."""
    raw = ",\n    ".join(f"{_raw(k)} as {k.column}" for k in keys)
    sizes = "".join(
        f",\nsize_{k.name} as (select {k.column}, count(distinct profile_signature) as n from raw_keys"
        f" where {k.column} is not null group by {k.column})"
        for k in keys
    )
    capped = ",\n    ".join(f"case when size_{k.name}.n <= {int(max_block)} then raw_keys.{k.column} end as {k.column}"
                            for k in keys)
    joins = "".join(f"\nleft join size_{k.name} on raw_keys.{k.column} = size_{k.name}.{k.column}" for k in keys)
    cols = ", ".join(columns)
    selected = ", ".join(f"raw_keys.{c}" for c in columns)
    return (
        f"with raw_keys as (select {cols},\n    {raw},\n    {_signature(columns)} as profile_signature\n"
        f"  from {relation}){sizes}\n"
        f"select {selected}{',' if keys else ''}\n    {capped}\nfrom raw_keys{joins}"
    )


def skipped_sql(relation: str, columns: list[str], keys: list[Key], max_block: int = MAX_BLOCK) -> str:
    """Per key: the blocks skipped for size and the pairs of records they would have added."""
    parts = [
        f"select '{k.name}' as key_name, count(*) as blocks, coalesce(sum(n * (n - 1) / 2), 0) as pairs"
        f" from (select {_raw(k)} as key_value, count(*) as n, count(distinct {_signature(columns)}) as profiles"
        f" from {relation} group by 1) as b"
        f" where key_value is not null and profiles > {int(max_block)}"
        for k in keys
    ]
    return " union all ".join(parts)


def comparisons_sql(relation: str, keys: list[Key], link: bool = False) -> str:
    """Distinct pairs the rules generate, counted as Splink does: each rule's pairs not found by an earlier
    rule (no de-duplication pass needed)."""
    if link:
        base = "l.source_dataset < r.source_dataset"
    else:
        base = "l.unique_id < r.unique_id"
    counts = []
    for i, k in enumerate(keys):
        earlier = " or ".join(f"coalesce({e.rule}, false)" for e in keys[:i])
        where = f" where not ({earlier})" if earlier else ""
        counts.append(f"(select count(*) from {relation} as l join {relation} as r on {k.rule} and {base}{where})")
    return "select " + (" + ".join(counts) if counts else "0") + " as comparisons"
