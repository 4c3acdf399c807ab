"""Benchmark: the planners' review queue with 50,000 requests, on both backends.

On each backend a service area the size of ``bench/city_generator.py``'s city is loaded with
``--requests`` (default 50,000) stop requests and about 2.5 supports each, placed at random
(seeded), scores included (``bench/planner_layers.py``'s loader). A logged-in planner's
``GET /api/planner/requests`` is timed through the app (Flask test client: routing, login check,
service, presenter, JSON) for the calls the map page makes: the whole city at city zoom newest
first, by score with a status filter, by supporters, a text search, the 500th page, and one
street's view at zoom 16 (where the map gets each request). Median, p95 and response size.

Baseline, measured in the same run: what the queue did before (every match, up to 20,000, read
and sent as a GeoJSON point each, the page cut from them), replayed through the same service
functions and JSON encoding without the HTTP layer, for the two whole-city calls.

    .venv/bin/python bench/planner_queue.py
    .venv/bin/python bench/planner_queue.py --backends postgis --requests 50000 --runs 30
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import city_generator  # noqa: E402
from bench.planner_layers import _load_requests  # noqa: E402
from tests import databases  # noqa: E402
from tests.factories import log_in  # noqa: E402
from transitreq import create_app, migrate  # noqa: E402
from transitreq.db import make_engine, make_sessionmaker  # noqa: E402
from transitreq.geo.geojson import feature_collection, point_feature  # noqa: E402
from transitreq.geo.metric import BoundingBox  # noqa: E402
from transitreq.geo.request_filters import districts_of  # noqa: E402
from transitreq.models import RequestStatus, ServiceArea, format_reference  # noqa: E402
from transitreq.services.analysis.queue import QueueQuery, queue_statement  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
WARM_UP = 3
# The old queue's cap on the map's matches.
OLD_MAP_CAP = 20_000


def _prepare(backend: str, requests: int, seed: int) -> str:
    RESULTS_DIR.mkdir(exist_ok=True)
    if backend == "spatialite":
        path = RESULTS_DIR / "queue.db"
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
    print(f"[{backend}] loading {requests:,} requests …", flush=True)
    _load_requests(engine, requests, seed)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()
    return url


def _old_queue(session, query: QueueQuery) -> bytes:
    """The queue as it was: every match (up to 20,000) read and sent as a point feature, the
    table's page cut from them, its districts looked up."""
    statement = queue_statement(session, query).limit(OLD_MAP_CAP + 1)
    matches = [
        (request_id, format_reference(created.year, request_id), title, status, supporters)
        + (score, created, lon, lat)
        for request_id, title, status, score, created, supporters, lon, lat in (
            session.connection().execute(statement)
        )
    ][:OLD_MAP_CAP]
    start = (query.page - 1) * query.per_page
    page = matches[start : start + query.per_page]
    districts = districts_of(session, [row[0] for row in page])
    now = datetime.now(UTC)
    body = {
        "total": len(matches),
        "rows": [
            {
                "reference": row[1],
                "title": row[2],
                "status": row[3].value,
                "supporters": row[4],
                "score": row[5],
                "created_at": row[6].isoformat(),
                "age_days": (now - row[6]).days,
                "district": districts.get(row[0]),
                "lat": row[8],
                "lon": row[7],
            }
            for row in page
        ],
        "features": feature_collection(
            [
                point_feature(
                    row[7],
                    row[8],
                    {
                        "reference": row[1],
                        "status": row[3].value,
                        "colour": row[3].colour,
                        "supporters": row[4],
                        "score": row[5],
                    },
                    row[1],
                )
                for row in matches
            ]
        ),
    }
    return json.dumps(body).encode()


def _street_box() -> str:
    min_lon, min_lat, max_lon, max_lat = city_generator.city_bounds()
    lon, lat = (min_lon + max_lon) / 2, (min_lat + max_lat) / 2
    # About 1 km × 0.6 km: one street's view at zoom 16.
    return f"{lon - 0.006:.6f},{lat - 0.003:.6f},{lon + 0.006:.6f},{lat + 0.003:.6f}"


def _timed(call, runs: int) -> tuple[list[float], int]:
    timings, size = [], 0
    for index in range(runs + WARM_UP):
        started = time.perf_counter()
        size = call()
        if index >= WARM_UP:
            timings.append((time.perf_counter() - started) * 1000)
    return timings, size


def _measure(backend: str, url: str, runs: int) -> list[tuple]:
    app = create_app(
        {"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False}
    )
    client = app.test_client()
    session = app.extensions["transitreq.sessionmaker"]()
    log_in(client, session, role="planner")
    city = ",".join(f"{value:.6f}" for value in city_generator.city_bounds())
    whole = f"bbox={city}&zoom=12&per_page=25"
    calls = {
        "whole city, newest first": f"{whole}",
        "whole city, by score, 2 statuses": f"{whole}&sort=-score&status=submitted,under_review",
        "whole city, most supporters": f"{whole}&sort=-supporters",
        "whole city, text search": f"{whole}&q=Landmark%2012",
        "whole city, page 500": f"{whole}&page=500&per_page=50",
        "one street, zoom 16 (points)": f"bbox={_street_box()}&zoom=16&per_page=25",
    }
    rows = []
    for label, params in calls.items():

        def call(params=params) -> int:
            response = client.get(f"/api/planner/requests?{params}")
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            return len(response.get_data())

        timings, size = _timed(call, runs)
        rows.append((backend, label, timings, size))
        print(f"[{backend}] {label}: median {statistics.median(timings):.1f} ms", flush=True)
    box_ = BoundingBox(*city_generator.city_bounds())
    old_calls = {
        "whole city, newest first": QueueQuery(box=box_, per_page=25),
        "whole city, by score, 2 statuses": QueueQuery(
            box=box_,
            per_page=25,
            sort="score",
            statuses=(RequestStatus.SUBMITTED, RequestStatus.UNDER_REVIEW),
        ),
    }
    for label, query in old_calls.items():
        timings, size = _timed(lambda query=query: len(_old_queue(session, query)), runs)
        rows.append((backend, f"baseline (before): {label}", timings, size))
        print(f"[{backend}] before: {label}: median {statistics.median(timings):.1f} ms")
    session.close()
    app.extensions["transitreq.engine"].dispose()
    return rows


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="postgis,spatialite")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args()
    rows = []
    for backend in args.backends.split(","):
        url = _prepare(backend, args.requests, args.seed)
        rows += _measure(backend, url, args.runs)
        if backend == "postgis":
            databases.drop_postgis_database(url)
    medians = {(backend, label): statistics.median(ms) for backend, label, ms, _size in rows}
    print()
    print("| backend | call | median | p95 | response | ratio to before |")
    print("|---|---|---:|---:|---:|---:|")
    for backend, label, timings, size in rows:
        before = medians.get((backend, f"baseline (before): {label}"))
        ratio = "" if before is None else f"{statistics.median(timings) / before:.2f}"
        print(
            f"| {backend} | {label} | {statistics.median(timings):.1f} ms | "
            f"{_p95(timings):.1f} ms | {size / 1024:,.1f} KB | {ratio} |"
        )


if __name__ == "__main__":
    main()
