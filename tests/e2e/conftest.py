"""Browser tests: headless Debian Chromium (never a downloaded browser) against `live_server`."""

import os

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by fixtures and
# assertions would otherwise be refused as "called from an async context".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) per test, pointed at the live server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def log_in(page, password):
    """Log in through the login form, as a person would; returns the page."""

    def _log_in(username, pw=None):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(pw or password)
        page.get_by_role("button", name="Log in").click()
        return page

    return _log_in


def reading_row(page, systolic: str):
    """The flowsheet's row of the reading whose systolic value is `systolic`."""
    value = page.get_by_test_id("systolic").get_by_text(systolic, exact=True)
    return page.get_by_test_id("reading").filter(has=value)
