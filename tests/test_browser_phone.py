"""The residents' map and form on phones (390×844 and 360×740, touch) and on a laptop screen, with
and without the demo banner above them.

On a phone the page scrolls as one: the map takes a part of the screen, the whole form follows
(no box scrolling inside the page), and a tap on the map brings the pin's message and the offer
of nearby requests into view. On every screen the map's controls (zoom, the folded layer
switcher, the legend, the scale bar, the attribution) keep clear of each other.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from geoalchemy2.shape import to_shape
from playwright.sync_api import Page, expect
from shapely.geometry import Point
from sqlalchemy import select

from tests.browser import (
    DESKTOP,
    PHONE,
    SMALL_PHONE,
    demo_city,
    embedded_app,
    serving,
    wait_for_map,
)
from tests.factories import RAILWAY_SQUARE, add_service_area, file_request, offset
from transitreq.models import RequestStatus, StopRequest

pytestmark = pytest.mark.browser

PHONES = {"390x844": PHONE, "360x740": SMALL_PHONE}


@pytest.fixture(scope="module")
def with_banner(tmp_path_factory) -> Iterator[tuple[str, Point]]:
    """The demo city (its pages carry the demo banner) and a request there one can support."""
    with demo_city(tmp_path_factory.mktemp("demo")) as (app, base_url):
        session = app.extensions["transitreq.sessionmaker"]()
        supportable = session.scalars(
            select(StopRequest).where(StopRequest.status == RequestStatus.SUBMITTED)
        ).first()
        where = to_shape(supportable.location)
        session.close()
        yield base_url, where


@pytest.fixture(scope="module")
def without_banner(tmp_path_factory) -> Iterator[tuple[str, Point]]:
    """Central Helsinki with one request filed by a resident: no demo data, no banner."""
    with embedded_app(tmp_path_factory.mktemp("plain")) as app:
        session = app.extensions["transitreq.sessionmaker"]()
        add_service_area(session)
        file_request(session, title="Stop at the old library")
        session.close()
        with serving(app) as base_url:
            yield base_url, RAILWAY_SQUARE


@pytest.fixture(params=["with banner", "without banner"])
def city(request) -> tuple[str, Point, bool]:
    base_url, supportable_at = request.getfixturevalue(request.param.replace(" ", "_"))
    return base_url, supportable_at, request.param == "with banner"


def _open_home(browser, base_url: str, viewport: dict[str, int], *, touch: bool) -> Page:
    context = browser.new_context(viewport=viewport, has_touch=touch, is_mobile=touch)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(base_url + "/", wait_until="networkidle")
    return page


def _map_box(page: Page) -> dict[str, float]:
    return page.locator(".home-layout .leaflet-container").bounding_box()


def _overlaps(page: Page) -> list[str]:
    """Pairs of the map's controls that cover each other, and controls reaching out of the map."""
    return page.evaluate(
        """() => {
          const box = (selector) => document.querySelector(selector).getBoundingClientRect();
          const map = box('.home-layout .leaflet-container');
          const names = {zoom: '.leaflet-control-zoom', layers: '.leaflet-control-layers',
                         legend: '.legend', scale: '.leaflet-control-scale',
                         attribution: '.leaflet-control-attribution'};
          const boxes = Object.entries(names).map(([name, selector]) => [name, box(selector)]);
          const inside = (a, b) => a.left >= b.left && a.right <= b.right
                                   && a.top >= b.top && a.bottom <= b.bottom;
          const meet = (a, b) => a.left < b.right && b.left < a.right
                                 && a.top < b.bottom && b.top < a.bottom;
          const found = [];
          boxes.forEach(([name, control], index) => {
            if (control.width === 0 || control.height === 0) { found.push(name + ' not shown'); }
            if (!inside(control, map)) { found.push(name + ' reaches out of the map'); }
            boxes.slice(index + 1).forEach(([other, next]) => {
              if (meet(control, next)) { found.push(name + ' covers ' + other); }
            });
          });
          return found;
        }"""
    )


