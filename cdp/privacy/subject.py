"""Who a privacy request is about: one identifier expanded through the identity graph to the person.

`find_subject` starts from `KIND:VALUE` (an identifier type of seed identifier_types, or customer_id),
finds the customer ids holding it in `marts.customer_identities` (and any id they had before, from
`marts.customer_id_history`), then collects every identifier, raw value and source record of those
customers. A value the graph does not know still makes a subject of its own: its records are found by
value, and it can be suppressed.
"""

import re
from dataclasses import dataclass, field

import duckdb

from cdp.errors import CdpError
from cdp.privacy.store import has_table

_NOT_DIGITS = re.compile(r"\D")
ID_KINDS = (
    "customer_id",
    "user_id",
    "shop_customer_id",
    "email",
    "phone",
    "anonymous_id",
    "device_id",
    "loyalty_card",
    "crm_contact_id",
    "esp_subscriber_id",
    "support_requester_id",
)


class PrivacyError(CdpError):
    """A privacy request that cannot run as asked."""


@dataclass
class Subject:
    """Everything the warehouse knows that names one person."""

    kind: str
    value: str
    customer_ids: set[str] = field(default_factory=set)
    identifiers: set[tuple[str, str]] = field(default_factory=set)  # (type, normalised value)
    raw_values: set[tuple[str, str]] = field(default_factory=set)  # (type, value as a source wrote it)
    source_records: set[tuple[str, str, str]] = field(default_factory=set)  # (source, table, record id)

    @property
    def emails(self) -> set[str]:
        return {v.lower() for t, v in self.identifiers | self.raw_values if t == "email" and v}

    @property
    def phones(self) -> set[str]:
        return {v for t, v in self.identifiers if t == "phone" and v}

    def all_identifiers(self) -> set[tuple[str, str]]:
        return self.identifiers | self.raw_values | {(self.kind, self.value)}


def parse_identifier(text: str) -> tuple[str, str]:
    """`email:ann@example.com` -> ("email", "ann@example.com"), normalised as the warehouse stores it."""
    kind, sep, value = text.partition(":")
    kind, value = kind.strip().lower(), value.strip()
    if not sep or not value:
        raise PrivacyError(f"Identifier `{text}` is not KIND:VALUE (e.g. email:ann@example.com)")
    if kind not in ID_KINDS:
        raise PrivacyError(f"Identifier kind `{kind}` is not one of {', '.join(ID_KINDS)}")
    if kind == "shop_customer_id":
        kind = "user_id"  # the webshop's customer number is the login id (see int_identifier_observations)
    if kind == "email":
        value = value.lower()
    if kind == "loyalty_card":
        value = re.sub(r"[^0-9A-Za-z]", "", value).upper()
    return kind, value


def _customers_holding(con: duckdb.DuckDBPyConnection, kind: str, value: str) -> set[str]:
    if kind == "customer_id":
        ids = {value}
    elif kind == "phone":
        digits = _NOT_DIGITS.sub("", value)[-9:]
        if len(digits) < 6:
            raise PrivacyError("A phone number needs at least six digits")
        rows = con.execute(
            """
            select distinct customer_id from marts.customer_identities
            where identifier_type = 'phone' and right(regexp_replace(identifier_value, '\\D', '', 'g'), 9) = ?
            """,
            [digits],
        ).fetchall()
        ids = {r[0] for r in rows}
    else:
        rows = con.execute(
            "select distinct customer_id from marts.customer_identities where identifier_type = ? "
            "and identifier_value = ?",
            [kind, value],
        ).fetchall()
        ids = {r[0] for r in rows}
    if ids and has_table(con, "marts", "customer_id_history"):
        # ids the person had before a merge: rows of incremental tables may still carry them
        rows = con.execute(
            "select old_customer_id from marts.customer_id_history where customer_id in (select unnest(?::varchar[]))",
            [sorted(ids)],
        ).fetchall()
        ids |= {r[0] for r in rows if r[0]}
    return ids


def find_subject(con: duckdb.DuckDBPyConnection, identifier: str) -> Subject:
    kind, value = parse_identifier(identifier)
    subject = Subject(kind, value)
    if kind != "customer_id":
        subject.identifiers.add((kind, value))
    if not has_table(con, "marts", "customer_identities"):
        return subject
    subject.customer_ids = _customers_holding(con, kind, value)
    if not subject.customer_ids:
        return subject
    ids = sorted(subject.customer_ids)
    subject.identifiers |= {
        (t, v)
        for t, v in con.execute(
            "select identifier_type, identifier_value from marts.customer_identities "
            "where customer_id in (select unnest(?::varchar[])) and identifier_value is not null",
            [ids],
        ).fetchall()
    }
    subject.source_records = {
        (s, t, r)
        for s, t, r in con.execute(
            "select source, source_table, source_record_id from marts.customer_source_records "
            "where customer_id in (select unnest(?::varchar[]))",
            [ids],
        ).fetchall()
    }
    if has_table(con, "intermediate", "int_identifier_observations") and subject.source_records:
        keys = sorted(f"{s}/{t}/{r}" for s, t, r in subject.source_records)
        subject.raw_values = {
            (t, v)
            for t, v in con.execute(
                "select distinct identifier_type, raw_value from intermediate.int_identifier_observations "
                "where source_record_key in (select unnest(?::varchar[])) and raw_value is not null",
                [keys],
            ).fetchall()
        }
    return subject
