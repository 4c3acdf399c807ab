"""The residents' map of a city with hundreds of requests, in a real browser: bubbles with
counts at city zoom, a click on one zooms in, and each request alone (its title as text) at
street zoom."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import insert

from tests.browser import wait_for_map
from tests.factories import RAILWAY_SQUARE, add_service_area, file_request
from transitreq.models import RequestStatus, StopRequest

pytestmark = pytest.mark.browser

MARKUP_TITLE = "<img src=x id=injected> 公交站 {{ 7*7 }}"
SCATTERED = 400


def _scatter_requests(session, count: int) -> None:
    rng = random.Random(7)
    now = datetime.now(UTC)
    session.execute(
        insert(StopRequest),
        [
            {
                "title": f"Scattered request {number}",
                "description": "A stop is needed here.",
                "served_groups": ["other"],
                "landmark": "",
                "location": f"SRID=4326;POINT({rng.uniform(24.905, 24.975)} "
                f"{rng.uniform(60.152, 60.188)})",
                "status": RequestStatus.SUBMITTED,
                "notify_progress": False,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for number in range(count)
        ],
    )
    session.commit()


def _shown_requests(page: Page) -> int:
    """Requests the map accounts for: each bubble's figure, plus each request drawn alone."""
    return page.evaluate(
        """() => {
            const bubbles = [
                ...document.querySelectorAll('#map_city .map-cluster.cluster-requests')];
            const counted = bubbles.reduce(
                (sum, bubble) => sum + Number(bubble.textContent.replace(/\\D/g, '')), 0);
            return counted + document.querySelectorAll('#map_city path.request-marker').length;
        }"""
    )


def test_city_zoom_shows_bubbles_that_zoom_in_and_street_zoom_shows_each_request(
    page, live_session
):
    add_service_area(live_session)
    mine = file_request(live_session, title=MARKUP_TITLE)
    _scatter_requests(live_session, SCATTERED)

    page.goto(page.base_url + "/")
    page.wait_for_function("() => window.transitreqMap !== undefined")
    bubbles = page.locator("#map_city .map-cluster.cluster-requests")
    expect(bubbles.first).to_be_visible()
    page.wait_for_load_state("networkidle")

    # Every request is accounted for, by far fewer shapes than requests.
    assert _shown_requests(page) == SCATTERED + 1
    assert bubbles.count() < SCATTERED / 4
    # Named for screen readers, in the page's words, and no Tab stop (the map is one).
    first = bubbles.first
    assert first.get_attribute("aria-label").endswith("requests here: click to zoom in")
    assert first.get_attribute("tabindex") == "-1"
    expect(page.locator(".map-notes")).to_contain_text("A number in a circle")

    zoom_before = page.evaluate("() => window.transitreqMap.getZoom()")
    biggest = max(range(bubbles.count()), key=lambda i: int(bubbles.nth(i).inner_text()))
    bubbles.nth(biggest).click()
    page.wait_for_function(
        "(zoom) => window.transitreqMap.getZoom() > zoom", arg=zoom_before, timeout=5000
    )

    # Down to the street around the request with markup in its title: it is drawn alone, and
    # its title is text.
    # (Once the bubble's zoom has ended: an animation still running would undo the move.)
    page.wait_for_timeout(500)
    page.evaluate(
        "([lat, lon]) => { window.transitreqMap.setView([lat, lon], 17, { animate: false }); }",
        [RAILWAY_SQUARE.y, RAILWAY_SQUARE.x],
    )
    page.wait_for_function(
        "([lat, lon]) => { const m = window.transitreqMap, c = m.getCenter();"
        " return m.getZoom() === 17 && Math.abs(c.lat - lat) < 1e-4"
        " && Math.abs(c.lng - lon) < 1e-4; }",
        arg=[RAILWAY_SQUARE.y, RAILWAY_SQUARE.x],
    )
    page.wait_for_load_state("networkidle")
    marker = page.locator("#map_city path.request-marker").first
    expect(marker).to_be_attached()
    page.wait_for_function(
        "() => document.querySelectorAll('#map_city .map-cluster.cluster-requests').length === 0"
    )
    x, y = page.evaluate(
        """([lat, lon]) => {
            const point = window.transitreqMap.latLngToContainerPoint([lat, lon]);
            const box = document.getElementById('map_city').getBoundingClientRect();
            return [box.left + point.x, box.top + point.y];
        }""",
        [RAILWAY_SQUARE.y, RAILWAY_SQUARE.x],
    )
    # Once the layers asked for this view are drawn (a redraw closes an open popup).
    wait_for_map(page)
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(MARKUP_TITLE)
    expect(popup.get_by_role("link", name=mine.reference)).to_be_visible()
    assert page.locator("#injected").count() == 0
