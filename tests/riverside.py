"""A riverside town made by the tests: two streets 100 m apart with a river between them,
crossed only by a footbridge 400 m north of the town's origin, a few groups of people and two
stops. Every distance in it can be worked out by hand in metres east and north of the origin.
"""

from __future__ import annotations

import math

from geoalchemy2.shape import from_shape
from shapely.geometry import Point

from tests.osm_files import write_osm
from transitreq.importers.osm import import_osm
from transitreq.importers.population import import_population
from transitreq.models import Stop, StopMode

ORIGIN_LON, ORIGIN_LAT = 24.94, 60.17


def at(east_m: float, north_m: float) -> tuple[float, float]:
    """Lon/lat of a point so many metres east and north of the origin (local plane)."""
    lat = ORIGIN_LAT + north_m / 111_412.0
    lon = ORIGIN_LON + east_m / (111_412.0 * math.cos(math.radians(ORIGIN_LAT)) * 1.00335)
    return lon, lat


def _town(tmp_path):
    nodes, ways = {}, []
    for column, east in ((1, -50), (2, 50)):
        refs = []
        for step in range(-5, 6):
            node = column * 100 + step + 5
            nodes[node] = at(east, step * 100)
            refs.append(node)
        ways.append((column, refs, {"highway": "residential"}))
    # The footbridge joins the two streets 400 m north.
    ways.append((3, [109, 209], {"highway": "footway", "bridge": "yes"}))
    return write_osm(tmp_path / "riverside.osm", nodes, ways)


# Where people live: (metres east, north, people), and who they are.
PEOPLE = {
    "across the river": (60, 0, 100),
    "by the bridge, far bank": (60, 350, 20),
    "up the street": (-40, 100, 3),
    "off the streets": (-300, 0, 1000),
}


def load_riverside(session, tmp_path) -> None:
    """The town's people, its two stops and its streets, the streets imported last."""
    path = tmp_path / "people.csv"
    rows = ["lon,lat,population"] + [
        f"{at(e, n)[0]!r},{at(e, n)[1]!r},{people}" for e, n, people in PEOPLE.values()
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_population(session, path, name="town")
    # A bus stop 500 m up the west street, and a metro station 50 m beyond its southern end.
    for gtfs_id, (east, north), mode in (("BUS", (-60, 500), "bus"), ("M", (-60, -550), "metro")):
        stop = Stop(
            feed="town",
            gtfs_stop_id=gtfs_id,
            name=gtfs_id,
            location=from_shape(Point(*at(east, north)), 4326),
        )
        session.add(stop)
        session.flush()
        session.add(StopMode(stop_id=stop.id, mode=mode))
    session.commit()
    import_osm(session, _town(tmp_path), "riverside")
