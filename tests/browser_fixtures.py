"""Fixtures for the browser tests: one Chromium per module, a fresh embedded app per test, and a
page that fails its test on any JavaScript error."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser import CHROMIUM_ARGS, CHROMIUM_PATH, embedded_app, serving

# The suite runs two workers per core beside PostgreSQL and a Chromium each: an answer that
# takes half a second alone can take several, so expectations wait up to 15 s (not 5) before
# they fail. A test still fails at once on a wrong value once the page has settled.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_app(tmp_path):
    """The embedded default (SpatiaLite) with no tile server: the map must work without one."""
    with embedded_app(tmp_path) as app:
        yield app


@pytest.fixture
def live_session(live_app):
    session = live_app.extensions["transitreq.sessionmaker"]()
    yield session
    session.close()


@pytest.fixture
def viewport() -> dict[str, int]:
    """The browser window; a module wanting a wider one overrides this fixture."""
    return {"width": 1280, "height": 900}


@pytest.fixture
def page(browser, live_app, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with serving(live_app) as base_url:
        page.base_url = base_url
        yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
