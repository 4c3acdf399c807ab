"""Benchmark: what the residents' home page weighs and costs when it opens, as the city fills up,
and the routes layer of the Helsinki sample, each beside its baseline in the same run.

Served by gunicorn (2 workers, the machine's 2 cores) on PostGIS, fetched over HTTP as a
browser with an empty cache does when the page opens: the page, then every layer its map loads
for the starting view (service areas, lines, stops, new stops, requests) side by side, six at a
time as a browser does; the time is from the first byte asked to the last byte received. The
starting view is what Leaflet's ``fitBounds`` makes of the service area (20-pixel padding) on
a map of ``MAP_PX`` pixels, the map pane of a 1280 × 800 laptop screen.

- **now**: layers asked with ``zoom`` (bubbles counted per grid cell, lines simplified, rounded
  coordinates), with ``Accept-Encoding: br, gzip``;
- **baseline**: the same server asked as the map asked before this change: layers by ``bbox``
  alone, no ``Accept-Encoding`` (those code paths are unchanged: the planners' scripts and other
  clients still use them);
- **revalidated**: ``now`` again with each answer's ``ETag`` in ``If-None-Match`` (304s).

Cities: the demo city (8 requests), then 327 more requests, then 3,100 and 50,000 in all, at
random places in its service area (seeded). Helsinki: the HSL sample's 198 routes, the layer
for the whole city at zoom 11 (now) against the same box without zoom and the whole layer
without box (baseline).

    .venv/bin/python bench/public_map.py
    .venv/bin/python bench/public_map.py --runs 30 --skip-helsinki
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import databases  # noqa: E402
from tests.reference_data import GTFS_ZIP  # noqa: E402
from transitreq import migrate  # noqa: E402
from transitreq.db import make_engine, make_sessionmaker  # noqa: E402
from transitreq.geo.metric import BoundingBox  # noqa: E402
from transitreq.geo.service_areas import service_areas_extent  # noqa: E402
from transitreq.importers.demo_city import seed_demo_city  # noqa: E402
from transitreq.importers.gtfs import import_gtfs  # noqa: E402
from transitreq.models import RequestStatus, StopRequest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MAP_PX = (760, 640)
PADDING_PX = 20
POINT_LAYERS = ("routes", "stops", "new-stops", "requests")
HELSINKI_CITY = BoundingBox(24.78, 60.13, 25.20, 60.30)
ZOOM = 11
WARM_UP = 3
# A browser opens six connections to a host.
BROWSER = ThreadPoolExecutor(max_workers=6)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn serving the app on ``url``'s database, started and stopped by this script."""

    def __init__(self, database_url: str, workers: int = 2) -> None:
        self.port = _free_port()
        environment = os.environ | {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-only",
            "RATELIMIT_ENABLED": "false",
            "TILE_URL": "",
        }
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "transitreq:create_app()",
            ],
            cwd=ROOT,
            env=environment,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.get("/api/layers/service-areas")
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not start")

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, body, dict(response.getheaders())

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def starting_view(extent: BoundingBox) -> tuple[BoundingBox, int]:
    """The box and zoom Leaflet opens the home map on: ``fitBounds(extent)`` with the page's
    padding on a map of ``MAP_PX`` (Web Mercator, 256-pixel tiles, whole zooms)."""

    def mercator_y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / (2 * math.pi)

    width, height = MAP_PX
    span_x = (extent.max_lon - extent.min_lon) / 360
    span_y = mercator_y(extent.max_lat) - mercator_y(extent.min_lat)
    zoom = math.floor(
        min(
            math.log2((width - 2 * PADDING_PX) / (256 * span_x)),
            math.log2((height - 2 * PADDING_PX) / (256 * span_y)),
        )
    )
    zoom = min(zoom, 16)
    centre_lat, centre_lon = extent.centre_lat_lon
    world_px = 256 * 2**zoom
    half_lon = width / 2 / world_px * 360
    centre_y = mercator_y(centre_lat)

    def lat_of(y: float) -> float:
        return math.degrees(2 * math.atan(math.exp(y * 2 * math.pi)) - math.pi / 2)

    half_y = height / 2 / world_px
    return (
        BoundingBox(
            centre_lon - half_lon,
            lat_of(centre_y - half_y),
            centre_lon + half_lon,
            lat_of(centre_y + half_y),
        ),
        zoom,
    )


def _bbox(box: BoundingBox) -> str:
    return ",".join(
        f"{value:.6f}" for value in (box.min_lon, box.min_lat, box.max_lon, box.max_lat)
    )


def home_urls(box: BoundingBox, zoom: int, zoomed: bool) -> list[str]:
    suffix = f"&zoom={zoom}" if zoomed else ""
    return ["/", "/api/layers/service-areas"] + [
        f"/api/layers/{layer}?bbox={_bbox(box)}{suffix}" for layer in POINT_LAYERS
    ]


def fetch_all(server: Gunicorn, urls: list[str], compressed: bool, etags: dict | None = None):
    """Bytes on the wire and milliseconds for fetching ``urls`` as a browser opening the page
    does: the first (the page), then the others (its map's layers) side by side."""

    def fetch(url: str) -> tuple[int, str | None]:
        headers = {"Accept-Encoding": "br, gzip"} if compressed else {}
        if etags and etags.get(url):
            headers["If-None-Match"] = etags[url]
        status, body, response_headers = server.get(url, headers)
        assert status in (200, 304), (url, status, body[:300])
        return len(body), response_headers.get("ETag")

    started = time.perf_counter()
    answers = [fetch(urls[0])] + list(BROWSER.map(fetch, urls[1:]))
    elapsed = (time.perf_counter() - started) * 1000
    return (
        sum(size for size, _ in answers),
        elapsed,
        dict(zip(urls, (tag for _, tag in answers), strict=True)),
    )


