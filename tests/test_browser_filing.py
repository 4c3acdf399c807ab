"""Residents in a real browser: place the pin by mouse or keyboard, see nearby requests, file."""

from __future__ import annotations

import re

import pytest
from geoalchemy2.shape import to_shape
from playwright.sync_api import Page, expect

from tests.factories import (
    RAILWAY_SQUARE,
    add_service_area,
    file_request,
    geodesic_m,
    offset,
    row_counts,
)
from transitreq.services.stop_requests import find_by_reference

pytestmark = pytest.mark.browser


def _open_map(page: Page) -> None:
    page.goto(page.base_url + "/")
    page.wait_for_function("window.transitreqMap !== undefined")


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
    add_service_area(live_session)
    existing = file_request(live_session, title="Stop at the old library")
    _open_map(page)

    page.fill("#coordinates", f"{RAILWAY_SQUARE.y + 0.001:.6f}, {RAILWAY_SQUARE.x:.6f}")
    page.click("#place-pin")
    page.get_by_role("button", name="Support this instead").click()
    page.get_by_label("Your e-mail or phone").fill("neighbour@example.org")
    page.get_by_role("button", name=f"Support {existing.reference}").click()

    expect(page.locator(".flash-success")).to_contain_text("your support is counted")
    expect(page.locator("#supporter-count")).to_have_text("1")
    live_session.expire_all()
    assert find_by_reference(live_session, existing.reference).supporter_count == 1


def test_map_works_without_tiles_and_outside_pins_are_flagged(page, live_session):
    add_service_area(live_session)
    existing = file_request(live_session, title="Stop at the old library")
    _open_map(page)

    assert page.locator(".leaflet-tile").count() == 0
    markers = page.locator("path.request-marker")
    expect(markers).to_have_count(1)
    markers.first.click(force=True)
    expect(page.locator(".leaflet-popup-content")).to_contain_text(existing.reference)

    page.get_by_label("Stop requests").uncheck()
    expect(markers).to_have_count(0)

    page.fill("#coordinates", "61.500000, 23.800000")
    page.press("#coordinates", "Enter")
    expect(page.locator("#coordinates-status")).to_contain_text("outside the service area")


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
    live_session.expire_all()
    assert row_counts(live_session)["stop_requests"] == 0
