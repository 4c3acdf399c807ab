"""Residents in a real browser: place the pin by mouse or keyboard, see nearby requests, file."""

from __future__ import annotations

import re

import pytest
from geoalchemy2.shape import to_shape
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.factories import (
    CENTRAL_HELSINKI,
    RAILWAY_SQUARE,
    add_service_area,
    file_request,
    geodesic_m,
    offset,
    row_counts,
)
from transitreq.importers.demo_city import seed_demo_city
from transitreq.models import Support
from transitreq.services.requests.filing import find_by_reference

pytestmark = pytest.mark.browser


def _open_map(page: Page) -> None:
    page.goto(page.base_url + "/")
    page.wait_for_function("() => window.transitreqMap !== undefined")


def _screen_point(page: Page, lon: float, lat: float) -> tuple[float, float]:
    """Where a lon/lat is on screen, asked of Leaflet itself."""
    box = page.locator("#map_city").bounding_box()
    point = page.evaluate(
        "([lat, lon]) => window.transitreqMap.latLngToContainerPoint([lat, lon])", [lat, lon]
    )
    return box["x"] + point["x"], box["y"] + point["y"]


def _lat_lon_at(page: Page, x: float, y: float) -> tuple[float, float]:
    box = page.locator("#map_city").bounding_box()
    latlng = page.evaluate(
        "([x, y]) => window.transitreqMap.containerPointToLatLng([x, y])",
        [x - box["x"], y - box["y"]],
    )
    return latlng["lat"], latlng["lng"]


def _typed_lat_lon(page: Page) -> tuple[float, float]:
    lat, lon = (float(part) for part in page.input_value("#coordinates").split(","))
    return lat, lon


def test_resident_clicks_map_sees_nearby_request_and_files(page, live_session):
    add_service_area(live_session)
    existing = file_request(live_session, title="Stop at the old library")
    _open_map(page)

    # Click 120 m east of the existing request: it is offered before anything is typed.
    target = offset(RAILWAY_SQUARE, 90, 120)
    x, y = _screen_point(page, target.x, target.y)
    page.mouse.click(x, y)
    nearby = page.locator("#nearby-list > li")
    expect(nearby).to_have_count(1)
    expect(nearby.first).to_contain_text("Stop at the old library")
    expect(nearby.first).to_contain_text(existing.reference)
    expect(nearby.first).to_contain_text(re.compile(r"1[12]\d m away"))
    expect(page.get_by_role("button", name="Support this instead")).to_be_visible()

    # Dragging the pin moves the typed coordinates with it.
    page.mouse.move(x, y - 20)
    page.mouse.down()
    page.mouse.move(x + 60, y - 60, steps=8)
    page.mouse.up()
    dragged_lat, dragged_lon = _typed_lat_lon(page)
    assert (dragged_lat, dragged_lon) != pytest.approx(_lat_lon_at(page, x, y), abs=1e-6)
    assert dragged_lon > target.x

    # A second click moves the pin there; that is where the request is filed. Leaflet itself
    # reports where the click landed, so the check does not depend on pixel rounding.
    page.evaluate(
        "window.transitreqMap.once('click', (event) => { window.lastClick = event.latlng; })"
    )
    page.mouse.click(x - 80, y + 50)
    clicked = page.evaluate("window.lastClick")
    clicked_lat, clicked_lon = clicked["lat"], clicked["lng"]
    expect(page.locator("#coordinates")).to_have_value(f"{clicked_lat:.6f}, {clicked_lon:.6f}")

    page.fill("#title", "Stop for the riverside flats")
    page.fill("#description", "Two hundred flats and the nearest stop is up a steep hill.")
    page.get_by_label("Elderly residents").check()
    page.fill("#landmark", "Riverside flats, block C")
    page.fill("#reporter_contact", "resident@example.org")
    page.click("#submit-request")

    expect(page.locator("h1")).to_have_text("Thank you: your request is filed")
    reference = page.inner_text("#reference")
    page.click("#tracking-url")
    expect(page.locator("#request-title")).to_have_text("Stop for the riverside flats")
    expect(page.locator("#timeline")).to_contain_text("Submitted")
    expect(page.locator("body")).not_to_contain_text("resident@example.org")

    live_session.expire_all()
    filed = find_by_reference(live_session, reference)
    stored = to_shape(filed.location)
    assert geodesic_m(stored, type(stored)(clicked_lon, clicked_lat)) < 1.0
    assert filed.served_groups == ["elderly"]


def _tab_to(page: Page, element_id: str, limit: int = 60) -> None:
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} cannot be reached with the Tab key")


