"""A planner in a real browser turns on the Suggested stops layer: numbered markers at the
sites the API ranks, whose popups give the people each newly serves, and route names that stay
text."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser import open_planner_map
from tests.suggestion_city import build_city
from transitreq.config import default_settings
from transitreq.models import Route
from transitreq.services.analysis.suggestions import SuggestionQuery, suggest

pytestmark = pytest.mark.browser
ORIGIN = (24.94, 60.17)


@pytest.fixture
def viewport() -> dict[str, int]:
    return {"width": 1400, "height": 900}


def test_the_suggested_stops_layer_shows_the_ranked_sites(page, live_app, live_session):
    city = build_city(live_session, ORIGIN)
    for route in live_session.scalars(select(Route)):
        route.long_name = f"<img src=x onerror=alert(1)> 线路 {route.short_name}"
    live_session.commit()
    open_planner_map(page, live_session, ready="() => window.transitreqSuggestions !== undefined")
    centre = city.to_wgs84.transform(0.0, 0.0)
    page.evaluate(
        "([lat, lon]) => { window.transitreqMap.setView([lat, lon], 13, {animate: false}); }",
        [centre[1], centre[0]],
    )
    page.evaluate(
        """() => [...document.querySelectorAll(".leaflet-control-layers-overlays label")]
             .find((item) => item.textContent.includes("Suggested stops")).querySelector("input")
             .click()"""
    )
    page.wait_for_function(
        "() => window.transitreqSuggestions.layer.getLayers().length > 0", timeout=30000
    )
    ranks = page.evaluate(
        """() => window.transitreqSuggestions.layer.getLayers()
             .map((m) => m.getElement().textContent)"""
    )
    bounds = page.evaluate("() => window.transitreqMap.getBounds().toBBoxString()")
    from transitreq.geo.metric import BoundingBox

    expected = suggest(
        live_session,
        SuggestionQuery(count=10, box=BoundingBox(*map(float, bounds.split(",")))),
        default_settings().evaluation,
    )
    assert ranks == [str(stop.rank) for stop in expected.stops]
    page.locator(".suggestion-rank[data-rank='1']").click()
    popup = page.locator(".suggestion-popup")
    expect(popup).to_contain_text("Suggested stop No. 1")
    expect(popup).to_contain_text(f"Newly serves {round(expected.stops[0].newly_served):,} people")
    expect(popup).to_contain_text("<img src=x onerror=alert(1)>")
    assert page.locator(".suggestion-popup img").count() == 0
