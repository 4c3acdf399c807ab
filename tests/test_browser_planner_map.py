"""A planner in a real browser: the map and the review queue filter together, a request
clicked on the map shows its evaluation and catchments, and from there the planner approves it
at an adjusted location."""

from __future__ import annotations

import pytest
from geoalchemy2.shape import to_shape
from playwright.sync_api import Page, expect
from shapely.geometry import Point
from sqlalchemy import update

from tests.browser import open_planner_map, wait_for_map
from tests.factories import (
    RAILWAY_SQUARE,
    add_service_area,
    file_request,
    geodesic_m,
    offset,
)
from transitreq.models import RequestStatus, StopRequest
from transitreq.services.analysis.evaluation import evaluate_site
from transitreq.services.requests.filing import find_by_reference, support_request

pytestmark = pytest.mark.browser


@pytest.fixture
def viewport() -> dict[str, int]:
    """Wide enough for the map and the queue table side by side."""
    return {"width": 1400, "height": 900}


STATUSES = ["submitted", "under_review", "submitted", "under_review", "needs_info"]


def _file_requests(session) -> list[StopRequest]:
    filed = []
    for number, status in enumerate(STATUSES):
        stop_request = file_request(
            session,
            title=f"Request number {number}",
            point=offset(RAILWAY_SQUARE, 72 * number, 500 + 150 * number),
        )
        session.execute(
            update(StopRequest)
            .where(StopRequest.id == stop_request.id)
            .values(status=RequestStatus(status))
        )
        session.commit()
        filed.append(stop_request)
    return filed


def _marker_count(page: Page) -> int:
    return page.evaluate("window.transitreqLayers.requests.getLayers().length")


def test_planner_filters_the_queue_opens_a_request_from_the_map_and_approves_it(
    page, live_app, live_session
):
    add_service_area(live_session)
    filed = _file_requests(live_session)
    chosen = filed[1]
    support_request(live_session, chosen.reference, "fan1@example.org")
    support_request(live_session, chosen.reference, "fan2@example.org")
    open_planner_map(page, live_session)

    rows = page.locator("#queue-table tbody tr")
    expect(rows).to_have_count(len(filed))
    page.wait_for_function(
        f"() => window.transitreqLayers.requests.getLayers().length === {len(filed)}"
    )

    # Filtering the table filters the map with it.
    page.get_by_label("Under review").check()
    expect(rows).to_have_count(2)
    expect(page.locator("#queue-count")).to_contain_text("2 requests match")
    page.wait_for_function("() => window.transitreqLayers.requests.getLayers().length === 2")
    for row in rows.all():
        expect(row).to_contain_text("Under review")
    page.fill("#q", "number 3")
    page.click("#apply-filters")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(filed[3].reference)
    page.wait_for_function("() => window.transitreqLayers.requests.getLayers().length === 1")
    assert _marker_count(page) == 1
    page.fill("#q", "")
    page.click("#apply-filters")
    expect(rows).to_have_count(2)
    link = page.get_by_role("link", name=chosen.title)
    assert link.get_attribute("href") == f"/planning/requests/{chosen.reference}"

    # Zoom to the chosen request (past clustering) and click its marker.
    location = offset(RAILWAY_SQUARE, 72, 650)
    page.evaluate(
        "([lat, lon]) => { window.transitreqMap.setView([lat, lon], 17, {animate: false}); }",
        [location.y, location.x],
    )
    page.wait_for_function("() => window.transitreqLayers.requests.getLayers().length >= 1")
    wait_for_map(page, "map_planner")
    box = page.locator("#map_planner").bounding_box()
    point = page.evaluate(
        "([lat, lon]) => window.transitreqMap.latLngToContainerPoint([lat, lon])",
        [location.y, location.x],
    )
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])

    summary = page.locator("#summary-figures")
    expect(summary).to_be_visible()
    settings = live_app.extensions["transitreq.settings"].evaluation
    evaluation = evaluate_site(live_session, location, settings)
    expect(page.locator("#summary-title")).to_have_text(chosen.title)
    expect(summary).to_contain_text(f"{evaluation.score.total:.1f} / 100")
    expect(summary).to_contain_text("Supporters2")
    expect(summary).to_contain_text(
        f"{evaluation.demand.requests} request(s), {evaluation.demand.supporters} supporter(s)"
    )
    expect(summary).to_contain_text("People within 400 m")
    expect(page.locator("path.catchment-400")).to_have_count(1)
    expect(page.locator("path.catchment-800")).to_have_count(1)

    # From the map's summary to the review page, where the planner moves the stop and approves.
    page.get_by_role("link", name="Open the review page").click()
    expect(page.locator("#request-title")).to_have_text(chosen.title)
    page.wait_for_function("() => window.reviewPin !== undefined")
    pin = page.locator(".leaflet-marker-icon").first
    pin.scroll_into_view_if_needed()
    pin_box = pin.bounding_box()
    x, y = pin_box["x"] + pin_box["width"] / 2, pin_box["y"] + pin_box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 70, y + 40, steps=10)
    page.mouse.up()
    dropped = page.evaluate("window.reviewPin.getLatLng()")
    page.click("#approve-submit")
    expect(page.locator(".flash-success")).to_contain_text("Approved")
    live_session.expire_all()
    approved = find_by_reference(live_session, chosen.reference)
    assert approved.status is RequestStatus.APPROVED
    assert (
        geodesic_m(to_shape(approved.project.location), Point(dropped["lng"], dropped["lat"])) < 1.0
    )
    assert geodesic_m(to_shape(approved.project.location), location) > 20
