"""The nearest-stops search ranks the stops in its box by a flat-earth distance and measures only
the first few exactly (``geo/network.py``). These tests crowd stops at almost equal distances,
where the two rankings disagree most, in all four quadrants of the globe and far north, and
check the answer against every stop measured independently (pyproj, Shapely)."""

from __future__ import annotations

import random

import pytest
from geoalchemy2.shape import from_shape
from pyproj import Transformer
from shapely.geometry import Point

from tests.factories import offset
from transitreq.geo.metric_crs import metric_srid
from transitreq.geo.network import nearest_stops
from transitreq.models import Stop

SITES = {
    "Helsinki": Point(24.9414, 60.1710),
    "São Paulo": Point(-46.6333, -23.5505),
    "Quito": Point(-78.4678, -0.1807),
    "Auckland": Point(174.7633, -36.8485),
    "Anchorage": Point(-149.9003, 61.2181),
    "Tromsø": Point(18.9553, 69.6492),
}


def _exact_m(site: Point, stop: Point) -> float:
    """Metres in the site's UTM zone, as the service measures."""
    to_metric = Transformer.from_crs(4326, metric_srid(0, site.x, site.y), always_xy=True)
    return Point(to_metric.transform(site.x, site.y)).distance(
        Point(to_metric.transform(stop.x, stop.y))
    )


def _crowd(session, site: Point, seed: int) -> dict[str, Point]:
    """Forty stops within a few metres of 300 m of the site, at every bearing, and a far one."""
    rng = random.Random(seed)
    stops = {}
    for number in range(40):
        stops[f"ring {number}"] = offset(site, rng.uniform(0, 360), 300 + rng.uniform(-3, 3))
    stops["far"] = offset(site, 45, 2500)
    for name, location in stops.items():
        session.add(
            Stop(feed="test", gtfs_stop_id=name, name=name, location=from_shape(location, 4326))
        )
    session.flush()
    return stops


@pytest.mark.parametrize("city", sorted(SITES))
def test_the_five_nearest_are_found_among_stops_at_almost_equal_distances(session, city):
    site = SITES[city]
    stops = _crowd(session, site, seed=len(city))
    expected = sorted(stops, key=lambda name: (_exact_m(site, stops[name]), name))[:5]
    found = nearest_stops(session, site, metric_srid(0, site.x, site.y))
    assert [stop.name for stop in found] == expected
    for stop in found:
        assert stop.distance_m == pytest.approx(_exact_m(site, stops[stop.name]), abs=0.01)
        assert (stop.lon, stop.lat) == pytest.approx((stops[stop.name].x, stops[stop.name].y))


def test_the_search_widens_when_the_stops_are_far(session):
    site = SITES["Quito"]
    far = {f"far {bearing}": offset(site, bearing, 7000 + bearing) for bearing in range(0, 360, 60)}
    for name, location in far.items():
        session.add(
            Stop(feed="test", gtfs_stop_id=name, name=name, location=from_shape(location, 4326))
        )
    session.flush()
    found = nearest_stops(session, site, metric_srid(0, site.x, site.y))
    assert [stop.name for stop in found] == [f"far {bearing}" for bearing in range(0, 300, 60)]
    assert all(7000 < stop.distance_m < 7400 for stop in found)
