"""The console as its users meet it, in Chromium: log in as each role, find a customer by a phone typed
another way, read the 360 page (timeline, identity graph), click two identifiers for the path, check the
marketer's masking, open a segment's chart, read a failed sync's error. Screenshots go to
artifacts/console/ (the best are copied to docs/img/)."""

import re
import sqlite3

import pytest

from tests.console.conftest import PASSWORDS

pytestmark = pytest.mark.browser


def _log_in(page, base: str, name: str) -> None:
    page.goto(base + "/")
    assert page.url.endswith("/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def _customer_with_phone(console_data) -> tuple[str, str, str]:
    """(phone digits, email, customer id) of a customer with a few identity links."""
    conn = sqlite3.connect(console_data.serving_store)
    rows = conn.execute(
        "select p.lookup_value, e.lookup_value, p.customer_id from identifiers p join identifiers e"
        " on e.customer_id = p.customer_id and e.identifier_type = 'email'"
        " where p.identifier_type = 'phone' and length(p.lookup_value) >= 10 order by p.customer_id"
    ).fetchall()
    conn.close()
    links = sqlite3.connect(console_data.console_store)
    try:
        for phone, email, customer_id in rows:
            count = links.execute("select count(*) from links where customer_id = ?", [customer_id]).fetchall()[0][0]
            if 2 <= count <= 40:
                return phone, email, customer_id
    finally:
        links.close()
    pytest.fail("no demo customer with a phone, an email and a small identity graph")


def test_admin_finds_a_customer_by_phone_and_follows_the_graph(chromium, console_url, console_data, screenshots):
    phone, email, customer_id = _customer_with_phone(console_data)
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    _log_in(page, console_url, "ann")
    page.locator(".chart[data-drawn='1']").first.wait_for()
    assert page.locator(".chart .main-svg").count() >= 3  # Plotly drew the overview charts
    page.screenshot(path=str(screenshots / "overview.png"), full_page=True)

    page.click("text=Customers")
    typed = f"+{phone[:2]} {phone[2:5]} {phone[5:8]}-{phone[8:]}"
    page.fill("#search-value", typed)
    page.click("button:has-text('Search')")
    page.wait_for_url(re.compile(r"/customers/cus_"))
    assert page.url.endswith(f"/customers/{customer_id}") and phone not in page.url
    assert page.locator("#timeline tr").count() > 1
    assert email in page.locator("#identifiers").inner_text()
    assert page.locator("#identity-graph .node.identifier").count() >= 2

    nodes = page.locator("#identity-graph .node.identifier")
    nodes.nth(0).locator("circle").click()
    nodes.nth(nodes.count() - 1).locator("circle").click()
    page.locator("#path-result[data-ready='1']").wait_for()
    answer = page.locator("#path-result").inner_text()
    assert "seen together on" in answer or "No admitted link" in answer
    page.screenshot(path=str(screenshots / "customer_360.png"), full_page=True)
    assert not errors, errors  # no CSP violation, no script error
    context.close()


def test_marketer_sees_masked_pii_and_a_segment_chart(chromium, console_url, console_data, screenshots):
    phone, email, customer_id = _customer_with_phone(console_data)
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    _log_in(page, console_url, "mo")
    assert "PII masked" in page.locator("#who").inner_text()
    page.click("text=Customers")
    page.fill("#search-value", email.upper())
    page.click("button:has-text('Search')")
    page.wait_for_url(re.compile(r"/customers/cus_"))
    html = page.content()
    assert email not in html and phone not in html
    assert f"{email[0]}***@{email.partition('@')[2]}" in page.locator("#identifiers").inner_text()
    page.screenshot(path=str(screenshots / "customer_360_masked.png"), full_page=True)

    page.click("text=Segments")
    page.locator("#segment-list a").first.click()
    page.locator("#chart-segment[data-drawn='1'] .main-svg").first.wait_for()
    assert "***@" in page.locator("#members").inner_text() or page.locator("#members tr").count() == 1
    page.screenshot(path=str(screenshots / "segment.png"), full_page=True)
    context.close()


def test_a_failed_sync_shows_its_error(chromium, console_url, console_data, screenshots):
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    _log_in(page, console_url, "mo")
    page.click("text=Syncs")
    run = page.locator("#sync-runs tr.run", has_text=console_data.failed_sync)
    assert "incomplete" in run.inner_text()
    assert "destination unavailable" in page.locator("#sync-failures").inner_text()
    page.screenshot(path=str(screenshots / "syncs.png"), full_page=True)
    page.click("text=Log out")
    page.wait_for_url(re.compile(r"/login$"))
    page.goto(console_url + "/syncs")
    assert page.url.endswith("/login")
    context.close()


def test_admin_accepts_a_review_item(chromium, console_url, screenshots):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    _log_in(page, console_url, "ann")
    page.click("header >> text=Review")
    items = page.locator(".review-item")
    before = items.count()
    assert before >= 1, "the demo's review queue is empty"
    assert page.locator(".review-item").first.locator("th").count() >= 3  # both records side by side
    page.screenshot(path=str(screenshots / "review.png"), full_page=True)
    page.locator(".review-item").first.locator("button[value=accept]").click()
    page.wait_for_load_state()
    assert "1 decided here" in page.content()
    assert page.locator(".review-item").count() == before - 1
    context.close()
