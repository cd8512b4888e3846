"""Guards on the demo warehouse (seed identifier_blocklist, var identity_name_veto_edits): the browser of
an in-store kiosk and a phone shared by people of clearly different first names never link, and each
refusal is in the audit with its reason."""

import pytest


def test_kiosk_browsers_are_no_merge_key(demo_db):
    kiosk = demo_db.execute(
        "select distinct 'anonymous_id:' || anonymous_id from staging.stg_web__events"
        " where user_agent like '%NordhavenKiosk/%' and anonymous_id is not null"
    ).fetchall()
    if not kiosk:
        pytest.skip("the demo has no kiosk sessions")
    keys = [k for (k,) in kiosk]
    judged = demo_db.execute(
        f"select identifier_key, is_linkable, unlinkable_reason from intermediate.int_identifiers_judged"
        f" where identifier_key in ({', '.join('?' for _ in keys)})",
        keys,
    ).fetchall()
    assert len(judged) == len(keys)
    assert all(not linkable and reason.startswith("shared device: ") for _, linkable, reason in judged)
    audited = demo_db.execute(
        f"select count(distinct identifier_key) from marts.identity_rejections"
        f" where rejected_kind = 'identifier' and identifier_key in ({', '.join('?' for _ in keys)})",
        keys,
    ).fetchall()[0][0]
    assert audited == len(keys)
    # the events a kiosk saw go to no logged-in shopper: each anonymous-only event is a customer of its own
    shared = demo_db.execute(
        f"select count(*) from (select records.customer_id from intermediate.int_source_records_resolved as records"
        f" inner join intermediate.int_identifier_observations as observations using (source_record_key)"
        f" where observations.identifier_key in ({', '.join('?' for _ in keys)})"
        f" and records.anchor_node_key like 'anonymous_id:%' group by records.customer_id having count(*) > 1)",
        keys,
    ).fetchall()[0][0]
    assert shared == 0


def test_household_phone_of_different_first_names_does_not_link(demo_db):
    vetoed = demo_db.execute(
        "select identifier_key from intermediate.int_identifiers_judged"
        " where unlinkable_reason = 'carried by records of clearly different first names (a household)'"
    ).fetchall()
    # every vetoed value is a weak type (phones), and each is audited
    for (key,) in vetoed:
        assert key.split(":")[0] in ("phone", "anonymous_id", "device_id")
        assert (
            demo_db.execute(
                "select count(*) from marts.identity_rejections where identifier_key = ?", [key]
            ).fetchall()[0][0]
            == 1
        )
    # and no linkable phone is carried by CRM contacts whose first names are 3 or more edits apart
    conflicts = demo_db.execute(
        """
        with names as (
            select distinct observations.identifier_key, lower(trim(contacts.first_name)) as first_name
            from intermediate.int_identifier_observations as observations
            inner join staging.stg_crm__contacts as contacts
                on observations.source_record_key = 'crm/contacts/' || contacts.crm_contact_id
            inner join intermediate.int_identifiers_judged as judged using (identifier_key)
            where observations.identifier_type = 'phone' and judged.is_linkable and trim(contacts.first_name) <> ''
        )
        select count(*) from names as a inner join names as b
            on a.identifier_key = b.identifier_key and a.first_name < b.first_name
        where levenshtein(a.first_name, b.first_name) >= 3
        """
    ).fetchall()[0][0]
    assert conflicts == 0
