"""Benchmark: the planner map view's data load, on the generated city with 10,000 requests.

On each backend the generated city of ``bench/city_generator.py`` is loaded (by default 200,000
population points, 10,000 stops, 500 routes) with 10,000 stop requests and about 25,000
supports placed at random (seeded), scores included. A logged-in planner's calls are timed
through the app (Flask test client: routing, login check, service, presenter, JSON):

- ``GET /api/planner/requests`` for a box around the whole city (every request on the map, the
  first page of 50 rows in the table), newest first and by score;
- ``GET /api/planner/layers/population`` and ``/layers/coverage-gap`` (400 m) for random
  2 × 2 km boxes.

Baselines measured in the same run: the very same SQL statements replayed through the bare
driver (the database's share), and for the queue also the plainest query that could feed a map,
``SELECT id, location`` of every request in the box.

    .venv/bin/python bench/planner_layers.py
    .venv/bin/python bench/planner_layers.py --points 1000000 --backends postgis
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box
from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import city_generator  # noqa: E402
from bench.evaluate_sites import StatementRecorder  # noqa: E402
from tests import databases  # noqa: E402
from tests.factories import log_in  # noqa: E402
from transitreq import create_app, migrate  # noqa: E402
from transitreq.db import make_engine, make_sessionmaker  # noqa: E402
from transitreq.geo.coverage import box_size_m  # noqa: E402
from transitreq.geo.metric import BoundingBox  # noqa: E402
from transitreq.models import RequestStatus, ServiceArea, StopRequest, Support  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
WARM_UP = 3


def _load_requests(engine, count: int, seed: int) -> None:
    """``count`` requests at random places in the city, with supports and cached scores."""
    rng = random.Random(seed)
    min_lon, min_lat, max_lon, max_lat = city_generator.city_bounds()
    statuses = list(RequestStatus)
    now = datetime.now(UTC)
    rows = []
    for number in range(count):
        created = now - timedelta(days=rng.uniform(0, 700))
        lon, lat = rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat)
        rows.append(
            {
                "title": f"Stop request {number}",
                "description": f"Generated request {number} for the benchmark.",
                "served_groups": ["other"],
                "landmark": f"Landmark {number % 997}",
                "location": f"SRID=4326;POINT({lon} {lat})",
                "status": rng.choice(statuses),
                "notify_progress": False,
                "is_demo": True,
                "created_at": created,
                "updated_at": created,
                "version": 1,
                "score": round(rng.uniform(0, 100), 1),
            }
        )
    session = make_sessionmaker(engine)()
    session.execute(insert(StopRequest), rows)
    ids = list(session.scalars(text("SELECT id FROM stop_requests ORDER BY id")))
    supports = [
        {"request_id": request_id, "contact": f"fan{n}@example.org", "created_at": now}
        for request_id in ids
        for n in range(rng.choice((0, 0, 1, 2, 3, 4, 5)))
    ]
    session.execute(insert(Support), supports)
    session.commit()
    session.close()
    print(f"  {len(ids):,} requests, {len(supports):,} supports", flush=True)


def _prepare(backend: str, scale: city_generator.CityScale, requests: int) -> str:
    RESULTS_DIR.mkdir(exist_ok=True)
    if backend == "spatialite":
        path = RESULTS_DIR / "planner.db"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        url = databases.create_postgis_database()
    engine = make_engine(url)
    migrate.upgrade(engine)
    session = make_sessionmaker(engine)()
    bounds = city_generator.city_bounds()
    session.add(
        ServiceArea(name="Bench city", boundary=from_shape(MultiPolygon([box(*bounds)]), 4326))
    )
    session.commit()
    session.close()
    print(f"[{backend}] loading the city ({scale.points:,} points) and requests …", flush=True)
    started = time.perf_counter()
    city_generator.load(engine, city_generator.generate(scale))
    _load_requests(engine, requests, scale.seed)
    if backend == "postgis":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    print(f"[{backend}] loaded in {time.perf_counter() - started:.0f} s", flush=True)
    engine.dispose()
    return url


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def _boxes(count: int, side_m: float, seed: int) -> list[str]:
    """Random boxes of about ``side_m`` square inside the city, as bbox parameters."""
    rng = random.Random(seed)
    min_lon, min_lat, max_lon, max_lat = city_generator.city_bounds()
    probe = BoundingBox(min_lon, min_lat, min_lon + 0.01, min_lat + 0.01)
    metres_per_lon, metres_per_lat = (size / 0.01 for size in box_size_m(probe))
    width, height = side_m / metres_per_lon, side_m / metres_per_lat
    boxes = []
    for _ in range(count):
        lon = rng.uniform(min_lon, max_lon - width)
        lat = rng.uniform(min_lat, max_lat - height)
        boxes.append(f"{lon:.6f},{lat:.6f},{lon + width:.6f},{lat + height:.6f}")
    return boxes


def _replay(raw, statements) -> None:
    cursor = raw.cursor()
    for statement, parameters in statements:
        cursor.execute(statement, parameters)
        cursor.fetchall()
    cursor.close()


def _time_calls(client, engine, urls: list[str]) -> tuple[list[float], list[float], int]:
    """Milliseconds per call through the app, and for its SQL replayed bare; response bytes."""
    recorder = StatementRecorder(engine)
    raw = engine.raw_connection()
    app_ms, floor_ms, size = [], [], 0
    for index, url in enumerate(urls):
        recorder.statements = []
        recorder.recording = True
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        recorder.recording = False
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        # Only the feature's own statements, not the login check's user lookup.
        statements = [item for item in recorder.statements if "users" not in item[0]]
        started = time.perf_counter()
        _replay(raw, statements)
        floor = time.perf_counter() - started
        raw.rollback()
        if index >= WARM_UP:
            app_ms.append(elapsed * 1000)
            floor_ms.append(floor * 1000)
            size = len(response.get_data())
    raw.close()
    return app_ms, floor_ms, size


def _bare_map_query(engine, bbox: str, runs: int) -> list[float]:
    """The plainest map query: ids and locations of every request in the box."""
    min_lon, min_lat, max_lon, max_lat = (float(part) for part in bbox.split(","))
    if engine.dialect.name == "postgresql":
        sql = (
            "SELECT id, ST_AsBinary(location) FROM stop_requests WHERE location && "
            f"ST_MakeEnvelope({min_lon}, {min_lat}, {max_lon}, {max_lat}, 4326)"
        )
    else:
        sql = (
            "SELECT id, ST_AsBinary(location) FROM stop_requests WHERE id IN (SELECT rowid FROM"
            " SpatialIndex WHERE f_table_name = 'stop_requests' AND search_frame ="
            f" BuildMbr({min_lon}, {min_lat}, {max_lon}, {max_lat}, 4326))"
        )
    raw = engine.raw_connection()
    timings = []
    for index in range(runs + WARM_UP):
        started = time.perf_counter()
        cursor = raw.cursor()
        cursor.execute(sql)
        cursor.fetchall()
        cursor.close()
        if index >= WARM_UP:
            timings.append((time.perf_counter() - started) * 1000)
    raw.close()
    return timings


def _measure(backend: str, url: str, runs: int, seed: int) -> list[tuple]:
    app = create_app(
        {"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False}
    )
    engine = app.extensions["transitreq.engine"]
    client = app.test_client()
    session = app.extensions["transitreq.sessionmaker"]()
    log_in(client, session, role="planner")
    session.close()
    city = ",".join(f"{value:.6f}" for value in city_generator.city_bounds())
    rows = []
    workloads = {
        "queue, whole city, newest first": [f"/api/planner/requests?bbox={city}"]
        * (runs + WARM_UP),
        "queue, whole city, by score, status filter": [
            f"/api/planner/requests?bbox={city}&sort=-score&status=submitted,under_review"
        ]
        * (runs + WARM_UP),
        "population layer, 2 × 2 km": [
            f"/api/planner/layers/population?bbox={bbox}"
            for bbox in _boxes(runs + WARM_UP, 2000, seed)
        ],
        "coverage gap (400 m), 2 × 2 km": [
            f"/api/planner/layers/coverage-gap?bbox={bbox}"
            for bbox in _boxes(runs + WARM_UP, 2000, seed + 1)
        ],
    }
    for label, urls in workloads.items():
        app_ms, floor_ms, size = _time_calls(client, engine, urls)
        rows.append((backend, label, app_ms, floor_ms, size))
        print(f"[{backend}] {label}: median {statistics.median(app_ms):.1f} ms", flush=True)
    bare = _bare_map_query(engine, city, runs)
    rows.append((backend, "bare `SELECT id, location` in the box", bare, bare, 0))
    engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="postgis,spatialite")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--requests", type=int, default=10_000)
    city_generator.add_scale_arguments(parser, city_generator.CityScale(points=200_000))
    args = parser.parse_args()
    scale = city_generator.scale_of(args)
    rows = []
    for backend in args.backends.split(","):
        url = _prepare(backend, scale, args.requests)
        rows += _measure(backend, url, args.runs, args.seed)
        if backend == "postgis":
            databases.drop_postgis_database(url)
    print()
    print("| backend | call | median | p95 | its SQL, bare: median | p95 | response |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for backend, label, app_ms, floor_ms, size in rows:
        print(
            f"| {backend} | {label} | {statistics.median(app_ms):.1f} ms | {_p95(app_ms):.1f} ms"
            f" | {statistics.median(floor_ms):.1f} ms | {_p95(floor_ms):.1f} ms"
            f" | {size / 1024:,.0f} KiB |"
        )


if __name__ == "__main__":
    main()
