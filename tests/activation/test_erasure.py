"""Erasing one person (issue 6): each destination's delete call against the stand-in enforcing its API's
contract, and `erase_everywhere` across the declared syncs."""

import hashlib
import importlib
import inspect
import threading
from dataclasses import replace

import pytest
import requests

from activation.destinations import ERASABLE, KNOWN
from activation.destinations.base import DestinationBase, ErasureSubject
from activation.destinations.hubspot import HubSpotDestination
from activation.destinations.mailchimp import MailchimpDestination, subscriber_hash
from activation.destinations.meta_audiences import MetaAudienceDestination
from activation.engine import INCOMPLETE, SUCCESS, run_sync
from activation.erasure import erase_declared, erase_everywhere
from activation.testing.hubspot_api import HubSpotStandIn
from activation.testing.mailchimp_api import MailchimpStandIn
from activation.testing.meta_audiences_api import MetaAudiencesStandIn
from cdp.config import Settings

MAILCHIMP_KEY, HUBSPOT_TOKEN, META_TOKEN = "test-key-us1", "pat-na1-test", "EAAB-test-token"
ANN = ErasureSubject(customer_ids=("cus_1",), emails=("Ann.Lee@Example.com",), phones=("+31612345678",))


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def record_bodies(api) -> list:
    """Wrap the stand-in's handler to keep every JSON body it was sent."""
    bodies, original = [], api.handle

    def handle(method, path, headers, body):
        bodies.append(body)
        return original(method, path, headers, body)

    api.handle = handle
    return bodies


