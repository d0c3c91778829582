"""The owner's inbound webhooks in the console: the story from a pasted form body to a counted call, a
sample captured from a live call, and the API's problems shown next to their fields."""

import base64
import json
import re
import secrets

from playwright.sync_api import Locator, Page, expect

from devstack.template import ROOT
from tests.browser.conftest import Console, assert_accessible, shoot, shoot_dialog, sign_in
from tests.support.local_stack import http


def _elementor_body() -> str:
    """The body an Elementor form posts, as events/ keeps it: form-encoded, keys like fields[email][value]."""
    event = json.loads((ROOT / "events" / "inbound_add_subscriber_form.json").read_text())
    return base64.b64decode(event["body"]).decode()


def _new_webhook(page: Page, name: str, operation: str) -> None:
    page.get_by_role("button", name="New webhook").click()
    dialog = page.get_by_role("dialog", name="New webhook")
    dialog.get_by_label("Name", exact=True).fill(name)
    dialog.get_by_label("Operation", exact=True).select_option(label=operation)


def _row(page: Page, name: str) -> Locator:
    return page.locator("tbody tr").filter(has=page.get_by_role("rowheader", name=name, exact=True))


def test_the_owner_story_from_a_pasted_form_to_a_counted_call(page: Page, console: Console) -> None:
    name = f"Newsletter form {secrets.token_hex(3)}"
    status, headers, _ = http("GET", console.url)
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    [script_src] = [part for part in headers["Content-Security-Policy"].split(";") if "script-src" in part]
    assert script_src.split() == ["script-src", "'self'"]
    sign_in(page, console)
    assert page.evaluate("Object.keys(sessionStorage)") == ["mailhooks.adminKey"]
    assert console.admin_key not in page.url
    assert_accessible(page)

    _new_webhook(page, name, "Add a subscriber to a list")
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("List", exact=True).select_option(label="Newsletter")
    dialog.get_by_label("Form body").check()
    dialog.get_by_label("Paste a form body").fill(_elementor_body())
    dialog.get_by_role("button", name="Read the sample").click()
    email = dialog.get_by_label("email (required)")
    expect(email).to_be_enabled()
    # The list's own fields are parameters too; each select offers every node with its example value.
    expect(dialog.get_by_label("city")).to_be_visible()
    expect(email.locator("option", has_text='/fields[email][value] = "ana@example.com"')).to_have_count(1)
    expect(dialog.get_by_label("double_optin")).to_contain_text("Not used (default: false)")
    email.select_option("/fields[email][value]")
    dialog.get_by_label("name", exact=True).select_option("/fields[name][value]")
    assert_accessible(page)
    shoot_dialog(page, "webhook-dialog-en")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()

    row = _row(page, name)
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Copy URL").click()
    expect(page.locator(".message")).to_have_text("URL copied.")
    url = page.evaluate("navigator.clipboard.readText()")
    assert re.fullmatch(rf"{console.base_url}/hooks/[\w-]{{43}}", url), url
    status, _, answer = http(
        "POST", url, _elementor_body().encode(), {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 201, answer

    page.get_by_role("button", name="Refresh").click()
    expect(row.locator("td[data-label=Successes]")).to_have_text("1")
    expect(row.locator("td[data-label=Errors]")).to_have_text("0")
    shoot(page, "webhooks-en")
    row.get_by_role("button", name="Last calls").click()
    calls = page.get_by_role("dialog", name=f"Last calls: {name}")
    expect(calls.locator("li")).to_have_count(1)
    expect(calls.locator("li strong")).to_have_text("201")
    expect(calls.locator("pre")).to_contain_text("fields%5Bemail%5D%5Bvalue%5D=ana%40example.com")
    assert_accessible(page)


def test_a_sample_captured_from_a_live_call_then_a_new_url_and_deletion(page: Page, console: Console) -> None:
    name = f"Unsubscribe from the shop {secrets.token_hex(3)}"
    sign_in(page, console)
    _new_webhook(page, name, "Unsubscribe")
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Listen for a call").click()
    url = dialog.get_by_label("Webhook URL")
    expect(url).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/hooks/[\w-]{43}$"))
    expect(dialog.get_by_role("status").filter(has_text="Waiting for a call")).to_be_visible()

    sample = {"event": "unsubscribed", "contact": {"address": "leo@example.com", "list": 2222}}
    first_url = url.input_value()
    status, _, answer = http(
        "POST", first_url, json.dumps(sample).encode(), {"Content-Type": "application/json"}
    )
    assert status == 202, answer

    expect(dialog.get_by_text("The sample arrived")).to_be_visible()
    email = dialog.get_by_label("email (required)")
    expect(email.locator("option", has_text='/contact/address = "leo@example.com"')).to_have_count(1)
    email.select_option("/contact/address")
    dialog.get_by_label("list_id (required)").select_option("/contact/list")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    row = _row(page, name)
    expect(row.get_by_role("switch")).to_be_checked()

    # A new URL, then deletion, each after the owner confirms; the old URL and then the new one stop.
    page.once("dialog", lambda confirmation: confirmation.accept())
    row.get_by_role("button", name="New URL").click()
    expect(page.get_by_text(f"“{name}” has a new URL.")).to_be_visible()
    assert http("HEAD", first_url)[0] == 404
    row.get_by_role("button", name="Copy URL").click()
    expect(page.locator(".message")).to_have_text("URL copied.")
    rotated = page.evaluate("navigator.clipboard.readText()")
    assert http("HEAD", rotated)[0] == 200
    page.once("dialog", lambda confirmation: confirmation.dismiss())
    row.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(1)
    page.once("dialog", lambda confirmation: confirmation.accept())
    row.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    assert http("HEAD", rotated)[0] == 404


def test_problems_shown_next_to_their_fields_by_keyboard_then_sign_out(page: Page, console: Console) -> None:
    page.goto(console.url)
    key = page.get_by_label("Admin API key")
    key.fill("mhk_not-a-key-of-anyone")
    key.press("Enter")
    expect(page.get_by_text("This key was not accepted")).to_be_visible()
    expect(key).to_have_attribute("aria-invalid", "true")
    sign_in(page, console)
    new = page.get_by_role("button", name="New webhook")
    for _ in range(20):
        page.keyboard.press("Tab")
        if new.evaluate("(button) => button === document.activeElement"):
            break
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="New webhook")
    expect(dialog.get_by_label("Name", exact=True)).to_be_focused()
    page.keyboard.type("Checkout")
    dialog.get_by_label("Operation", exact=True).select_option(label="Add a subscriber to a list")
    dialog.get_by_label("List", exact=True).select_option(label="Newsletter")
    dialog.get_by_label("Paste a JSON document").fill('{"customer": {"mail": "bo@example.com"}}')
    dialog.get_by_role("button", name="Read the sample").click()
    expect(dialog.get_by_label("email (required)")).to_be_enabled()
    dialog.get_by_role("button", name="Save").focus()
    page.keyboard.press("Enter")

    email = dialog.get_by_label("email (required)")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    error = dialog.locator(f"#{email.get_attribute('id')}-error")
    expect(error).to_contain_text("'email' is required")
    assert error.get_attribute("id") in (email.get_attribute("aria-describedby") or "").split()
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to your mailhooks console")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0
