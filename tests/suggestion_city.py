"""A small city for the suggested-stops tests, laid out in local metres so the tests can work
out the right answer themselves: three bus routes (each a line per direction), stops at their
ends, a metro station reaching 800 m, and a few hundred population points.

It can be placed anywhere on the globe (``origin``), so the tests run it in all four quadrants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from geoalchemy2.shape import from_shape
from pyproj import Transformer
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, box
from sqlalchemy.orm import Session

from transitreq.models import (
    POINTS,
    PopulationDataset,
    PopulationUnit,
    Route,
    RouteStop,
    ServiceArea,
    Stop,
    StopMode,
)

# (name, start, end) in metres east/north of the origin.
ROUTES = (
    ("S", (-2000.0, 0.0), (2000.0, 0.0)),
    ("N", (0.0, -2000.0), (0.0, 2000.0)),
    ("D", (-1800.0, -1800.0), (1800.0, 1800.0)),
)
# The other direction runs this far to the side, as across a road.
ACROSS_ROAD_M = 8.0
METRO_AT = (1500.0, -1500.0)
PEOPLE = 300
SEED = 17


@dataclass(frozen=True)
class City:
    origin: tuple[float, float]
    to_wgs84: Transformer
    from_wgs84: Transformer
    people_xy: np.ndarray
    people: np.ndarray
    stops_xy: list[tuple[float, float, float]]  # x, y, reach at 400 m


def local(origin: tuple[float, float]) -> tuple[Transformer, Transformer]:
    crs = f"+proj=aeqd +lat_0={origin[1]} +lon_0={origin[0]} +datum=WGS84 +units=m"
    return (
        Transformer.from_crs(crs, "EPSG:4326", always_xy=True),
        Transformer.from_crs("EPSG:4326", crs, always_xy=True),
    )


def build_city(session: Session, origin: tuple[float, float]) -> City:
    to_wgs84, from_wgs84 = local(origin)

    def lonlat(x: float, y: float) -> tuple[float, float]:
        return to_wgs84.transform(x, y)

    area = box(*lonlat(-3000, -3000), *lonlat(3000, 3000))
    session.add(
        ServiceArea(name="Suggestion town", boundary=from_shape(MultiPolygon([area]), 4326))
    )
    stops_xy = []
    for number, (name, start, end) in enumerate(ROUTES):
        direction = np.subtract(end, start) / np.hypot(*np.subtract(end, start))
        side = np.array([direction[1], -direction[0]]) * ACROSS_ROAD_M
        forward = LineString([lonlat(*start), lonlat(*end)])
        back = LineString([lonlat(*(np.add(end, side))), lonlat(*(np.add(start, side)))])
        route = Route(
            feed="town",
            gtfs_route_id=name,
            short_name=name,
            long_name=f"Line {name} 线",
            route_type=3,
            path=from_shape(MultiLineString([forward, back]), 4326),
        )
        session.add(route)
        session.flush()
        for direction_id, ends in (
            (0, (start, end)),
            (1, (np.add(end, side), np.add(start, side))),
        ):
            for sequence, xy in enumerate(ends):
                stop = Stop(
                    feed="town",
                    gtfs_stop_id=f"{name}-{direction_id}-{sequence}",
                    name=f"{name} end {sequence}",
                    location=from_shape(Point(*lonlat(*xy)), 4326),
                )
                stop.modes = [StopMode(mode="bus")]
                session.add(stop)
                session.flush()
                session.add(
                    RouteStop(
                        route_id=route.id,
                        direction_id=direction_id,
                        sequence=sequence,
                        stop_id=stop.id,
                    )
                )
                stops_xy.append((float(xy[0]), float(xy[1]), 400.0))
        del number
    metro = Stop(
        feed="town",
        gtfs_stop_id="metro",
        name="Metro",
        location=from_shape(Point(*lonlat(*METRO_AT)), 4326),
    )
    metro.modes = [StopMode(mode="metro")]
    session.add(metro)
    stops_xy.append((*METRO_AT, 800.0))
    rng = np.random.default_rng(SEED)
    people_xy = rng.uniform(-2300, 2300, size=(PEOPLE, 2))
    people = rng.integers(1, 40, size=PEOPLE).astype(float)
    dataset = PopulationDataset(
        name="town points",
        source="test",
        population_field="population",
        geometry_kind=POINTS,
        extra_fields=[],
        unit_count=PEOPLE,
        total_population=float(people.sum()),
    )
    session.add(dataset)
    session.flush()
    for (x, y), count in zip(people_xy, people, strict=True):
        session.add(
            PopulationUnit(
                dataset_id=dataset.id,
                geom=from_shape(Point(*lonlat(x, y)), 4326),
                population=float(count),
                attributes={},
            )
        )
    session.commit()
    return City(origin, to_wgs84, from_wgs84, people_xy, people, stops_xy)
