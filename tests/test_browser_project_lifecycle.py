"""One stop from approval to service in a real browser: the planner approves and runs the
project, each department's staff sign off on their own page in their own browser session, and
a resident then sees the stop in service on the tracking page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from geoalchemy2.shape import from_shape
from playwright.sync_api import Browser, expect
from shapely.geometry import MultiLineString

from tests.browser import log_in
from tests.factories import (
    PNG_PIXEL,
    RAILWAY_SQUARE,
    add_service_area,
    add_user,
    file_request,
    offset,
)
from transitreq.config import default_settings
from transitreq.models import ProjectStage, RequestStatus, Route, utc_now
from transitreq.sentences import describe_launch
from transitreq.services.requests.filing import find_by_reference

pytestmark = pytest.mark.browser


def _route_passing_by(session) -> None:
    """Route 7, running east-west 250 m north of the requested stop."""
    middle = offset(RAILWAY_SQUARE, 0, 250)
    ends = [offset(middle, 270, 1200), offset(middle, 90, 1200)]
    session.add(
        Route(
            feed="test",
            gtfs_route_id="r7",
            short_name="7",
            long_name="Harbour – Station",
            path=from_shape(MultiLineString([[(p.x, p.y) for p in ends]]), srid=4326),
        )
    )
    session.commit()


def _department_signs_off(browser: Browser, base_url: str, email: str, department: str) -> None:
    """A member of the department, in a browser session of their own, approves its sign-off."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, email, base_url)
    expect(page).to_have_url(f"{base_url}/departments/")
    expect(page.locator("h1")).to_have_text(f"Sign-offs for {department}")
    cards = page.locator(".sign-off-card")
    expect(cards).to_have_count(1)
    expect(cards.locator(".findings")).to_have_text("Kerb 3 m wide; room for a shelter.")
    expect(cards.locator("img.thumbnail")).to_have_count(1)
    cards.get_by_role("button", name="Approve").click()
    expect(page.locator(".flash-success")).to_contain_text("Signed off")
    expect(cards.locator(".sign-off-state")).to_contain_text("Signed off")
    context.close()
    assert errors == [], f"JavaScript errors on {department}'s page: {errors}"


def test_a_stop_goes_from_approval_to_service_through_the_pages(page, browser, live_session):
    add_service_area(live_session)
    _route_passing_by(live_session)
    stop_request = file_request(live_session, title="Stop for the senior housing")
    planner = add_user(live_session, "planner")
    staff = {
        name: add_user(
            live_session,
            "department",
            email=f"{name.lower().replace(' ', '-')}@city.example",
            department=name,
        )
        for name in default_settings().projects.required_sign_offs
    }
    base_url = page.base_url
    today = utc_now().date()
    service_start = today + timedelta(days=7)

    # The planner approves the request on its review page and lands on the new project.
    log_in(page, planner.email, base_url)
    page.goto(f"{base_url}/planning/requests/{stop_request.reference}")
    page.click("#approve-submit")
    expect(page.locator(".flash-success")).to_contain_text("Approved")
    expect(page.locator("#project-stage")).to_have_text("Approved")
    expect(page.locator("#map_project")).to_be_visible()
    expect(page.locator("#linked-requests")).to_contain_text(stop_request.reference)

    # The site survey, with a photo.
    page.click("#start-survey-submit")
    expect(page.locator("#project-stage")).to_have_text("Site survey")
    page.fill("#findings", "Kerb 3 m wide; room for a shelter.")
    page.set_input_files(
        "#survey-photos", files=[{"name": "kerb.png", "mimeType": "image/png", "buffer": PNG_PIXEL}]
    )
    page.click("#survey-submit")
    expect(page.locator(".flash-success")).to_contain_text("The survey is recorded.")
    thumbnail = page.locator("#surveys img.thumbnail")
    expect(thumbnail).to_have_count(1)
    # The photo itself loads and is the pixel sent (a broken image is complete with width 0, and
    # fails this wait); read once it has arrived, not the instant its tag appears.
    page.wait_for_function(
        """() => {
            const img = document.querySelector('#surveys img.thumbnail');
            return img !== null && img.complete && img.naturalWidth === 1;
        }"""
    )

    # Coordination: construction must wait for every department.
    page.click("#coordination-submit")
    expect(page.locator("#project-stage")).to_have_text("Coordination with departments")
    expect(page.locator("#blockers-construction")).to_contain_text("Still waiting for the sign-off")
    expect(page.locator("#construction-start-submit")).to_be_disabled()

    for name, member in staff.items():
        _department_signs_off(browser, base_url, member.email, name)

    # Construction, launch and service.
    page.reload()
    expect(page.locator("#sign-offs .sign-off-state", has_text="Signed off")).to_have_count(4)
    page.click("#construction-start-submit")
    expect(page.locator("#project-stage")).to_have_text("Under construction")
    page.click("#construction-finish-submit")
    expect(page.locator(".flash-success")).to_contain_text("Construction is finished.")
    page.get_by_label("Route 7").check()
    page.fill("#service-start", service_start.isoformat())
    page.click("#launch-submit")
    expect(page.locator("#launch")).to_contain_text("Route 7 from")
    # Not before its first day: the planner is told it opens by itself then.
    expect(page.locator("#service-submit")).to_be_disabled()
    expect(page.locator("#blockers-in_service")).to_contain_text("enters service by itself")
    visitor = browser.new_context()
    resident = visitor.new_page()
    resident.goto(f"{base_url}/requests/{stop_request.reference}")
    expect(resident.locator("#main")).to_contain_text("Service planned to start on")
    expect(resident.locator(".reference-line .status-badge")).not_to_have_text("Stop in service")
    visitor.close()
    # The first day moved to today: the next view opens the stop, without a click.
    service_start = today
    page.get_by_label("Route 7").check()
    page.fill("#service-start", service_start.isoformat())
    page.click("#launch-submit")
    expect(page.locator("#project-stage")).to_have_text("In service")

    live_session.expire_all()
    done = find_by_reference(live_session, stop_request.reference)
    assert done.status is RequestStatus.COMPLETED
    assert done.project.status is ProjectStage.IN_SERVICE
    assert done.project.launch_routes == ["7"]

    # Anyone can follow the request and sees the stop in service.
    visitor = browser.new_context()
    resident = visitor.new_page()
    resident.goto(f"{base_url}/requests/{stop_request.reference}")
    expect(resident.locator(".reference-line .status-badge")).to_have_text("Stop in service")
    expect(resident.locator("#service-summary")).to_have_text(describe_launch(["7"], service_start))
    timeline = resident.locator("#timeline")
    expect(timeline).to_contain_text("Construction finished on")
    expect(timeline).to_contain_text("Bus operator signed off.")
    expect(timeline).not_to_contain_text("Kerb 3 m wide")
    visitor.close()
