"""The routes layer at a zoom, on the real Helsinki feed (198 routes): lines simplified to what
the zoom shows, each part's ends kept, no line moved by more than the stated tolerance."""

from __future__ import annotations

import math

import pytest
import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry import LineString, MultiLineString

from tests import databases
from tests.reference_data import GTFS_ZIP
from transitreq import migrate
from transitreq.db import make_engine, make_sessionmaker
from transitreq.geo.clusters import degrees_per_pixel
from transitreq.geo.geojson import decimals_for_zoom
from transitreq.geo.layers import line_tolerance_deg, routes_for_zoom, routes_with_paths
from transitreq.geo.metric import BoundingBox
from transitreq.importers.gtfs import import_gtfs

# What the residents' map shows of Helsinki when it opens (the city's lines, zoom 11), and a
# neighbourhood (zoom 15).
CITY = BoundingBox(24.78, 60.13, 25.20, 60.30)
NEIGHBOURHOOD = BoundingBox(24.925, 60.160, 24.960, 60.178)


def _load(url: str) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    session = make_sessionmaker(engine)()
    import_gtfs(session, GTFS_ZIP, "hsl")
    session.close()
    engine.dispose()


@pytest.fixture(scope="module")
def feeds(tmp_path_factory):
    with databases.loaded_on_each_backend(
        tmp_path_factory.mktemp("helsinki-feed"), lambda backend, url: _load(url)
    ) as sessionmakers:
        yield sessionmakers


@pytest.fixture(params=("spatialite", "postgis"))
def feed_session(request, feeds):
    session = feeds[request.param]()
    yield session
    session.close()


def _cut_exactly(session, box: BoundingBox) -> dict[int, MultiLineString]:
    """Each route's whole line cut to the box by Shapely, computed apart from the layer: the
    routes whose line has some part inside."""
    cut = {}
    for route in routes_with_paths(session):
        inside = shapely.clip_by_rect(
            to_shape(route.path), box.min_lon, box.min_lat, box.max_lon, box.max_lat
        )
        parts = [part for part in shapely.get_parts(inside) if part.geom_type == "LineString"]
        if parts:
            cut[route.id] = MultiLineString(parts)
    return cut


def _rounded_line(line: LineString, decimals: int) -> LineString:
    return LineString([(round(x, decimals), round(y, decimals)) for x, y in line.coords])


@pytest.mark.parametrize(
    ("box", "zoom", "fewer_vertices"), [(CITY, 11, 2.5), (NEIGHBOURHOOD, 15, 1.3)]
)
def test_simplified_lines_keep_their_ends_and_stay_within_a_pixel(
    feed_session, box, zoom, fewer_vertices
):
    exact_lines = _cut_exactly(feed_session, box)
    routes, lines = routes_for_zoom(feed_session, box, zoom)
    decimals = decimals_for_zoom(zoom)
    tolerance = line_tolerance_deg(zoom, max(abs(box.min_lat), abs(box.max_lat)))
    # The tolerance is a pixel in both directions at the box's widest latitude, in degrees.
    assert tolerance <= degrees_per_pixel(zoom) * math.cos(math.radians(60.13)) + 1e-12

    assert {route.id for route in routes} == set(exact_lines)
    exact_vertices = simplified_vertices = 0
    for route in routes:
        exact, simplified = exact_lines[route.id], lines[route.id]
        assert len(simplified.geoms) == len(exact.geoms)
        for exact_part, simplified_part in zip(exact.geoms, simplified.geoms, strict=True):
            # Douglas–Peucker keeps each part's two ends exactly.
            assert simplified_part.coords[0] == exact_part.coords[0]
            assert simplified_part.coords[-1] == exact_part.coords[-1]
            # No point of either line is farther from the other than the tolerance; rounding
            # to the zoom's decimals moves each vertex by at most half the last decimal more.
            rounded = _rounded_line(simplified_part, decimals)
            rounding = 0.5 * 10**-decimals * math.sqrt(2)
            assert shapely.hausdorff_distance(exact_part, rounded) <= tolerance + rounding
        exact_vertices += shapely.get_num_coordinates(exact)
        simplified_vertices += shapely.get_num_coordinates(simplified)
    assert len(routes) > 20
    assert simplified_vertices < exact_vertices / fewer_vertices


def test_the_routes_layer_at_city_zoom_is_a_fraction_of_the_exact_one(feeds):
    """The size goal itself is measured in bench/public_map.py; this pins that the endpoint
    simplifies and rounds (the whole sample exact is megabytes)."""
    from transitreq import create_app

    session = feeds["spatialite"]()
    url = session.get_bind().url.render_as_string(hide_password=False)
    session.close()
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "tests", "TILE_URL": ""})
    client = app.test_client()
    bbox = f"{CITY.min_lon},{CITY.min_lat},{CITY.max_lon},{CITY.max_lat}"
    exact = client.get(f"/api/layers/routes?bbox={bbox}")
    simplified = client.get(f"/api/layers/routes?bbox={bbox}&zoom=11")
    packed = client.get(
        f"/api/layers/routes?bbox={bbox}&zoom=11", headers={"Accept-Encoding": "br"}
    )
    app.extensions["transitreq.engine"].dispose()

    assert len(simplified.get_json()["features"]) == len(exact.get_json()["features"]) > 100
    assert len(simplified.data) < len(exact.data) / 5
    assert len(packed.data) < 300_000