def _tap_beside(page: Page, supportable_at: Point) -> None:
    """Zoom the map to a street beside the request (as a resident would) and tap there."""
    target = offset(supportable_at, 180, 100)
    page.evaluate(
        "([lat, lon]) => { window.transitreqMap.setView([lat, lon], 16, { animate: false }); }",
        [target.y, target.x],
    )
    wait_for_map(page)
    box = _map_box(page)
    centre = [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]
    # As a resident would, once the map has redrawn for the street (the note on the grouped
    # markers of the wider view, which the legend sits above, goes with them).
    page.wait_for_function(
        "([x, y]) => document.elementFromPoint(x, y).closest('.leaflet-control') === null",
        arg=centre,
    )
    page.touchscreen.tap(*centre)


@pytest.mark.parametrize("phone", PHONES)
def test_on_a_phone_a_tap_on_the_map_shows_the_pin_and_the_nearby_offer(browser, city, phone):
    base_url, supportable_at, banner = city
    viewport = PHONES[phone]
    page = _open_home(browser, base_url, viewport, touch=True)
    expect(page.locator(".demo-banner")).to_have_count(1 if banner else 0)

    # One page scrolling as one: a map of a sensible height, then the whole form, no inner box.
    layout = page.evaluate(
        """() => {
          const pane = document.querySelector('.form-pane');
          return {paneScrollsInside: pane.scrollHeight > pane.clientHeight + 1,
                  pageWidth: document.documentElement.scrollWidth};
        }"""
    )
    assert layout == {"paneScrollsInside": False, "pageWidth": viewport["width"]}
    map_height = _map_box(page)["height"]
    assert 0.3 * viewport["height"] <= map_height <= 0.6 * viewport["height"]
    expect(page.locator(".leaflet-control-layers-list")).to_be_hidden()
    assert _overlaps(page) == []

    _tap_beside(page, supportable_at)
    status = page.locator("#coordinates-status")
    expect(status).to_contain_text("Pin placed")
    expect(status).to_be_in_viewport(ratio=1)
    expect(page.locator("#nearby h2")).to_be_in_viewport(ratio=1)
    support = page.get_by_role("button", name="Support this instead").first
    expect(support).to_be_in_viewport(ratio=1)

    support.tap()
    quick_form = page.locator(".quick-support")
    expect(quick_form.get_by_label("Your e-mail or phone")).to_be_focused()
    expect(quick_form.get_by_label("Your name")).to_be_visible()
    expect(quick_form.get_by_label("E-mail me when this stop makes progress")).to_be_visible()
    page.locator("#submit-request").scroll_into_view_if_needed()
    expect(page.locator("#submit-request")).to_be_in_viewport(ratio=1)
    assert page.errors == []
    page.context.close()


def test_on_a_laptop_the_map_and_form_fill_the_window_below_the_banner(browser, city):
    base_url, _, banner = city
    page = _open_home(browser, base_url, DESKTOP, touch=False)
    expect(page.locator(".demo-banner")).to_have_count(1 if banner else 0)

    # The window does not scroll; map and form reach its bottom edge, the form scrolling alone.
    sizes = page.evaluate(
        """() => ({page: document.documentElement.scrollHeight,
                   map: document.querySelector('.map-pane').getBoundingClientRect().bottom,
                   form: document.querySelector('.form-pane').getBoundingClientRect().bottom,
                   formTop: document.querySelector('.form-pane').getBoundingClientRect().top})"""
    )
    assert sizes["page"] == DESKTOP["height"]
    assert sizes["map"] == pytest.approx(DESKTOP["height"], abs=1)
    assert sizes["form"] == pytest.approx(DESKTOP["height"], abs=1)
    assert DESKTOP["height"] - sizes["formTop"] > 0.8 * DESKTOP["height"]
    expect(page.locator(".leaflet-control-layers-list")).to_be_hidden()
    assert _overlaps(page) == []

    # Opened by pointing at it, the layer list drops down the map's right side, clear of the
    # zoom buttons and the legend.
    page.locator(".leaflet-control-layers").hover()
    expect(page.locator(".leaflet-control-layers-list")).to_be_visible()
    assert _overlaps(page) == []
    assert page.errors == []
    page.context.close()
