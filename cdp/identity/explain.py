"""Why a customer's identifiers belong together: the customer's identifiers and, between any two of
them, the chain of admitted identity edges with the source records that observed them. Reads the marts
`customer_identities`, `customer_identity_links` and `customer_id_history`; a probabilistic edge (source
`matching`) comes with its waterfall: the prior, each comparison's level and weight, and the total match
weight and probability (from `int_identity_match_links`)."""

import json
from collections import deque
from dataclasses import dataclass, field

import duckdb

from cdp.errors import CdpError


class ExplainError(CdpError):
    """The customer or identifier to explain is unknown."""


@dataclass(frozen=True)
class Link:
    from_identifier: str
    to_identifier: str
    source: str
    source_table: str
    source_record_id: str
    observed_at: object


@dataclass(frozen=True)
class Waterfall:
    """Why the matcher linked two records: Splink's waterfall for the pair."""

    match_probability: float | None
    match_weight: float | None
    prior_weight: float | None
    steps: list[tuple[str, str, float]]  # (comparison, level, weight)
    review_decision: str | None


@dataclass
class Explanation:
    customer_id: str
    identifiers: list[tuple[str, bool]]  # (type:value, is_linkable), strongest first
    links: list[Link] = field(default_factory=list)
    retired_ids: list[str] = field(default_factory=list)
    # source_record_id of a probabilistic link ("<record> <record>") -> its waterfall
    waterfalls: dict[str, Waterfall] = field(default_factory=dict)

    def hub(self) -> str | None:
        """The identifier on most links (a record's anchor is its strongest identifier), else the first."""
        counts: dict[str, int] = {}
        for link in self.links:
            for key in (link.from_identifier, link.to_identifier):
                counts[key] = counts.get(key, 0) + 1
        if counts:
            return max(sorted(counts), key=counts.__getitem__)
        return self.identifiers[0][0] if self.identifiers else None

    def path(self, start: str, end: str) -> list[Link] | None:
        """The shortest chain of links from identifier `start` to `end` (both `type:value`), None when
        no admitted edge joins them (e.g. a shared value that is listed but was not used to link)."""
        neighbours: dict[str, list[tuple[str, Link]]] = {}
        for link in self.links:
            neighbours.setdefault(link.from_identifier, []).append((link.to_identifier, link))
            neighbours.setdefault(link.to_identifier, []).append((link.from_identifier, link))
        came_from: dict[str, tuple[str, Link] | None] = {start: None}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            if node == end:
                steps = []
                while came_from[node] is not None:
                    previous, link = came_from[node]
                    steps.append(link)
                    node = previous
                return steps[::-1]
            for neighbour, link in neighbours.get(node, []):
                if neighbour not in came_from:
                    came_from[neighbour] = (node, link)
                    queue.append(neighbour)
        return None


def customer_of_identifier(conn: duckdb.DuckDBPyConnection, identifier: str) -> str:
    """The customer holding `identifier` (`type:value`, value as normalised: emails lower case, phones
    E.164)."""
    identifier_type, _, value = identifier.partition(":")
    if not value:
        raise ExplainError(f"Identifier `{identifier}` must be `type:value`, e.g. `email:ann@mail.nl`")
    rows = conn.execute(
        "select customer_id from marts.customer_identity_links where from_identifier_key = ? or to_identifier_key = ?"
        " union select customer_id from marts.customer_identities"
        " where identifier_type = ? and lower(identifier_value) = lower(?) and is_linkable",
        [identifier, identifier, identifier_type, value],
    ).fetchall()
    if not rows:
        raise ExplainError(f"No customer holds identifier `{identifier}` as a linkable value")
    return rows[0][0]


def explain(conn: duckdb.DuckDBPyConnection, customer_id: str) -> Explanation:
    """The identifiers and admitted links of `customer_id`; a retired id (merged away) is followed to
    the customer that now holds it."""
    retired = []
    for _ in range(100):  # a chain of merges; 100 is far more than any real history
        row = conn.execute(
            "select customer_id from marts.customer_id_history where old_customer_id = ? and change_type = 'merge'"
            " order by changed_at desc limit 1",
            [customer_id],
        ).fetchone()
        exists = conn.execute(
            "select count(*) from marts.customer_identities where customer_id = ?", [customer_id]
        ).fetchone()[0]
        if exists or row is None:
            break
        retired.append(customer_id)
        customer_id = row[0]
    identifiers = conn.execute(
        "select identifier_type || ':' || identifier_value, is_linkable from marts.customer_identities"
        " where customer_id = ? order by is_linkable desc, identifier_type, identifier_value",
        [customer_id],
    ).fetchall()
    if not identifiers:
        raise ExplainError(f"Unknown customer `{customer_id}`: not in marts.customer_identities")
    links = [
        Link(*row)
        for row in conn.execute(
            "select from_identifier_key, to_identifier_key, source, source_table, source_record_id, observed_at"
            " from marts.customer_identity_links where customer_id = ? order by observed_at",
            [customer_id],
        ).fetchall()
    ]
    result = Explanation(customer_id, [(key, bool(ok)) for key, ok in identifiers], links, retired)
    for link in links:
        if link.source == "matching":
            waterfall = match_waterfall(conn, link.source_record_id)
            if waterfall is not None:
                result.waterfalls[link.source_record_id] = waterfall
    return result


def match_waterfall(conn: duckdb.DuckDBPyConnection, pair: str) -> Waterfall | None:
    """The waterfall of a probabilistic link, `pair` being its source_record_id ("<record> <record>")."""
    left, _, right = pair.partition(" ")
    found = conn.execute(
        "select table_schema from information_schema.tables where table_name = 'int_identity_match_links'"
    ).fetchall()
    if not found:
        return None
    rows = conn.execute(
        f"select match_probability, match_weight, match_contributions, review_decision"
        f" from {found[0][0]}.int_identity_match_links where record_key_l = ? and record_key_r = ?",
        [left, right],
    ).fetchall()
    if not rows:
        return None
    probability, weight, contributions, decision = rows[0]
    parsed = json.loads(contributions) if contributions else {}
    steps = [(name, c.get("level", ""), float(c.get("weight") or 0.0)) for name, c in sorted(parsed.items())]
    prior = weight - sum(w for _, _, w in steps) if weight is not None else None
    return Waterfall(probability, weight, prior, steps, decision)