def test_resident_files_with_keyboard_only(page, live_session):
    add_service_area(live_session)
    file_request(live_session, title="Stop at the old library")
    _open_map(page)
    typed = offset(RAILWAY_SQUARE, 180, 200)

    _tab_to(page, "coordinates")
    page.keyboard.type(f"{typed.y:.6f}, {typed.x:.6f}")
    page.keyboard.press("Enter")
    expect(page.locator("#coordinates-status")).to_contain_text("Pin placed")
    expect(page.locator("#nearby-list > li")).to_have_count(1)

    _tab_to(page, "title")
    page.keyboard.type("Stop by the market hall")
    page.keyboard.press("Tab")
    page.keyboard.type("Market traders and shoppers carry heavy bags a long way.")
    _tab_to(page, "served-workplace")
    page.keyboard.press("Space")
    _tab_to(page, "submit-request")
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("Thank you: your request is filed")
    reference = page.inner_text("#reference")
    live_session.expire_all()
    filed = find_by_reference(live_session, reference)
    assert geodesic_m(to_shape(filed.location), typed) < 1.0
    assert filed.served_groups == ["workplace"]


def test_resident_supports_nearby_request_instead_of_filing(page, live_session):
    """The first click on "Support this instead" after typed coordinates counts: leaving the
    field (its change event) once looked the pin up again and redrew the list under it."""
    add_service_area(live_session)
    existing = file_request(live_session, title="Stop at the old library")
    _open_map(page)

    page.fill("#coordinates", f"{RAILWAY_SQUARE.y + 0.001:.6f}, {RAILWAY_SQUARE.x:.6f}")
    page.press("#coordinates", "Enter")
    expect(page.locator("#nearby-list > li")).to_have_count(1)
    page.get_by_role("button", name="Support this instead").click()
    page.wait_for_load_state("networkidle")
    quick_form = page.locator(".quick-support")
    expect(quick_form.get_by_label("Your e-mail or phone")).to_be_focused()
    page.keyboard.type("neighbour@example.org")
    quick_form.get_by_label("Your name").fill("Veikko")
    quick_form.get_by_label("E-mail me when this stop makes progress").check()
    page.get_by_role("button", name=f"Support {existing.reference}").click()

    expect(page.locator(".flash-success")).to_contain_text("your support is counted")
    expect(page.locator("#supporter-count")).to_have_text("1")
    live_session.expire_all()
    assert find_by_reference(live_session, existing.reference).supporter_count == 1
    support = live_session.scalars(select(Support)).one()
    assert (support.name, support.notify_progress) == ("Veikko", True)


def test_map_works_without_tiles_and_outside_pins_are_flagged_with_a_way_back(page, live_session):
    add_service_area(live_session)
    existing = file_request(live_session, title="Stop at the old library")
    _open_map(page)

    assert page.locator(".leaflet-tile").count() == 0
    markers = page.locator("path.request-marker")
    expect(markers).to_have_count(1)
    markers.first.click(force=True)
    expect(page.locator(".leaflet-popup-content")).to_contain_text(existing.reference)

    # The layer switcher stays folded away until asked for, so it covers none of the map.
    expect(page.get_by_label("Stop requests")).to_be_hidden()
    # Opened from the keyboard, and used from it too.
    page.get_by_role("button", name="Map layers").focus()
    page.keyboard.press("Enter")
    page.get_by_label("Stop requests").focus()
    page.keyboard.press("Space")
    expect(markers).to_have_count(0)

    page.fill("#coordinates", "61.500000, 23.800000")
    page.press("#coordinates", "Enter")
    expect(page.locator("#coordinates-status")).to_contain_text("outside the service area")

    # Latitude and longitude swapped fly the map to the Indian Ocean; the way back is offered.
    page.fill("#coordinates", f"{RAILWAY_SQUARE.x:.6f}, {RAILWAY_SQUARE.y:.6f}")
    page.press("#coordinates", "Enter")
    expect(page.locator("#coordinates-status")).to_contain_text("look swapped")
    middle = [CENTRAL_HELSINKI.centroid.y, CENTRAL_HELSINKI.centroid.x]
    shows_the_area = "(middle) => window.transitreqMap.getBounds().contains(middle)"
    assert not page.evaluate(shows_the_area, middle)
    page.get_by_role("button", name="Back to the city").click()
    page.wait_for_function(shows_the_area, arg=middle)
    expect(page.locator("#coordinates")).to_have_value("")
    expect(page.locator(".leaflet-marker-icon")).to_have_count(0)
    expect(page.locator("#coordinates-status")).to_contain_text("The map shows the city again")

    # Numbers nowhere on Earth say so and leave the map where it is.
    centre = page.evaluate("window.transitreqMap.getCenter()")
    page.fill("#coordinates", "95.1, 24.9")
    page.press("#coordinates", "Enter")
    expect(page.locator("#coordinates-status")).to_contain_text("Latitude goes from -90 to 90")
    assert page.evaluate("window.transitreqMap.getCenter()") == centre


def test_hostile_title_shows_as_text_and_runs_nothing(page, live_session):
    add_service_area(live_session)
    title = "Bus `${window.pwned=1}` </script><img src=x onerror=window.pwned=2>"
    file_request(live_session, title=title)
    _open_map(page)

    marker = page.locator("path.request-marker").first
    marker.hover(force=True)
    expect(page.locator(".leaflet-tooltip")).to_contain_text("</script><img src=x")
    marker.click(force=True)
    expect(page.locator(".leaflet-popup-content")).to_contain_text("${window.pwned=1}")
    assert page.evaluate("window.pwned") is None


