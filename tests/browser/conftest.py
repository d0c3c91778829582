"""The console in a real browser: Debian's Chromium, driven by Playwright, against the local stack started
as `make run` starts it. One stack and one browser per test process; each test gets a fresh page (its own
sessionStorage), fails on any script error or Content-Security-Policy violation, and leaves a screenshot of
the screen it ends on in tests/browser/screenshots/."""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from tests.support.local_stack import Running, running_stack

CHROMIUM = "/usr/bin/chromium"
# As the machine's notes advise for a closed network: without them Chromium keeps trying Google's hosts.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HERE = Path(__file__).parent
SCREENSHOTS = HERE / "screenshots"
AXE = HERE / "vendor" / "axe.min.js"
DESKTOP = {"width": 1200, "height": 900}


@dataclass(frozen=True)
class Console:
    """The running stack as the console's owner meets it."""

    base_url: str
    admin_key: str
    receiver_url: str
    stack: Running

    @property
    def url(self) -> str:
        return f"{self.base_url}/console"


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    with running_stack(tmp_path_factory.mktemp("stack")) as running:
        base_url = running.read_until(r"Listening on (http://127\.0\.0\.1:\d+) ").group(1)
        key = running.find(r"^  (mhk_\S+)$").group(1)
        # Printed beside the key, as the owner finds it.
        assert running.find(r"^  Console: (\S+)$").group(1) == f"{base_url}/console"
        receiver = running.find(r"Receiver +(http://127\.0\.0\.1:\d+)/ ").group(1)
        yield Console(base_url, key, receiver, running)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    yield launched
    launched.close()


def _problem(message: ConsoleMessage) -> str | None:
    # The API's 4xx answers (a refused key, a mapping with problems) are the console's to show, not faults.
    if message.text.startswith("Failed to load resource: the server responded with a status of 4"):
        return None
    if message.type == "error" or "Content Security Policy" in message.text:
        return f"console {message.type}: {message.text}"
    return None


@pytest.fixture
def locale() -> str:
    """The browser's language; a test in Spanish overrides it."""
    return "en-GB"


@pytest.fixture
def page(browser: Browser, locale: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, locale=locale)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    problems: list[str] = []
    opened.on("console", lambda message: problems.append(found) if (found := _problem(message)) else None)
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield opened
    shoot(opened, request.node.name)
    context.close()
    assert problems == []


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    file_name = re.sub(r"[^\w-]", "_", name)
    page.screenshot(path=SCREENSHOTS / f"{file_name}.png", full_page=True)


def shoot_dialog(page: Page, name: str) -> None:
    """A screenshot of the open dialog whole: the window made tall enough that it needs no scrolling."""
    size = page.viewport_size
    page.set_viewport_size({"width": DESKTOP["width"], "height": 1800})
    shoot(page, name)
    if size is not None:
        page.set_viewport_size(size)


def sign_in(page: Page, console: Console, key_label: str = "Admin API key", button: str = "Sign in") -> None:
    page.goto(console.url)
    page.get_by_label(key_label).fill(console.admin_key)
    page.get_by_role("button", name=button).click()
    page.locator("header nav").wait_for()


def accessibility_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is. Its source is evaluated through the
    DevTools protocol: the console's policy rightly refuses a script tag added to the page."""
    page.evaluate(AXE.read_text())
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": each["id"], "impact": each["impact"], "nodes": [node["target"] for node in each["nodes"]]}
        for each in results["violations"]
        if each["impact"] in ("serious", "critical")
    ]


def assert_accessible(page: Page) -> None:
    violations = accessibility_violations(page)
    assert violations == [], json.dumps(violations, indent=1)