def measure(server: Gunicorn, urls: list[str], compressed: bool, runs: int, revalidate=False):
    """Median milliseconds over ``runs`` (after warming up), bytes, and per-URL bytes."""
    _, _, etags = fetch_all(server, urls, compressed)
    timings, size = [], 0
    for index in range(runs + WARM_UP):
        size, elapsed, _ = fetch_all(server, urls, compressed, etags if revalidate else None)
        if index >= WARM_UP:
            timings.append(elapsed)
    return statistics.median(timings), size


def _random_point(rng: random.Random, extent: BoundingBox) -> str:
    lon = rng.uniform(extent.min_lon, extent.max_lon)
    lat = rng.uniform(extent.min_lat, extent.max_lat)
    return f"SRID=4326;POINT({lon} {lat})"


def add_requests(url: str, extent: BoundingBox, count: int, seed: int) -> None:
    """``count`` requests at random places in the service area's box, straight into the table."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    statuses = [status for status in RequestStatus if status is not RequestStatus.MERGED]
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            insert(StopRequest),
            [
                {
                    "title": f"Bench request {seed}-{number}",
                    "description": "A stop is needed here.",
                    "served_groups": ["other"],
                    "landmark": "",
                    "location": _random_point(rng, extent),
                    "status": rng.choice(statuses),
                    "notify_progress": False,
                    "is_demo": True,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
                for number in range(count)
            ],
        )
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE"))
    engine.dispose()


def bench_home(runs: int) -> list[str]:
    url = databases.create_postgis_database()
    engine = make_engine(url)
    migrate.upgrade(engine)
    session = make_sessionmaker(engine)()
    seed_demo_city(session, None)
    extent = service_areas_extent(session)
    session.close()
    engine.dispose()
    box, zoom = starting_view(extent)
    print(f"starting view: zoom {zoom}, bbox {_bbox(box)}", flush=True)
    lines = [
        "| requests | baseline size | now size | ÷ | baseline median | now median | ÷ | "
        "revalidated (304s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    server = Gunicorn(url)
    try:
        filed = 8
        for target, seed in ((8, 0), (8 + 327, 1), (3_100, 2), (50_000, 3)):
            if target > filed:
                add_requests(url, extent, target - filed, seed)
                filed = target
            base_ms, base_bytes = measure(server, home_urls(box, zoom, False), False, runs)
            now_ms, now_bytes = measure(server, home_urls(box, zoom, True), True, runs)
            again_ms, again_bytes = measure(
                server, home_urls(box, zoom, True), True, runs, revalidate=True
            )
            line = (
                f"| {target:,} | {base_bytes / 1024:,.1f} KB | {now_bytes / 1024:,.1f} KB | "
                f"{base_bytes / now_bytes:.1f}× | {base_ms:,.0f} ms | {now_ms:,.0f} ms | "
                f"{base_ms / now_ms:.1f}× | {again_ms:,.0f} ms, {again_bytes / 1024:.1f} KB |"
            )
            print(line, flush=True)
            lines.append(line)
            for page in home_urls(box, zoom, True):
                status, body, headers = server.get(page, {"Accept-Encoding": "br, gzip"})
                print(f"    {len(body):>8,} B  {headers.get('Content-Encoding', '-'):4}  {page}")
    finally:
        server.stop()
        databases.drop_postgis_database(url)
    return lines


def bench_routes(runs: int) -> list[str]:
    url = databases.create_postgis_database()
    engine = make_engine(url)
    migrate.upgrade(engine)
    session = make_sessionmaker(engine)()
    print("importing the Helsinki feed …", flush=True)
    import_gtfs(session, GTFS_ZIP, "hsl")
    session.close()
    engine.dispose()
    bbox = _bbox(HELSINKI_CITY)
    cases = [
        ("baseline: whole layer, no box", "/api/layers/routes", False),
        ("baseline: city box, no zoom", f"/api/layers/routes?bbox={bbox}", False),
        (
            "now: city box, zoom 11, br",
            f"/api/layers/routes?bbox={bbox}&zoom={ZOOM}",
            True,
        ),
    ]
    lines = ["| routes layer, Helsinki | size | median |", "|---|---:|---:|"]
    server = Gunicorn(url)
    results = []
    try:
        for label, path, compressed in cases:
            median_ms, size = measure(server, [path], compressed, runs)
            results.append((size, median_ms))
            line = f"| {label} | {size / 1024:,.1f} KB | {median_ms:,.0f} ms |"
            print(line, flush=True)
            lines.append(line)
    finally:
        server.stop()
        databases.drop_postgis_database(url)
    (base_size, base_ms), (now_size, now_ms) = results[1], results[2]
    lines.append(
        f"| ratio, city box: baseline ÷ now | {base_size / now_size:.1f}× | "
        f"{base_ms / now_ms:.1f}× |"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--skip-helsinki", action="store_true")
    parser.add_argument("--skip-home", action="store_true")
    arguments = parser.parse_args()
    report = []
    if not arguments.skip_home:
        report += bench_home(arguments.runs)
    if not arguments.skip_helsinki:
        report += [""] + bench_routes(arguments.runs)
    print("\n".join(report))


if __name__ == "__main__":
    main()
