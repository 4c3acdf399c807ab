"""A planner in a real browser sees a request's walking area drawn over its circle on the
planners' map, the walking figures beside the straight-line ones, and the coverage gap on foot,
in the riverside town of ``tests/riverside.py``."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from shapely.geometry import Point

from tests.browser import open_planner_map
from tests.factories import add_service_area, file_request
from tests.riverside import at, load_riverside

pytestmark = pytest.mark.browser


@pytest.fixture
def viewport() -> dict[str, int]:
    return {"width": 1400, "height": 900}


def test_the_planner_map_draws_the_walk_over_the_circle(page, live_session, tmp_path):
    add_service_area(live_session)
    load_riverside(live_session, tmp_path)
    stop_request = file_request(
        live_session, title="Stop by the footbridge", point=Point(*at(-60, 0))
    )
    open_planner_map(page, live_session)

    row = page.locator("#queue-table tbody tr", has_text=stop_request.reference)
    row.get_by_role("button", name="Show on map").click()
    summary = page.locator("#summary-figures")
    expect(summary).to_contain_text("People within a 400 m walk")
    expect(summary).to_contain_text("People within 400 m")
    expect(summary.locator("tr", has_text="People within a 800 m walk")).to_contain_text("23")
    expect(summary.locator("tr", has_text="Nearest stop")).to_contain_text("m on foot")

    # Both shapes are drawn: the circles, and over them the walking areas.
    for radius in (400, 800):
        expect(page.locator(f"path.catchment-{radius}")).to_have_count(1)
        expect(page.locator(f"path.walking-area-{radius}")).to_have_count(1)
    on_top = page.evaluate(
        """() => {
            const shapes = [...document.querySelectorAll('path.catchment, path.walking-area')];
            return shapes.map((shape) => shape.getAttribute('class').split(' ')[0]);
        }"""
    )
    assert on_top.index("walking-area") > on_top.index("catchment"), on_top

    # The coverage gap on foot: across the river and off the streets, nobody the circles miss.
    page.evaluate("() => { window.transitreqMap.addLayer(window.transitreqLayers.gapWalk); }")
    expect(page.locator(".coverage-gap-walk")).to_have_count(2)
