"""A deterministic synthetic city at the scale the benchmark needs, loaded straight into a database.

1,000,000 population points (by default), 10,000 stops and 500 routes over a 30 km square. The
numbers come from one seeded NumPy generator, so both backends receive identical rows; rows go in
through each backend's fastest bulk path (COPY on PostgreSQL, one executemany on SQLite).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer
from sqlalchemy import Engine, text

CITY_SIZE_M = 30_000.0
# Placed inside UTM zone 35N, well away from the Helsinki reference data.
ORIGIN_LON, ORIGIN_LAT = 25.7, 61.2
FEED = "bench-city"
DATASET = "bench-city-points"


@dataclass(frozen=True)
class CityScale:
    points: int = 1_000_000
    stops: int = 10_000
    routes: int = 500
    seed: int = 20261125


def add_scale_arguments(parser: argparse.ArgumentParser, default: CityScale = CityScale()) -> None:
    """``--points``, ``--stops``, ``--routes`` and ``--seed``: the generated city's size, the
    same options in every benchmark that generates one."""
    parser.add_argument("--points", type=int, default=default.points)
    parser.add_argument("--stops", type=int, default=default.stops)
    parser.add_argument("--routes", type=int, default=default.routes)
    parser.add_argument("--seed", type=int, default=default.seed)


def scale_of(args: argparse.Namespace) -> CityScale:
    """The city those options ask for."""
    return CityScale(args.points, args.stops, args.routes, args.seed)


def _to_wgs84():
    return Transformer.from_crs(
        f"+proj=aeqd +lat_0={ORIGIN_LAT} +lon_0={ORIGIN_LON} +datum=WGS84 +units=m",
        "EPSG:4326",
        always_xy=True,
    )


def _population_points(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Clustered like a real city: dense neighbourhoods around 60 centres, a thin spread between."""
    centres = rng.uniform(-CITY_SIZE_M / 2, CITY_SIZE_M / 2, size=(60, 2))
    clustered = count * 4 // 5
    which = rng.integers(0, len(centres), size=clustered)
    spread = rng.normal(0.0, 900.0, size=(clustered, 2))
    scattered = rng.uniform(-CITY_SIZE_M / 2, CITY_SIZE_M / 2, size=(count - clustered, 2))
    xy = np.vstack([centres[which] + spread, scattered])
    people = rng.integers(1, 12, size=count).astype(float)
    return xy, people


def _routes(rng: np.random.Generator, count: int) -> list[np.ndarray]:
    """Each route a gently turning walk of 8–16 km."""
    routes = []
    for _ in range(count):
        start = rng.uniform(-CITY_SIZE_M / 2.5, CITY_SIZE_M / 2.5, size=2)
        heading = rng.uniform(0, 2 * np.pi)
        steps = int(rng.integers(16, 33))
        turns = np.cumsum(rng.normal(0, 0.25, size=steps)) + heading
        legs = np.column_stack([np.cos(turns), np.sin(turns)]) * 500.0
        routes.append(np.vstack([start, start + np.cumsum(legs, axis=0)]))
    return routes


def _stops_along(routes: list[np.ndarray], total_stops: int) -> list[np.ndarray]:
    """Stops spread evenly along each route so that there are ``total_stops`` in all."""
    lengths = np.array([shapely.LineString(route).length for route in routes])
    per_route = np.maximum(2, np.floor(total_stops * lengths / lengths.sum()).astype(int))
    # Hand out (or take back) the rounding difference one stop at a time, longest routes first.
    longest_first = np.argsort(-lengths)
    turn = 0
    while per_route.sum() != total_stops:
        route = longest_first[turn % len(routes)]
        if per_route.sum() < total_stops:
            per_route[route] += 1
        elif per_route[route] > 2:
            per_route[route] -= 1
        turn += 1
    return [
        np.array(shapely.LineString(route).interpolate(np.linspace(0, 1, n), normalized=True))
        for route, n in zip(routes, per_route, strict=True)
    ]


def _ewkb_hex(geometries: np.ndarray) -> np.ndarray:
    return shapely.to_wkb(shapely.set_srid(geometries, 4326), hex=True, include_srid=True)


