"""`customer_consents` on the demo warehouse, against the rules worked out again in Python from the ledger
and the current identity resolution: latest wins, a refusal wins a tie, `all` counts for every channel."""

from collections import defaultdict

CHANNELS = ("email", "sms", "web_push")


def _expected(demo_db) -> dict[tuple[str, str, str], tuple[bool, str]]:
    signals = demo_db.execute(
        """select r.customer_id, l.purpose, l.channel, l.is_granted, l.signalled_at, l.source, l.signal_id
           from intermediate.int_consent_ledger as l
           inner join intermediate.int_source_records_resolved as r
               on l.source = r.source and l.source_table = r.source_table
               and l.source_record_id = r.source_record_id"""
    ).fetchall()
    per_key = defaultdict(list)
    for customer_id, purpose, channel, granted, at, source, signal_id in signals:
        for target in CHANNELS if channel == "all" else (channel,):
            per_key[(customer_id, purpose, target)].append((granted, at, source, signal_id))

    def rank(signal):
        granted, at, source, signal_id = signal
        # latest first (no time last), then refusal before grant, then source and id
        return (at is None, -(at.timestamp()) if at else 0, granted, source, signal_id)

    expected = {}
    for key, found in per_key.items():
        granted, _, source, _ = min(found, key=rank)
        expected[key] = (granted, source)
    return expected


def test_customer_consents_applies_latest_wins_refusal_on_tie_and_all_channels(demo_db):
    expected = _expected(demo_db)
    actual = {
        (customer_id, purpose, channel): (granted, source)
        for customer_id, purpose, channel, granted, source in demo_db.execute(
            "select customer_id, purpose, channel, is_granted, decided_by_source from marts.customer_consents"
        ).fetchall()
    }
    assert actual == expected
    # the demo data exercises every kind of signal
    assert {source for _, source in actual.values()} == {"shop", "esp", "crm", "web"}
    assert {purpose for _, purpose, _ in actual} == {"marketing", "analytics", "personalisation"}


def test_a_banner_answer_counts_for_every_channel(demo_db):
    # analytics and personalisation are only ever answered on the banner (channel `all`)
    uneven = demo_db.execute(
        """select customer_id, purpose from marts.customer_consents
           where purpose in ('analytics', 'personalisation')
           group by customer_id, purpose
           having count(distinct channel) <> 3 or count(distinct is_granted) <> 1"""
    ).fetchall()
    assert uneven == []
    assert demo_db.execute("select count(*) from marts.customer_consents where purpose = 'analytics'").fetchone()[0] > 0


def test_the_ledger_keeps_one_row_per_signal_without_customer_ids(demo_db):
    columns = [row[0] for row in demo_db.execute("describe intermediate.int_consent_ledger").fetchall()]
    assert "customer_id" not in columns  # attached from the current resolution in the mart
    total, distinct = demo_db.execute(
        "select count(*), count(distinct signal_id) from intermediate.int_consent_ledger"
    ).fetchone()
    assert total == distinct > 0
