"""In real Chromium, resident text holding markup, script and template syntax is shown as text on
every map and page, and nothing of it runs: no dialog opens, no global is set."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.factories import (
    RAILWAY_SQUARE,
    STAFF_PASSWORD,
    add_service_area,
    add_user,
    approve_request,
    file_request,
    offset,
    take_to_stage,
)

pytestmark = pytest.mark.browser

HOSTILE = (
    "{{ 7*7 }} {# ",
    "<script>window.pwned=1;alert(1)</script>",
    '"><img src=x onerror="window.pwned=2;alert(2)">',
    "`${window.pwned=3}` {% print(1) %}",
)


def _watch_for_dialogs(page: Page) -> list[str]:
    opened: list[str] = []

    def record(dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return opened


def _log_in(page: Page, email: str) -> None:
    page.goto(f"{page.base_url}/login")
    page.fill("#email", email)
    page.fill("#password", STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def _hostile_city(session):
    add_service_area(session)
    filed = [
        file_request(
            session,
            title=f"Stop {text}",
            landmark=text,
            description=f"Why: {text}",
            point=offset(RAILWAY_SQUARE, 90 * index, 120 * index),
        )
        for index, text in enumerate(HOSTILE)
    ]
    planner = add_user(session, "planner")
    project = approve_request(
        session, planner, title=f"Stop {HOSTILE[2]}", point=offset(RAILWAY_SQUARE, 45, 600)
    )
    take_to_stage(session, project, planner, "coordination")
    return filed, planner, project


def test_residents_map_and_tracking_pages_show_hostile_titles_as_text(page, live_session):
    filed, _, _ = _hostile_city(live_session)
    dialogs = _watch_for_dialogs(page)
    page.goto(page.base_url + "/")
    page.wait_for_function("() => window.TransitMap !== undefined")
    # Close enough that no marker is clustered: every title gets its own tooltip and popup.
    page.evaluate(
        "([lat, lon]) => { window.transitreqMap.setView([lat, lon], 16, {animate: false}); }",
        [RAILWAY_SQUARE.y, RAILWAY_SQUARE.x],
    )
    markers = page.locator("path.request-marker")
    expect(markers).to_have_count(len(HOSTILE) + 1)  # and the approved one
    # Every marker's tooltip and popup, rendered into the page one after another.
    shown = page.evaluate(
        """() => window.transitreqLayers.requests.getLayers().map((marker) => {
             marker.openTooltip(); marker.openPopup();
             const popup = marker.getPopup().getElement()
               .querySelector('.leaflet-popup-content').textContent;
             const tooltip = marker.getTooltip().getElement().textContent;
             marker.closePopup(); marker.closeTooltip();
             return [tooltip, popup];
           })"""
    )
    for stop_request in filed:
        assert any(tooltip.startswith(stop_request.title) for tooltip, _ in shown), shown
        assert any(popup.startswith(stop_request.title) for _, popup in shown), shown
    for stop_request in filed:
        page.goto(f"{page.base_url}/requests/{stop_request.reference}")
        expect(page.locator("h1")).to_contain_text(stop_request.title)
    assert dialogs == []
    assert page.evaluate("window.pwned") is None


def test_staff_and_department_pages_show_hostile_text_as_text(page, live_session):
    filed, planner, project = _hostile_city(live_session)
    department = add_user(live_session, "department", department="Bus operator")
    dialogs = _watch_for_dialogs(page)
    _log_in(page, planner.email)
    page.goto(page.base_url + "/planning/")
    expect(page.locator("#queue-table tbody tr")).to_have_count(len(HOSTILE) + 1)
    for stop_request in filed:
        page.goto(f"{page.base_url}/planning/requests/{stop_request.reference}")
        expect(page.locator("h1")).to_contain_text(stop_request.title)
    page.goto(f"{page.base_url}/planning/projects/{project.id}")
    expect(page.locator("h1")).to_contain_text(HOSTILE[2])
    labels = page.evaluate(
        "() => window.transitreqLayers.marks.getLayers()"
        ".filter((layer) => layer.getTooltip())"
        ".map((layer) => layer.getTooltip().getContent().textContent)"
    )
    assert any(label.endswith(f"Stop {HOSTILE[2]}") for label in labels), labels
    page.goto(f"{page.base_url}/planning/evaluate?lat={RAILWAY_SQUARE.y}&lon={RAILWAY_SQUARE.x}")
    expect(page.locator(".evaluated-site")).to_have_count(1)
    page.context.clear_cookies()
    _log_in(page, department.email)
    page.goto(f"{page.base_url}/departments/")
    page.locator("path.project-site").first.hover(force=True)
    expect(page.locator(".leaflet-tooltip")).to_contain_text(HOSTILE[2])
    assert dialogs == []
    assert page.evaluate("window.pwned") is None