class StandIns:
    """The three stand-ins, each started on first use (a test starts only those it talks to: stopping one
    takes half a second) and its destination built with a short timeout, as the engine would build it."""

    factories = {
        "mailchimp": lambda: MailchimpStandIn(MAILCHIMP_KEY, list_id="list1", hang_s=0.6),
        "hubspot": lambda: HubSpotStandIn(HUBSPOT_TOKEN, hang_s=0.6),
        "meta_audiences": lambda: MetaAudiencesStandIn(META_TOKEN, audience_id="2384", hang_s=0.6),
    }

    def __init__(self) -> None:
        self.started: dict = {}

    def __getitem__(self, name: str):
        if name not in self.started:
            api = self.factories[name]()
            api.base_url = api.start()
            self.started[name] = api
        return self.started[name]

    def destination(self, name: str):
        api = self[name]
        if name == "mailchimp":
            return MailchimpDestination(api.base_url, MAILCHIMP_KEY, "list1", timeout_s=0.3), api
        if name == "hubspot":
            return HubSpotDestination(api.base_url, HUBSPOT_TOKEN, timeout_s=0.3), api
        return MetaAudienceDestination(api.base_url, META_TOKEN, "2384", timeout_s=0.3), api

    def stop(self) -> None:
        threads = [threading.Thread(target=api.stop) for api in self.started.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


@pytest.fixture
def stand_ins():
    apis = StandIns()
    yield apis
    apis.stop()


@pytest.fixture
def mailchimp(stand_ins):
    return stand_ins["mailchimp"]


@pytest.fixture
def hubspot(stand_ins):
    return stand_ins["hubspot"]


@pytest.fixture
def meta(stand_ins):
    return stand_ins["meta_audiences"]


@pytest.fixture
def env(mailchimp, hubspot, meta) -> dict[str, str]:
    return {
        "MC_URL": mailchimp.base_url,
        "MC_KEY": MAILCHIMP_KEY,
        "HS_URL": hubspot.base_url,
        "HS_TOKEN": HUBSPOT_TOKEN,
        "META_URL": meta.base_url,
        "META_TOKEN": META_TOKEN,
    }


@pytest.fixture
def syncs(make_sync):
    """One sync per erasable destination, as declared in _syncs.yml (settings and secrets by env var)."""
    return {
        "mailchimp": make_sync(
            name="vips_to_mailchimp",
            destination="mailchimp",
            mode="add_remove",
            delete_behaviour="remove",
            fields={"email_address": "email", "first_name": "first_name"},
            options={"base_url_env": "MC_URL", "api_key_env": "MC_KEY", "list_id": "list1"},
        ),
        "hubspot": make_sync(
            name="contacts_to_hubspot",
            destination="hubspot",
            mode="mirror",
            delete_behaviour="archive",
            fields={"email": "email", "firstname": "first_name"},
            options={"base_url_env": "HS_URL", "token_env": "HS_TOKEN"},
        ),
        "meta_audiences": make_sync(
            name="vips_to_meta",
            destination="meta_audiences",
            mode="add_remove",
            delete_behaviour="remove",
            fields={"email": "email", "phone": "first_name"},  # the test model's third column holds the phone
            options={"base_url_env": "META_URL", "access_token_env": "META_TOKEN", "audience_id": "2384"},
        ),
    }


def hold_ann(api) -> None:
    """Put Ann in the stand-in's state directly, as an earlier sync would have."""
    if isinstance(api, MailchimpStandIn):
        api.members[subscriber_hash("ann.lee@example.com")] = {"email_address": "ann.lee@example.com"}
    elif isinstance(api, HubSpotStandIn):
        api._ids_by_email["ann.lee@example.com"] = "1000"
        api.contacts["1000"] = {"properties": {"email": "ann.lee@example.com"}, "archived": False}
    else:
        api.members.add((sha("ann.lee@example.com"), sha("31612345678")))


def assert_no_pii(text: str) -> None:
    for value in ("ann.lee", "Ann.Lee", "example.com", "612345678", subscriber_hash("ann.lee@example.com")):
        assert value not in text


# -- Mailchimp: permanent delete -------------------------------------------------------------------------


def test_mailchimp_erase_permanently_deletes_the_member_by_md5_of_the_lower_cased_email(
    warehouse, syncs, context, stand_ins, mailchimp
):
    destination, _ = stand_ins.destination("mailchimp")
    warehouse.set_model([("cus_1", "ann.lee@example.com", "Ann"), ("cus_2", "bob@example.com", "Bob")])
    assert run_sync(warehouse.conn, syncs["mailchimp"], destination, context).status == SUCCESS
    mailchimp.requests.clear()
    bodies = record_bodies(mailchimp)

    result = destination.erase(ANN, sleep=context.sleep)

    key = subscriber_hash("ann.lee@example.com")
    assert (result.status, result.attempts) == ("done", 1)
    assert mailchimp.requests == [("POST", f"/3.0/lists/list1/members/{key}/actions/delete-permanent")]
    assert bodies == [None]  # the action takes no body
    assert key not in mailchimp.members and key in mailchimp.forgotten
    assert mailchimp.subscribed_emails() == {"bob@example.com"}
    assert_no_pii(result.detail)


def test_a_forgotten_email_is_refused_per_record_when_a_sync_adds_it_again(
    warehouse, syncs, context, stand_ins, mailchimp
):
    destination, _ = stand_ins.destination("mailchimp")
    warehouse.set_model([("cus_1", "ann.lee@example.com", "Ann"), ("cus_2", "bob@example.com", "Bob")])
    run_sync(warehouse.conn, syncs["mailchimp"], destination, context)
    assert destination.erase(ANN, sleep=context.sleep).status == "done"
    warehouse.set_model([("cus_1", "ann.lee@example.com", "Ann2"), ("cus_2", "bob@example.com", "Bob2")])

    result = run_sync(warehouse.conn, syncs["mailchimp"], destination, context)

    assert (result.status, result.rows_acked, result.rows_failed) == (INCOMPLETE, 1, 1)
    assert subscriber_hash("ann.lee@example.com") not in mailchimp.members
    error = warehouse.conn.execute(
        "select error from activation.sync_changelog where customer_id = 'cus_1' and status = 'failed'"
    ).fetchall()[0][0]
    assert "permanently deleted" in error and "ann.lee" not in error


def test_a_forgotten_email_put_back_one_by_one_gets_the_forgotten_email_400(stand_ins, mailchimp):
    destination, _ = stand_ins.destination("mailchimp")
    email = "ann.lee@example.com"
    url = f"{mailchimp.base_url}/3.0/lists/list1/members/{subscriber_hash(email)}"
    auth = ("cdp", MAILCHIMP_KEY)
    assert requests.put(url, json={"email_address": email, "status_if_new": "subscribed"}, auth=auth).status_code == 200
    assert destination.erase(ANN, sleep=lambda s: None).status == "done"

    again = requests.put(url, json={"email_address": email, "status_if_new": "subscribed"}, auth=auth)

    assert again.status_code == 400 and again.json()["title"] == "Forgotten Email Not Subscribed"
    assert subscriber_hash(email) not in mailchimp.members


# -- HubSpot: GDPR delete --------------------------------------------------------------------------------


def test_hubspot_erase_gdpr_deletes_the_contact_by_email(warehouse, syncs, context, stand_ins, hubspot):
    destination, _ = stand_ins.destination("hubspot")
    warehouse.set_model([("cus_1", "ann.lee@example.com", "Ann"), ("cus_2", "bob@example.com", "Bob")])
    assert run_sync(warehouse.conn, syncs["hubspot"], destination, context).status == SUCCESS
    hubspot.requests.clear()
    bodies = record_bodies(hubspot)

    result = destination.erase(ANN, sleep=context.sleep)

    assert (result.status, result.attempts) == ("done", 1)
    assert hubspot.requests == [("POST", "/crm/v3/objects/contacts/gdpr-delete")]
    assert bodies == [{"objectId": "ann.lee@example.com", "idProperty": "email"}]
    # gone, not archived: no contact of any status holds the email any more
    emails = {c["properties"]["email"] for c in hubspot.contacts.values()}
    assert emails == {"bob@example.com"}
    assert_no_pii(result.detail)


# -- Meta: audience removal ------------------------------------------------------------------------------


def test_meta_erase_removes_the_person_by_any_hashed_identifier(warehouse, syncs, context, stand_ins, meta):
    destination, _ = stand_ins.destination("meta_audiences")
    # Ann was added with another phone than the one in the request: her email still matches her
    warehouse.set_model([("cus_1", "ann.lee@example.com", "+31699999999"), ("cus_2", "bob@example.com", "+3161")])
    assert run_sync(warehouse.conn, syncs["meta_audiences"], destination, context).status == SUCCESS
    meta.requests.clear()
    bodies = record_bodies(meta)

    result = destination.erase(ANN, sleep=context.sleep)

    assert (result.status, result.attempts) == ("done", 1)
    assert meta.requests == [("DELETE", "/v19.0/2384/users")]
    payload = bodies[0]["payload"]
    assert payload == {
        "schema": ["EMAIL_SHA256", "PHONE_SHA256"],
        "data": [[sha("ann.lee@example.com"), ""], ["", sha("31612345678")]],
    }
    assert meta.members == {(sha("bob@example.com"), sha("3161"))}
    assert "received" in result.detail and "@" not in str(bodies)


def test_meta_erasing_the_same_person_twice_is_not_dropped_as_a_replayed_session(stand_ins, meta):
    destination, _ = stand_ins.destination("meta_audiences")
    row = (sha("ann.lee@example.com"), "")
    meta.members.add(row)
    assert destination.erase(ANN, sleep=lambda s: None).status == "done"
    meta.members.add(row)  # added again by some later upload
    assert destination.erase(ANN, sleep=lambda s: None).status == "done"
    assert meta.members == set() and len(meta.sessions) == 2


# -- shared behaviour: not found, retries, bounded attempts ---------------------------------------------


@pytest.mark.parametrize("name", ["mailchimp", "hubspot"])
def test_an_unknown_person_is_not_found_not_failed(name, stand_ins):
    destination, api = stand_ins.destination(name)
    result = destination.erase(ANN, sleep=lambda s: None)
    assert (result.status, result.attempts) == ("not_found", 1)
    assert len(api.requests) == 1


@pytest.mark.parametrize("name", ERASABLE)
def test_a_subject_without_identifiers_sends_nothing(name, stand_ins):
    destination, api = stand_ins.destination(name)
    result = destination.erase(ErasureSubject(customer_ids=("cus_9",)), sleep=lambda s: None)
    assert (result.status, result.attempts) == ("not_found", 0) and api.requests == []


@pytest.mark.parametrize("fault", ["429", "500", "drop"])
@pytest.mark.parametrize("name", ERASABLE)
def test_a_transient_fault_is_retried_once_and_the_person_is_erased(name, fault, stand_ins, sleeps):
    destination, api = stand_ins.destination(name)
    hold_ann(api)
    api.fail_next(fault)

    result = destination.erase(ANN, sleep=sleeps.append)

    assert (result.status, result.attempts) == ("done", 2), result.detail
    assert len(api.requests) == 2
    if fault == "429":
        assert sleeps == [1.0]  # the stand-in's Retry-After
    assert not (api.contacts if name == "hubspot" else api.members)


@pytest.mark.parametrize("name", ERASABLE)
def test_a_destination_that_keeps_failing_is_failed_after_five_attempts(name, stand_ins, sleeps):
    destination, api = stand_ins.destination(name)
    api.fail_next("500", times=20)

    result = destination.erase(ErasureSubject(("cus_1",), emails=("ann.lee@example.com",)), sleep=sleeps.append)

    assert (result.status, result.attempts) == ("failed", 5)
    assert len(api.requests) == 5 and len(sleeps) == 4
    assert "HTTP 500" in result.detail


@pytest.mark.parametrize("name", ERASABLE)
def test_a_wrong_credential_fails_at_once(name, stand_ins):
    destination, api = stand_ins.destination(name)
    if name == "mailchimp":
        destination._session.auth = ("cdp", "wrong")
    else:
        destination._session.headers["Authorization"] = "Bearer wrong"
    result = destination.erase(ANN, sleep=lambda s: None)
    assert (result.status, result.attempts) == ("failed", 1) and len(api.requests) == 1


def test_only_the_destinations_listed_as_erasable_have_erase():
    for name in KNOWN:
        module = importlib.import_module(f"activation.destinations.{name}")
        classes = [
            c
            for _, c in inspect.getmembers(module, inspect.isclass)
            if issubclass(c, DestinationBase) and c.__module__ == module.__name__
        ]
        assert len(classes) == 1, name
        assert hasattr(classes[0], "erase") == (name in ERASABLE), name


# -- erase_everywhere ------------------------------------------------------------------------------------


def test_erase_everywhere_reports_one_result_per_sync_and_calls_each_list_once(
    make_sync, syncs, env, mailchimp, hubspot, meta
):
    for api in (mailchimp, hubspot, meta):
        hold_ann(api)
    declared = [
        syncs["mailchimp"],
        replace(syncs["mailchimp"], name="second_list_sync"),  # same list: one call serves both
        replace(syncs["mailchimp"], name="other_list", options={**syncs["mailchimp"].options, "list_id": "list2"}),
        syncs["hubspot"],
        syncs["meta_audiences"],
        make_sync(name="to_files", destination="files", options={"format": "jsonl"}),
        make_sync(name="to_webhook", destination="webhook", options={"url_env": "UNSET", "secret_env": "UNSET"}),
    ]

    results = erase_everywhere(declared, env, ANN, sleep=lambda s: None)

    assert [(r.destination, r.status) for r in results] == [
        ("vips_to_mailchimp", "done"),
        ("second_list_sync", "done"),
        ("other_list", "not_found"),  # the stand-in answers 404 for a list it does not hold
        ("contacts_to_hubspot", "done"),
        ("vips_to_meta", "done"),
        ("to_files", "unsupported"),
        ("to_webhook", "unsupported"),  # judged without building it: its missing settings do not matter
    ]
    assert results[1].attempts == 0 and "vips_to_mailchimp" in results[1].detail
    erase_calls = [p for _, p in mailchimp.requests if p.endswith("/delete-permanent")]
    assert len(erase_calls) == 2  # list1 once, list2 once
    assert not mailchimp.members and not hubspot.contacts and not meta.members
    for result in results:
        assert_no_pii(result.detail)


def test_a_sync_missing_its_secret_fails_alone_and_the_others_still_erase(syncs, env, mailchimp, hubspot):
    hold_ann(hubspot)
    partial = {k: v for k, v in env.items() if k != "MC_KEY"}

    results = erase_everywhere([syncs["mailchimp"], syncs["hubspot"]], partial, ANN, sleep=lambda s: None)

    assert [(r.destination, r.status) for r in results] == [
        ("vips_to_mailchimp", "failed"),
        ("contacts_to_hubspot", "done"),
    ]
    assert "MC_KEY" in results[0].detail and results[0].attempts == 0
    assert mailchimp.requests == [] and not hubspot.contacts


def test_a_destination_that_crashes_is_failed_and_the_others_still_erase(syncs, env, hubspot, monkeypatch):
    def crash(self, subject, **kwargs):
        raise KeyError("bug")

    monkeypatch.setattr(MailchimpDestination, "erase", crash)
    hold_ann(hubspot)

    results = erase_everywhere([syncs["mailchimp"], syncs["hubspot"]], env, ANN, sleep=lambda s: None)

    assert [r.status for r in results] == ["failed", "done"] and "KeyError" in results[0].detail


def test_erase_declared_reads_the_projects_syncs_like_cdp_activate(tmp_path):
    api = MailchimpStandIn("demo-key", list_id="cdpnewsletter")
    url = api.start()
    try:
        api.members[subscriber_hash("ann.lee@example.com")] = {"email_address": "ann.lee@example.com"}
        settings = Settings(duckdb_path=tmp_path / "w.duckdb", landing_dir=tmp_path, pipelines_dir=tmp_path)
        env = {"CDP_MAILCHIMP_BASE_URL": url, "CDP_MAILCHIMP_API_KEY": "demo-key"}

        results = erase_declared(settings, ANN, env, sleep=lambda s: None)

        by_sync = {r.destination: r.status for r in results}
        assert by_sync["high_value_to_newsletter"] == "done" and not api.members
        assert {s for n, s in by_sync.items() if n != "high_value_to_newsletter"} == {"unsupported"}
    finally:
        api.stop()