def _project(xy: np.ndarray) -> np.ndarray:
    lon, lat = _to_wgs84().transform(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def generate(scale: CityScale) -> dict:
    rng = np.random.default_rng(scale.seed)
    xy, people = _population_points(rng, scale.points)
    routes = _routes(rng, scale.routes)
    stops = _stops_along(routes, scale.stops)
    return {
        "points": shapely.points(_project(xy)),
        "people": people,
        "routes": [shapely.multilinestrings([_project(route)]) for route in routes],
        "route_stops": [
            shapely.points(_project(np.array([[p.x, p.y] for p in line]))) for line in stops
        ],
    }


def load(engine: Engine, city: dict) -> None:
    """Replace the synthetic city in the database behind ``engine``."""
    with engine.begin() as connection:
        _clear(connection)
        dataset_id = connection.execute(
            text(
                "INSERT INTO population_datasets (name, source, population_field, geometry_kind,"
                " extra_fields, unit_count, total_population, imported_at) VALUES (:name,"
                " 'bench/city_generator.py', 'population', 'points', '[]', :count, :total,"
                " CURRENT_TIMESTAMP) RETURNING id"
            ),
            {"name": DATASET, "count": len(city["people"]), "total": float(city["people"].sum())},
        ).scalar_one()
        _load_points(connection, dataset_id, city)
        _load_network(connection, city)


def _clear(connection) -> None:
    connection.execute(
        text(
            "DELETE FROM route_stops WHERE route_id IN (SELECT id FROM routes WHERE feed = :feed)"
        ),
        {"feed": FEED},
    )
    connection.execute(text("DELETE FROM routes WHERE feed = :feed"), {"feed": FEED})
    connection.execute(text("DELETE FROM stops WHERE feed = :feed"), {"feed": FEED})
    dataset = "SELECT id FROM population_datasets WHERE name = :name"
    connection.execute(
        text(f"DELETE FROM population_units WHERE dataset_id IN ({dataset})"), {"name": DATASET}
    )
    connection.execute(
        text("DELETE FROM population_datasets WHERE name = :name"), {"name": DATASET}
    )


def _load_points(connection, dataset_id: int, city: dict) -> None:
    hexes = _ewkb_hex(city["points"])
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(
            "COPY population_units (dataset_id, geom, population, attributes) FROM STDIN"
        ) as copy:
            for geometry, people in zip(hexes, city["people"], strict=True):
                copy.write_row((dataset_id, geometry, float(people), "{}"))
        return
    wkb = shapely.to_wkb(city["points"])
    connection.exec_driver_sql(
        "INSERT INTO population_units (dataset_id, geom, population, attributes)"
        " VALUES (?, GeomFromWKB(?, 4326), ?, '{}')",
        [
            (dataset_id, blob, float(people))
            for blob, people in zip(wkb, city["people"], strict=True)
        ],
    )


def _load_network(connection, city: dict) -> None:
    stop_rows, route_rows, call_rows = [], [], []
    for route_number, (path, stops) in enumerate(
        zip(city["routes"], city["route_stops"], strict=True), start=1
    ):
        route_rows.append(
            {
                "feed": FEED,
                "gtfs_route_id": f"R{route_number}",
                "short_name": str(route_number),
                "path": shapely.to_wkt(path),
                "trips": 40 + route_number % 100,
            }
        )
        for sequence, stop in enumerate(stops, start=1):
            stop_id = f"S{route_number}-{sequence}"
            stop_rows.append(
                {
                    "feed": FEED,
                    "gtfs_stop_id": stop_id,
                    "name": f"Stop {stop_id}",
                    "location": shapely.to_wkt(stop),
                    "trips": 40 + route_number % 100,
                }
            )
            call_rows.append(
                {"feed": FEED, "route": f"R{route_number}", "stop": stop_id, "sequence": sequence}
            )
    connection.execute(
        text(
            "INSERT INTO routes (feed, gtfs_route_id, short_name, long_name, route_type, colour,"
            " text_colour, path, trips_per_weekday) VALUES (:feed, :gtfs_route_id, :short_name, '',"
            " 3, '1F6FD1', 'FFFFFF', ST_GeomFromText(:path, 4326), :trips)"
        ),
        route_rows,
    )
    connection.execute(
        text(
            "INSERT INTO stops (feed, gtfs_stop_id, code, name, location, trips_per_weekday)"
            " VALUES (:feed, :gtfs_stop_id, NULL, :name, ST_GeomFromText(:location, 4326), :trips)"
        ),
        stop_rows,
    )
    connection.execute(
        text(
            "INSERT INTO route_stops (route_id, direction_id, sequence, stop_id)"
            " SELECT r.id, 0, :sequence, s.id FROM routes r, stops s WHERE r.feed = :feed"
            " AND r.gtfs_route_id = :route AND s.feed = :feed AND s.gtfs_stop_id = :stop"
        ),
        call_rows,
    )


def city_bounds() -> tuple[float, float, float, float]:
    """The lon/lat box of the synthetic city, for drawing random sites inside it."""
    corners = _project(
        np.array([[-CITY_SIZE_M / 3, -CITY_SIZE_M / 3], [CITY_SIZE_M / 3, CITY_SIZE_M / 3]])
    )
    return corners[0, 0], corners[0, 1], corners[1, 0], corners[1, 1]
