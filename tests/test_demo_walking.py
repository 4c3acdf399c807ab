"""The demo city shows circle and walk apart on its first run: Willow Bank lies across the river
from the library stop, and only the Willow footbridge crosses it."""

from __future__ import annotations

import pytest
from shapely.geometry import Point
from sqlalchemy import func, select

from transitreq.config import default_settings
from transitreq.importers.demo_city import FOOTBRIDGE_M, _lon_lat, seed_demo_city
from transitreq.models import StreetNetwork
from transitreq.services.analysis.evaluation import STRAIGHT_LINE, WALK, evaluate_site
from transitreq.services.places.search import search_places

SETTINGS = default_settings().evaluation


def _by(evaluation, measure):
    return {c.radius_m: c for c in evaluation.catchments if c.measure == measure}


@pytest.mark.demo_city
def test_the_library_stop_reaches_willow_bank_only_over_the_footbridge(session):
    evaluation = evaluate_site(session, Point(*_lon_lat(-2200, -450)), SETTINGS)
    circles, walks = _by(evaluation, STRAIGHT_LINE), _by(evaluation, WALK)
    assert evaluation.street_network == "demo"
    for radius in (400, 800):
        assert 0 < walks[radius].population < circles[radius].population
    area = walks[800].area
    (south_x, south_y), (north_x, north_y) = FOOTBRIDGE_M
    # Over the bridge and a little way into Willow Bank...
    assert area.contains(Point(*_lon_lat(south_x, (south_y + north_y) / 2)))
    assert area.contains(Point(*_lon_lat(south_x, south_y - 20)))
    # ...but not to the south bank 670 m away as the crow flies, a 900 m walk.
    assert not area.contains(Point(*_lon_lat(-1900, -1050)))


@pytest.mark.parametrize(
    ("language", "bridge", "river"),
    [
        pytest.param(language, bridge, river, marks=pytest.mark.demo_city(language))
        for language, bridge, river in (
            ("en", "Willow footbridge", "River Bend"),
            ("zh_Hans", "柳岸人行桥", "江湾河"),
        )
    ],
)
def test_the_river_and_the_footbridge_are_named_in_the_demo_language(
    session, language, bridge, river
):
    for name, kind in ((bridge, "street"), (river, "place")):
        found = {(place.name, place.kind) for place in search_places(session, name)}
        assert (name, kind) in found
    seed_demo_city(session, language)  # again: its streets replace themselves
    assert session.scalar(select(func.count(StreetNetwork.id))) == 1
