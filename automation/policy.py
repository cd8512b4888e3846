"""Send-time rules: privacy suppression, consent for the channel's purpose, an address to send to, quiet
hours in the customer's time zone, frequency caps per channel and across channels.

The first rule that says no names the reason; the send is recorded `suppressed` with it (and counted).
"""

import re
import sqlite3
from collections.abc import Callable
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from automation.definitions import Policy

CONSENT_CHANNEL = {"email": "email", "sms": "sms", "web_push": "web_push"}
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# Is a customer on the privacy suppression list (erased, objected)? Injected: the engine never opens the warehouse.
SuppressionCheck = Callable[[str, dict[str, Any]], bool]


def timezone_of(policy: Policy, profile: dict[str, Any]) -> ZoneInfo:
    name = profile.get(policy.timezone_trait) or policy.default_timezone
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(policy.default_timezone)


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(policy: Policy, channel: str, profile: dict[str, Any], at: float) -> bool:
    if channel not in policy.quiet_channels or not policy.quiet_start or not policy.quiet_end:
        return False
    local = datetime.fromtimestamp(at, timezone_of(policy, profile)).time()
    start, end = _clock(policy.quiet_start), _clock(policy.quiet_end)
    return start <= local < end if start <= end else local >= start or local < end


def has_consent(consents: dict[str, dict[str, bool]], purpose: str, channel: str) -> bool:
    """No decision is no consent. Webhook and on-site sends have no channel of their own: any grant for
    the purpose counts."""
    decided = consents.get(purpose) or {}
    if channel in CONSENT_CHANNEL:
        return decided.get(CONSENT_CHANNEL[channel]) is True
    return any(value is True for value in decided.values())


def address(channel: str, profile: dict[str, Any], push_count: int) -> str | None:
    """Where the message goes, or None when the customer has no usable address on the channel."""
    if channel == "email":
        email = profile.get("primary_email")
        return email if isinstance(email, str) and "@" in email else None
    if channel == "sms":
        phone = profile.get("primary_phone")
        return phone if isinstance(phone, str) and E164.match(phone) else None
    if channel == "web_push":
        return "subscriptions" if push_count else None
    return "customer"


def over_cap(conn: sqlite3.Connection, policy: Policy, customer_id: str, channel: str, at: float) -> bool:
    for scope in (channel, "all"):
        if scope not in policy.caps:
            continue
        most, per = policy.caps[scope]
        sql = (
            "select count(*) from outbox where customer_id = ? and status in ('pending', 'sent')"
            " and created_at > ?" + (" and channel = ?" if scope != "all" else "")
        )
        args = [customer_id, at - per] + ([channel] if scope != "all" else [])
        if conn.execute(sql, args).fetchall()[0][0] >= most:
            return True
    return False


def decide(
    conn: sqlite3.Connection,
    policy: Policy,
    *,
    customer_id: str,
    channel: str,
    purpose: str,
    profile: dict[str, Any],
    consents: dict[str, dict[str, bool]],
    at: float,
    is_suppressed: SuppressionCheck | None = None,
) -> tuple[str | None, str | None]:
    """(address, None) to send, or (None, reason) to suppress."""
    if is_suppressed is not None and is_suppressed(customer_id, profile):
        return None, "privacy"
    if not profile:
        return None, "unknown_customer"
    if not has_consent(consents, purpose, channel):
        return None, "consent"
    push_count = 0
    if channel == "web_push":
        push_count = conn.execute(
            "select count(*) from push_subscriptions where customer_id = ?", [customer_id]
        ).fetchall()[0][0]
    to = address(channel, profile, push_count)
    if to is None:
        return None, "no_address"
    if in_quiet_hours(policy, channel, profile, at):
        return None, "quiet_hours"
    if over_cap(conn, policy, customer_id, channel, at):
        return None, "cap"
    return to, None
