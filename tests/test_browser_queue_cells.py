"""A planner's map with more requests than it shows one by one: numbered grid cells that add up
to the queue's total, zooming in on a click until each request is a marker again."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page
from sqlalchemy import insert

from tests.browser import open_planner_map
from tests.factories import RAILWAY_SQUARE, add_service_area
from transitreq.models import RequestStatus, StopRequest
from transitreq.services.analysis.queue import MAX_MAP_POINTS

pytestmark = pytest.mark.browser


@pytest.fixture
def viewport() -> dict[str, int]:
    return {"width": 1400, "height": 900}


def _crowd(session, count: int) -> None:
    """``count`` requests within about a kilometre of the railway square, scored."""
    rng = random.Random(3)
    now = datetime.now(UTC)
    rows = [
        {
            "title": f"请求 <b>{number}</b>",
            "description": "Generated.",
            "served_groups": [],
            "landmark": "",
            "location": (
                f"SRID=4326;POINT({RAILWAY_SQUARE.x + rng.uniform(-0.015, 0.015)} "
                f"{RAILWAY_SQUARE.y + rng.uniform(-0.008, 0.008)})"
            ),
            "status": RequestStatus.SUBMITTED,
            "notify_progress": False,
            "created_at": now,
            "updated_at": now,
            "version": 1,
            "score": 50.0,
        }
        for number in range(count)
    ]
    session.execute(insert(StopRequest), rows)
    session.commit()


def _cell_total(page: Page) -> int:
    return page.evaluate(
        "() => window.PlannerQueue.cells.getLayers()"
        ".reduce((sum, cell) => sum + Number(cell.getElement().textContent.replace(/\\D/g, '')), 0)"
    )


def test_many_requests_come_as_numbered_cells_that_zoom_in(page, live_app, live_session):
    add_service_area(live_session)
    count = MAX_MAP_POINTS + 200
    _crowd(live_session, count)
    open_planner_map(page, live_session)
    page.wait_for_function("() => window.PlannerQueue.cells.getLayers().length > 0")
    assert _cell_total(page) == count
    assert page.evaluate("window.transitreqLayers.requests.getLayers().length") == 0
    assert "grouped by area" in page.locator("#queue-count").inner_text()
    zoom = page.evaluate("window.TransitMap.map.getZoom()")
    page.locator(".queue-cell").first.click()
    page.wait_for_function(f"() => window.TransitMap.map.getZoom() > {zoom}")
    # Zoomed in far enough, the view holds fewer requests: each is a marker again.
    page.evaluate("window.TransitMap.map.setView([60.171, 24.9432], 18)")
    page.wait_for_function(
        "() => window.transitreqLayers.requests.getLayers().length > 0"
        " && window.PlannerQueue.cells.getLayers().length === 0"
    )
    assert "grouped by area" not in page.locator("#queue-count").inner_text()
