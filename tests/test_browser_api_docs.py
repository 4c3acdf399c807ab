"""The API docs page renders in a real browser under our Content-Security-Policy, offline."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser import CHROMIUM_ARGS, CHROMIUM_PATH, embedded_app, serving
from transitreq.web.openapi import paths


@pytest.fixture
def docs_app(tmp_path):
    with embedded_app(tmp_path) as app:
        yield app


def test_developer_reads_every_operation_on_the_docs_page(docs_app):
    operations = sum(len(item) for item in paths().values())
    problems: list[str] = []
    hosts: set[str] = set()
    with sync_playwright() as playwright, serving(docs_app) as base_url:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on(
            "console",
            lambda message: (
                problems.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
        page.goto(base_url + "/api/docs")
        expect(page.locator(".opblock")).to_have_count(operations, timeout=15_000)
        expect(page.locator(".opblock-summary-path").first).to_contain_text("/api/")
        browser.close()
    assert problems == []
    assert hosts == {urlsplit(base_url).netloc}
