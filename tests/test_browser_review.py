"""A planner in a real browser: log in, open a request's review, drag the stop's pin, approve."""

from __future__ import annotations

import pytest
from geoalchemy2.shape import to_shape
from playwright.sync_api import expect
from shapely.geometry import Point

from tests.factories import STAFF_PASSWORD, add_service_area, add_user, file_request, geodesic_m
from transitreq.models import RequestStatus
from transitreq.services.requests.filing import find_by_reference

pytestmark = pytest.mark.browser


def test_planner_drags_the_stop_pin_and_approves_there(page, live_session):
    add_service_area(live_session)
    stop_request = file_request(live_session, title="Stop for the senior housing")
    planner = add_user(live_session, "planner")
    review_url = f"{page.base_url}/planning/requests/{stop_request.reference}"

    page.goto(review_url)
    page.fill("#email", planner.email)
    page.fill("#password", STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(review_url)
    expect(page.locator("#request-title")).to_have_text("Stop for the senior housing")
    page.wait_for_function("() => window.reviewPin !== undefined")

    pin = page.locator(".leaflet-marker-icon").first
    pin.scroll_into_view_if_needed()
    box = pin.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 90, y + 50, steps=10)
    page.mouse.up()
    dropped = page.evaluate("window.reviewPin.getLatLng()")
    dropped_at = Point(dropped["lng"], dropped["lat"])
    expect(page.locator("#project-coordinates")).to_have_value(
        f"{dropped['lat']:.6f}, {dropped['lng']:.6f}"
    )
    assert geodesic_m(dropped_at, to_shape(stop_request.location)) > 20

    page.click("#approve-submit")
    expect(page.locator(".flash-success")).to_contain_text("Approved")

    live_session.expire_all()
    approved = find_by_reference(live_session, stop_request.reference)
    assert approved.status is RequestStatus.APPROVED
    assert geodesic_m(to_shape(approved.project.location), dropped_at) < 1.0

    page.goto(f"{page.base_url}/requests/{stop_request.reference}")
    expect(page.locator("#timeline")).to_contain_text("Approved")
    expect(page.locator("#decision")).to_contain_text("new stop is planned")
