"""A riverside town made by the test shows what walking catchments answer that circles cannot.

West and east streets run north–south 100 m apart with a river between them, crossed only by a
footbridge 400 m north of the site. People across the river, 120 m from the site as the crow
flies, are a 920 m walk away; people beside the bridge on the far bank are within 800 m. Every
number is worked out by hand in metres east and north of the town's origin
(``tests/riverside.py``).
"""

from __future__ import annotations

import math

import pytest
from shapely.geometry import Point
from sqlalchemy import select

from tests.databases import assert_uses_spatial_index
from tests.riverside import ORIGIN_LAT, ORIGIN_LON, at, load_riverside
from transitreq.config import default_settings
from transitreq.geo.metric import box_around
from transitreq.geo.streets import edges_statement
from transitreq.geo.walk_catchment import stops_statement, units_statement
from transitreq.models import PopulationDataset, StreetNetwork
from transitreq.services.analysis.evaluation import STRAIGHT_LINE, WALK, evaluate_site

SETTINGS = default_settings(CATCHMENT_RADII_M="400,800", METRIC_SRID=32635).evaluation


def _by(evaluation, measure):
    return {c.radius_m: c for c in evaluation.catchments if c.measure == measure}


def test_people_across_the_river_are_a_long_walk_away(session, tmp_path):
    load_riverside(session, tmp_path)
    evaluation = evaluate_site(session, Point(*at(-60, 0)), SETTINGS)
    circles, walks = _by(evaluation, STRAIGHT_LINE), _by(evaluation, WALK)
    # The circle counts everyone within 400 m as the crow flies, the river's far bank included.
    assert circles[400].population == pytest.approx(100 + 20 + 3 + 1000)
    # On foot: up the street is 10 + 100 + 10 m; the far bank beside the bridge is
    # 10 + 400 + 100 + 50 + 10 = 570 m; across the river 920 m; off the streets never.
    assert walks[400].population == pytest.approx(3)
    assert walks[800].population == pytest.approx(3 + 20)
    assert evaluation.street_network == "riverside"
    # Up the street is 10 + 400 + 10 m from the bus stop, too far at 400 m; the metro
    # station, 50 m beyond the street's southern end, reaches 800 m and is 51 + 600 + 10 m
    # away. At 800 m the bus stop serves the far
    # bank too (10 + 100 + 100 + 50 + 10 m), the metro station does not (1,070 m).
    assert walks[400].newly_served == pytest.approx(0)
    assert [(s.mode, round(s.population)) for s in walks[400].already_served_by] == [("metro", 3)]
    assert walks[800].newly_served == pytest.approx(0)
    served_by = [(s.mode, round(s.population)) for s in walks[800].already_served_by]
    assert served_by == [("bus", 23), ("metro", 3)]
    # The score counts the walk: nobody newly within a 400 m walk.
    newly = next(term for term in evaluation.score.terms if term.name == "newly_served")
    assert newly.value == pytest.approx(0)
    assert "walk" in newly.label


def test_a_station_reaches_farther_on_foot_too(session, tmp_path):
    load_riverside(session, tmp_path)
    every_stop_alike = default_settings(
        CATCHMENT_RADII_M="400,800", METRIC_SRID=32635, CATCHMENT_BY_ROUTE_TYPE=""
    ).evaluation
    evaluation = evaluate_site(session, Point(*at(-60, 0)), every_stop_alike)
    walks = _by(evaluation, WALK)
    # The metro station walking 400 m like a bus stop serves nobody within 400 m.
    assert walks[400].newly_served == pytest.approx(3)


def test_the_nearest_stops_say_how_far_the_walk_is(session, tmp_path):
    load_riverside(session, tmp_path)
    evaluation = evaluate_site(session, Point(*at(-60, 0)), SETTINGS)
    walked = {stop.name: (stop.distance_m, stop.walk_m) for stop in evaluation.nearest_stops}
    # 10 m to the street, along it, 10 m across to the stop: as long as the straight line plus
    # the two links, the street running straight.
    assert walked["BUS"][1] == pytest.approx(10 + 500 + 10, abs=1.5)
    # The station stands 50 m beyond the street's southern end: it links to that end.
    assert walked["M"][1] == pytest.approx(10 + 500 + math.hypot(10, 50), abs=1.5)
    assert walked["BUS"][0] == pytest.approx(500, abs=1.5)


def test_the_walking_area_follows_the_streets_and_the_bridge(session, tmp_path):
    load_riverside(session, tmp_path)
    evaluation = evaluate_site(session, Point(*at(-60, 0)), SETTINGS)
    area = _by(evaluation, WALK)[800].area
    assert area is not None and area.is_valid
    # Along the west street both ways, over the bridge and a little down the far bank...
    for east, north in ((-50, -480), (-50, 390), (0, 400), (50, 300)):
        assert area.contains(Point(*at(east, north))), (east, north)
    # ...but not across the river from the site, nor off the streets.
    for east, north in ((50, 0), (-300, 0)):
        assert not area.contains(Point(*at(east, north))), (east, north)


def test_a_site_far_from_every_street_reaches_nobody_on_foot(session, tmp_path):
    load_riverside(session, tmp_path)
    # Beyond the network's reach: no walking catchment at all, the circle alone.
    evaluation = evaluate_site(session, Point(*at(-300, 20)), SETTINGS)
    assert evaluation.street_network is None
    assert {c.measure for c in evaluation.catchments} == {STRAIGHT_LINE}
    # Within the network's box but 127 m from the nearest street: nobody reachable on foot.
    evaluation = evaluate_site(session, Point(*at(-140, -590)), SETTINGS)
    walks = _by(evaluation, WALK)
    assert walks[800].population == 0 and walks[800].area is None
    assert _by(evaluation, STRAIGHT_LINE)[800].population == pytest.approx(1103)


def test_units_are_read_through_the_spatial_index(session, tmp_path):
    load_riverside(session, tmp_path)
    dataset = session.scalars(select(PopulationDataset)).one()
    network = session.scalars(select(StreetNetwork)).one()
    box = box_around(ORIGIN_LON, ORIGIN_LAT, 800)
    statement = units_statement(session, network.id, dataset.id, box)
    assert_uses_spatial_index(session, statement, "idx_population_units_geom")
    statement = stops_statement(session, network.id, box)
    assert_uses_spatial_index(session, statement, "idx_stops_location")
    statement = edges_statement(session, network, box)
    assert_uses_spatial_index(session, statement, "idx_street_edges_geom")
