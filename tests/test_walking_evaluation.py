"""Planners read walking catchments in the evaluation's JSON and page, and draw the coverage gap
by walking distance, in the riverside town of ``tests/riverside.py``."""

from __future__ import annotations

import json
import re

import pytest
from shapely.geometry import Point, shape

from tests.factories import add_service_area, log_in
from tests.riverside import at, load_riverside


@pytest.fixture
def riverside(app_session, tmp_path):
    add_service_area(app_session)
    load_riverside(app_session, tmp_path)


def _site() -> str:
    lon, lat = at(-60, 0)
    return f"lat={lat}&lon={lon}"


def test_the_evaluation_lists_circles_and_walks_each_saying_how_it_was_measured(client, riverside):
    body = client.get(f"/api/evaluate?{_site()}&radii=400,800").get_json()
    assert body["street_network"] == "riverside"
    measured = [(c["measure"], c["radius_m"]) for c in body["catchments"]]
    assert measured == [
        ("straight_line", 400),
        ("straight_line", 800),
        ("walk", 400),
        ("walk", 800),
    ]
    walks = {c["radius_m"]: c for c in body["catchments"] if c["measure"] == "walk"}
    circles = {c["radius_m"]: c for c in body["catchments"] if c["measure"] == "straight_line"}
    assert (walks[400]["population"], walks[800]["population"]) == (3, 23)
    assert circles[400]["population"] == 1123
    assert {key for key in walks[400]} >= {"measure", "radius_m", "population", "newly_served"}
    # The walking area is GeoJSON to draw: along the streets and over the bridge, not across
    # the river from the site.
    area = shape(walks[800]["area"])
    assert area.geom_type in ("Polygon", "MultiPolygon")
    assert area.contains(Point(*at(0, 400))) and not area.contains(Point(*at(50, 0)))
    assert circles[400]["area"] is None
    # The nearest stops with the walk to them; the score by the walk.
    stops = {stop["name"]: stop for stop in body["nearest_stops"]}
    assert stops["BUS"]["walk_m"] == pytest.approx(520, abs=1.5)
    newly = next(term for term in body["score"]["terms"] if term["name"] == "newly_served")
    assert newly["label"] == "People newly within a 400 m walk of a stop"


def test_without_a_street_network_every_catchment_is_a_circle(client, app_session):
    add_service_area(app_session)
    body = client.get(f"/api/evaluate?{_site()}").get_json()
    assert body["street_network"] is None
    assert {c["measure"] for c in body["catchments"]} == {"straight_line"}
    assert all(stop["walk_m"] is None for stop in body["nearest_stops"])


def test_the_evaluation_page_shows_the_walks_and_draws_their_areas_over_the_circles(
    client, app_session, riverside
):
    log_in(client, app_session)
    html = client.get(f"/planning/evaluate?{_site()}").get_data(as_text=True)
    assert "400 m walk" in html and "800 m walk" in html
    assert 'id="walking-note"' in html and "riverside" in html
    assert "On foot" in html
    config = json.loads(
        re.search(r'<script type="application/json" id="map-config">(.*?)</script>', html).group(1)
    )
    assert [area["class_name"] for area in config["areas"]] == [
        "walking-area walking-area-800",
        "walking-area walking-area-400",
    ]
    assert config["areas"][1]["label"] == "Within a 400 m walk along the streets"
    assert len(config["circles"]) == 2


def _gap_people(client, measure: str) -> float:
    west, south = at(-400, -700)
    east, north = at(400, 700)
    response = client.get(
        f"/api/planner/layers/coverage-gap?bbox={west},{south},{east},{north}"
        f"&radius_m=400&measure={measure}"
    )
    assert response.status_code == 200, response.get_json()
    return sum(f["properties"]["population"] for f in response.get_json()["features"])


def test_the_coverage_gap_on_foot_finds_the_far_bank_the_circles_call_served(
    client, app_session, riverside
):
    log_in(client, app_session)
    # Circles: the metro station's 800 m reaches across the river and off the streets.
    assert _gap_people(client, "straight_line") == pytest.approx(0)
    # On foot: across the river is 570 m from the bus stop and 1,460 m from the station; off
    # the streets is not reachable at all. The far bank by the bridge is 270 m from the bus.
    assert _gap_people(client, "walk") == pytest.approx(100 + 1000)


def test_the_coverage_gap_on_foot_needs_a_street_network(client, app_session, riverside):
    log_in(client, app_session)
    elsewhere = "/api/planner/layers/coverage-gap?bbox=24.90,60.15,24.91,60.16&measure=walk"
    response = client.get(elsewhere)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "measure"
    wrong = client.get("/api/planner/layers/coverage-gap?bbox=24.93,60.16,24.95,60.18&measure=x")
    assert (wrong.status_code, wrong.get_json()["error"]["field"]) == (422, "measure")