def test_changed_typed_coordinates_never_file_at_the_old_pin(page, live_session):
    add_service_area(live_session)
    _open_map(page)
    x, y = _screen_point(page, RAILWAY_SQUARE.x, RAILWAY_SQUARE.y)
    page.mouse.click(x, y)
    expect(page.locator("#coordinates-status")).to_contain_text("Pin placed")

    page.fill("#coordinates", "somewhere by the station")
    page.fill("#title", "Stop by the station")
    page.fill("#description", "The station entrance has no bus stop.")
    page.click("#submit-request")

    expect(page.locator("#form-errors")).to_contain_text("decimal latitude and longitude")
    # The summary takes focus, so it is read first.
    expect(page.locator("#form-errors")).to_be_focused()
    live_session.expire_all()
    assert row_counts(live_session)["stop_requests"] == 0


def _tab_stops_to(page: Page, element_id: str, limit: int = 30) -> list[dict]:
    """Each element the Tab key stops at on its way to ``element_id``: tag, classes, name."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(
            """() => { const e = document.activeElement;
                       return {id: e.id, tag: e.tagName.toLowerCase(),
                               classes: String(e.className.baseVal ?? e.className),
                               name: (e.getAttribute('aria-label') || e.getAttribute('alt') ||
                                      e.getAttribute('title') ||
                                      (e.labels && e.labels.length ? e.labels[0].textContent : '')
                                      || e.textContent || '').trim()}; }"""
        )
        stops.append(stop)
        if stop["id"] == element_id:
            return stops
    raise AssertionError(f"#{element_id} not reached in {limit} presses: {stops}")


def test_keyboard_skips_to_the_form_and_passes_the_map_in_one_stop(page, live_session):
    """A city's worth of stops, lines and clustered requests once made 100 Tab presses between
    the top of the page and the form, each an unnamed shape; the skip link led to the map."""
    seed_demo_city(live_session)
    _open_map(page)
    page.wait_for_load_state("networkidle")
    shapes = "#map_city .map-cluster, #map_city path.stop-marker, #map_city path.request-marker"
    assert page.locator(shapes).count() > 20

    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to the request form")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # The form's first field: finding the place by name.
    expect(page.locator("#place-query")).to_be_focused()

    page.reload()
    page.wait_for_load_state("networkidle")
    stops = _tab_stops_to(page, "coordinates")
    in_the_map = [
        stop for stop in stops if stop["tag"] in ("path", "img") or "leaflet" in stop["classes"]
    ]
    names = [(stop["tag"], stop["name"]) for stop in stops]
    map_at = [stop["id"] for stop in stops].index("map_city")
    # The header: the skip link, the home link and one button per language.
    assert [name for _, name in names[:map_at]] == [
        "Skip to the request form",
        "⬤ transitreq",
        "English",
        "简体中文",
    ], names
    # The map is one stop, then its zoom and layer controls, then the form.
    assert len(stops) - map_at <= 8, names
    assert [stop for stop in stops[:-1] if not stop["name"]] == []
    assert {stop["tag"] for stop in in_the_map} <= {"div", "a"}, in_the_map
    assert stops[map_at]["name"] == "Map: arrow keys move it, plus and minus zoom"


def test_keyboard_places_the_pin_at_the_centre_of_the_map(page, live_session):
    add_service_area(live_session)
    existing = file_request(live_session, title="Stop at the old library")
    _open_map(page)
    _tab_to(page, "map_city")
    expect(page.get_by_role("application", name="Map: arrow keys move it")).to_be_focused()
    # A cross marks where Enter will put the pin while the keyboard is on the map.
    expect(page.locator("#map_city")).to_have_class(re.compile("keyboard-on-map"))

    # Zoomed in to the streets and moved a little east, the way the keys do it.
    for key in ("+", "+", "+", "ArrowRight"):
        page.evaluate("window.transitreqMap.once('moveend', () => { window.moved = true; })")
        page.keyboard.press(key)
        page.wait_for_function("() => window.moved === true")
        page.evaluate("window.moved = false")
    assert page.evaluate("window.transitreqMap.getZoom()") == 16
    centre = page.evaluate("window.transitreqMap.getCenter()")
    page.keyboard.press("Enter")

    expect(page.locator("#coordinates-status")).to_contain_text("Pin placed")
    expect(page.locator("#coordinates")).to_have_value(f"{centre['lat']:.6f}, {centre['lng']:.6f}")
    expect(page.locator("#nearby-list > li")).to_have_count(1)
    expect(page.locator("#nearby-list > li")).to_contain_text(existing.reference)
    # The map keeps the focus; the pin is not a Tab stop of its own.
    expect(page.locator("#map_city")).to_be_focused()
    expect(page.locator(".leaflet-marker-icon")).to_have_attribute("tabindex", "-1")
