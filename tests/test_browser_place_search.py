"""Residents in a real browser find the place for their stop: by name from the keyboard alone,
by their own location (Playwright's geolocation), and back to the service area from outside."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from shapely.geometry import Point

from tests.factories import (
    CENTRAL_HELSINKI,
    RAILWAY_SQUARE,
    add_service_area,
    file_request,
    geodesic_m,
    offset,
)
from tests.gtfs_feeds import STOPS, zip_feed
from transitreq.importers.gtfs import import_gtfs

pytestmark = pytest.mark.browser

# Two platforms of one stop either side of the square, and a station beyond the service area.
PLATFORMS = [offset(RAILWAY_SQUARE, 0, 30), offset(RAILWAY_SQUARE, 180, 30)]
STATION = Point(24.9340, 60.1990)
KAISANIEMI = Point(24.9460, 60.1750)


@pytest.fixture
def city(live_session, tmp_path):
    add_service_area(live_session)
    stops = [list(row) for row in STOPS]
    for stop_id, name, point in (
        ("RT1", "Rautatientori", PLATFORMS[0]),
        ("RT2", "Rautatientori", PLATFORMS[1]),
        ("PS", "Rautatieasema Pasila", STATION),
        ("KN", "Kaisaniemi", KAISANIEMI),
    ):
        stops.append([stop_id, "", name, f"{point.y:.7f}", f"{point.x:.7f}", ""])
    import_gtfs(live_session, zip_feed(tmp_path, {"stops.txt": stops}), "city")
    return live_session


def _open_map(page: Page) -> None:
    page.goto(page.base_url + "/")
    page.wait_for_function("() => window.TransitMap !== undefined")


def _tab_to(page: Page, element_id: str, limit: int = 60) -> None:
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} cannot be reached with the Tab key")


def _map_centre(page: Page) -> Point:
    centre = page.evaluate("window.transitreqMap.getCenter()")
    return Point(centre["lng"], centre["lat"])


def _wait_for_map_at(page: Page, point: Point, zoom: int) -> None:
    page.wait_for_function(
        "([lat, lon, zoom]) => { const m = window.transitreqMap, c = m.getCenter();"
        " return m.getZoom() === zoom && Math.abs(c.lat - lat) < 1e-6"
        " && Math.abs(c.lng - lon) < 1e-6; }",
        arg=[point.y, point.x, zoom],
    )


def _inside_service_area(point: Point) -> bool:
    return CENTRAL_HELSINKI.contains(point)


def test_resident_finds_a_stop_by_name_with_the_keyboard_alone(page, city):
    _open_map(page)
    field = page.get_by_role("combobox", name="Find a place: street, stop or landmark")
    options = page.get_by_role("option")

    _tab_to(page, "place-query")
    page.keyboard.type("rauta")
    expect(options).to_have_count(2)
    expect(field).to_have_attribute("aria-expanded", "true")
    expect(options.nth(0)).to_contain_text("Rautatientori")
    expect(options.nth(0)).to_contain_text("Stop")
    # The station lies beyond the area: listed after, and flagged.
    expect(options.nth(1)).to_contain_text("outside the service area")
    expect(page.locator("#place-search-status")).to_contain_text("2 places found")

    page.keyboard.press("ArrowDown")
    expect(field).to_have_attribute("aria-activedescendant", "place-option-0")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    expect(field).to_have_attribute("aria-activedescendant", "place-option-1")
    page.keyboard.press("ArrowUp")
    expect(options.nth(1)).to_have_attribute("aria-selected", "false")
    page.keyboard.press("Enter")

    # The map is centred on the stop's platforms, close enough to tap the kerb; no pin yet.
    centroid = Point(sum(p.x for p in PLATFORMS) / 2, sum(p.y for p in PLATFORMS) / 2)
    expect(page.get_by_role("listbox")).to_be_hidden()
    expect(field).to_have_attribute("aria-expanded", "false")
    expect(field).to_have_value("Rautatientori")
    _wait_for_map_at(page, centroid, 17)
    assert page.input_value("#lat") == ""
    expect(page.locator("#coordinates-status")).to_contain_text("The map shows Rautatientori")
    expect(page.locator("#request-form")).to_be_visible()  # Enter sent nothing

    _tab_to(page, "place-pin-here")
    page.keyboard.press("Enter")
    expect(page.locator("#coordinates-status")).to_contain_text("Pin placed")
    lat, lon = (float(part) for part in page.input_value("#coordinates").split(","))
    assert geodesic_m(Point(lon, lat), centroid) < 1.0
    expect(page.locator("#place-pin-here")).to_be_hidden()


def test_escape_closes_the_list_then_clears_the_field(page, city):
    _open_map(page)
    field = page.get_by_role("combobox", name="Find a place: street, stop or landmark")
    field.focus()
    page.keyboard.type("kaisa")
    expect(page.get_by_role("option")).to_have_count(1)

    page.keyboard.press("Escape")
    expect(page.get_by_role("listbox")).to_be_hidden()
    expect(field).to_have_value("kaisa")
    page.keyboard.press("Escape")
    expect(field).to_have_value("")
    # Nothing found is said, not left blank.
    page.keyboard.type("zzzz")
    expect(page.locator("#place-search-status")).to_contain_text("No street, stop or landmark")


def test_resident_uses_their_location_and_places_the_pin_there(page, city):
    here = offset(RAILWAY_SQUARE, 120, 250)
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": here.y, "longitude": here.x, "accuracy": 12})
    _open_map(page)

    _tab_to(page, "use-my-location")
    page.keyboard.press("Enter")

    expect(page.locator("#coordinates-status")).to_contain_text("within about 12 m")
    _wait_for_map_at(page, here, 17)
    assert page.input_value("#lat") == ""
    page.get_by_role("button", name="Place the pin here").click()
    expect(page.locator("#coordinates-status")).to_contain_text("Pin placed")
    lat, lon = (float(part) for part in page.input_value("#coordinates").split(","))
    assert geodesic_m(Point(lon, lat), here) < 1.0


def test_a_location_outside_the_area_says_so_and_offers_the_way_back(page, city):
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 61.4978, "longitude": 23.7610})
    _open_map(page)

    page.get_by_role("button", name="Use my location").click()

    status = page.locator("#coordinates-status")
    expect(status).to_contain_text("Your location is outside the city")
    expect(page.get_by_role("button", name="Place the pin here")).to_be_hidden()
    back = page.get_by_role("button", name="Back to the city")
    expect(back).to_be_visible()
    assert not _inside_service_area(_map_centre(page))
    back.focus()
    page.keyboard.press("Enter")

    expect(status).to_contain_text("The map shows the city again")
    expect(back).to_be_hidden()
    page.wait_for_function(
        "() => { const c = window.transitreqMap.getCenter(); return c.lat < 61; }"
    )
    assert _inside_service_area(_map_centre(page))
    expect(page.get_by_role("combobox")).to_be_focused()


def test_a_location_the_browser_will_not_share_is_explained(page, city):
    _open_map(page)  # no permission granted: the browser refuses

    page.get_by_role("button", name="Use my location").click()

    expect(page.locator("#coordinates-status")).to_contain_text(
        "Your browser did not share your location"
    )


def test_a_pin_outside_the_area_offers_the_way_back(page, city):
    _open_map(page)
    page.fill("#coordinates", "61.500000, 23.800000")
    page.press("#coordinates", "Enter")

    expect(page.locator("#coordinates-status")).to_contain_text("outside the service area")
    page.get_by_role("button", name="Back to the city").click()

    page.wait_for_function(
        "() => { const c = window.transitreqMap.getCenter(); return c.lat < 61; }"
    )
    assert _inside_service_area(_map_centre(page))
    # A pin placed inside again needs no way back.
    page.fill("#coordinates", f"{RAILWAY_SQUARE.y:.6f}, {RAILWAY_SQUARE.x:.6f}")
    page.press("#coordinates", "Enter")
    expect(page.locator("#coordinates-status")).to_contain_text("Pin placed")
    expect(page.get_by_role("button", name="Back to the city")).to_be_hidden()


def test_hostile_landmark_names_show_as_text(page, city):
    file_request(city, landmark="<img src=x onerror=window.pwned=1> gate", point=KAISANIEMI)
    _open_map(page)

    page.get_by_role("combobox").fill("onerror")
    option = page.get_by_role("option").first
    expect(option).to_contain_text("<img src=x onerror=window.pwned=1> gate")
    option.click()
    expect(page.locator("#coordinates-status")).to_contain_text("<img src=x")
    assert page.evaluate("window.pwned") is None
