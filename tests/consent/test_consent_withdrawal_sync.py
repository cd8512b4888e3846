"""Done-when of the consent work: a withdrawal that lands in a source removes the person from a list
destination on the next sync. Real pieces end to end: a new web file, `ingest`, `dbt build`, the declared
Mailchimp sync against its local stand-in."""

import datetime as dt
import json
import uuid

import duckdb

from activation.runner import declared_syncs, run_syncs, select_syncs
from activation.testing.mailchimp_api import MailchimpStandIn
from cdp.build import run_dbt
from cdp.pipeline import ingest

SYNC = "high_value_to_newsletter"


def _consent_event(user_id: str, granted: bool, at: dt.datetime) -> str:
    ts = at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return json.dumps(
        {
            "type": "track",
            "event": "Consent Updated",
            "messageId": f"ajs-next-{uuid.uuid4().hex[:24]}",
            "anonymousId": str(uuid.uuid4()),
            "userId": user_id,
            "timestamp": ts,
            "originalTimestamp": ts,
            "sentAt": ts,
            "receivedAt": ts,
            "context": {"ip": "203.0.113.9", "userAgent": "test", "locale": "en-GB"},
            "properties": {"purpose": "marketing", "channel": "email", "granted": granted},
        }
    )


def _subscribed_web_user(conn: duckdb.DuckDBPyConnection, emails: set[str]) -> tuple[str, str, str]:
    """A customer the first sync subscribed who has signed in on the web: (customer_id, email, user_id)."""
    rows = conn.execute(
        """select distinct p.customer_id, p.primary_email, web.user_id
           from marts.customer_profiles as p
           inner join intermediate.int_source_records_resolved as r
               on p.customer_id = r.customer_id and r.source = 'web' and r.source_table = 'events'
           inner join staging.stg_web__events as web
               on r.source_record_id = web.event_id and web.user_id is not null
           order by p.customer_id, web.user_id"""
    ).fetchall()
    found = [row for row in rows if row[1] in emails]
    assert found, "no subscribed customer has a web user id in the demo data"
    return found[0]


def _signal_ids(conn: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in conn.execute("select signal_id from intermediate.int_consent_ledger").fetchall()}


def _sync(settings, mailchimp, values):
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        results = run_syncs(conn, select_syncs(declared_syncs(settings), [SYNC]), env=values)
    assert [r.status for r in results] == ["success"], [r.message for r in results]
    return results[0]


def test_consent_withdrawal_removes_the_person_from_the_list_on_the_next_sync(demo_copy, tmp_path):
    settings = demo_copy
    mailchimp = MailchimpStandIn("demo-key", list_id="cdpnewsletter")
    values = {"CDP_MAILCHIMP_BASE_URL": mailchimp.start(), "CDP_MAILCHIMP_API_KEY": "demo-key"}
    try:
        first = _sync(settings, mailchimp, values)
        subscribed = mailchimp.subscribed_emails()
        assert first.rows_acked > 0 and subscribed
        with duckdb.connect(str(settings.duckdb_path)) as conn:
            customer_id, email, user_id = _subscribed_web_user(conn, subscribed)
            signals_before = _signal_ids(conn)

        # the customer withdraws email marketing in the preference centre: a new day of web events lands
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        landed = settings.landing_dir / "web" / "events" / f"{now.date().isoformat()}-consent.jsonl"
        landed.write_text(_consent_event(user_id, granted=False, at=now) + "\n", encoding="utf-8")
        runs = ingest(settings, sources=["web"])
        assert sum(run.rows_loaded for run in runs) >= 1
        run_dbt(
            settings, "build", ["--select", "+customer_consents", "--target-path", str(tmp_path / "target")], quiet=True
        )

        with duckdb.connect(str(settings.duckdb_path)) as conn:
            decided = conn.execute(
                """select is_granted, decided_by_source from marts.customer_consents
                   where customer_id = ? and purpose = 'marketing' and channel = 'email'""",
                [customer_id],
            ).fetchall()
            signals_after = _signal_ids(conn)
        assert decided == [(False, "web")]
        # the ledger only grew: the new signal was appended, none rewritten or lost
        assert signals_before < signals_after and len(signals_after - signals_before) == 1

        second = _sync(settings, mailchimp, values)
        assert second.planned_deletes == 1 and second.planned_inserts == 0
        assert mailchimp.subscribed_emails() == subscribed - {email}
    finally:
        mailchimp.stop()
