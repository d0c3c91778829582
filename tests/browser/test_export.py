"""Activity export and sending domains in the console: an endpoint's kinds saved, a test event sent and
found in its delivery log; a domain added with its DKIM records, on a phone's width."""

import re
import secrets

from playwright.sync_api import Page, expect

from tests.browser.conftest import Console, assert_accessible, shoot, sign_in


def test_an_endpoint_ticks_its_kinds_and_its_test_event_reaches_the_delivery_log(
    page: Page, console: Console
) -> None:
    receiver_url = f"{console.receiver_url}/crm-{secrets.token_hex(3)}"
    sign_in(page, console)
    page.get_by_role("link", name="Activity export").click()
    page.get_by_role("button", name="New endpoint").click()
    new = page.get_by_role("region", name="New endpoint")
    new.get_by_label("URL", exact=True).fill(receiver_url)
    new.get_by_label("Subscribe", exact=True).check()
    new.get_by_role("button", name="Create endpoint").click()
    secret = page.get_by_role("region", name="Signing secret").get_by_role("textbox")
    expect(secret).to_have_value(re.compile(r"^whsec_"))

    card = page.get_by_role("region", name=receiver_url)
    expect(card.get_by_label("Subscribe", exact=True)).to_be_checked()
    card.get_by_label("Click", exact=True).check()
    card.get_by_label("Unsubscribe", exact=True).check()
    card.get_by_role("button", name="Save").click()
    expect(card.get_by_role("status").filter(has_text="✓ Saved")).to_be_visible()

    card.get_by_role("button", name="Send a test event").click()
    expect(card.locator(".test-result")).to_have_text(re.compile(r"^Your receiver answered 204 in \d+ ms\.$"))
    log = card.locator(".log tbody tr")
    expect(log).to_have_count(1)
    expect(log.locator("td[data-label=Activity]")).to_have_text("Test event")
    expect(log.locator("td[data-label=Answer]")).to_have_text("204")
    expect(card.locator("dd.state")).to_have_text("Healthy")
    log.get_by_role("button", name="Send again").click()
    expect(card.get_by_role("status").filter(has_text="Queued to be sent again.")).to_be_visible()

    page.reload()
    card = page.get_by_role("region", name=receiver_url)
    kinds = card.get_by_role("group", name="Activities it receives").get_by_role("checkbox")
    expect(kinds).to_have_count(6)
    assert [box.get_attribute("value") for box in kinds.all() if box.is_checked()] == [
        "click",
        "subscribe",
        "unsubscribe",
    ]
    card.locator(".test-result").scroll_into_view_if_needed()
    assert_accessible(page)
    shoot(page, "export-en")


def test_a_sending_domain_shows_its_dkim_records_on_a_phone(page: Page, console: Console) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    domain = f"{secrets.token_hex(4)}.example"
    sign_in(page, console)
    page.get_by_role("link", name="Sending domains").click()
    page.get_by_label("Domain", exact=True).fill(domain)
    page.get_by_role("button", name="Add domain").click()
    card = page.get_by_role("region", name=domain)
    expect(card.locator(".badge")).to_have_text("Pending")
    records = card.locator("tbody tr")
    expect(records).to_have_count(3)
    expect(records.first.locator("td[data-label=Type]")).to_have_text("CNAME")
    expect(records.first.locator("td[data-label=Name]")).to_contain_text(f"._domainkey.{domain}")
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(page)
