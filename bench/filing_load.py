"""Benchmark: residents filing requests at once, ``POST /api/requests`` against gunicorn on PostGIS.

For each code tree given (this one, and with ``--baseline-tree`` an export of an earlier commit,
measured in the same run on the same machine), a fresh PostGIS database is migrated, the demo
city is loaded, and gunicorn (``--workers``, default 4 sync workers) serves the tree with rate
limits off. Then ``--clients`` (default 16) threads file ``--requests`` requests between them
(default 2,000, 40 warm-up first), each a JSON filing at a random place inside the demo's
service area, each on its own connection. Printed: requests per second (wall clock from the
first to the last answer), median and p95 latency, and anything but 201. For the current tree
also how long after the last answer every request's score was computed by the web processes'
score keepers (the work the answer no longer waits for).

    git archive 783cbba | (mkdir -p /tmp/filing-base && tar -x -C /tmp/filing-base)
    .venv/bin/python bench/filing_load.py --baseline-tree /tmp/filing-base
    .venv/bin/python bench/filing_load.py --requests 500      # this tree only

The load threads run on the same two cores as gunicorn and PostgreSQL, as a fair share of the
machine for both trees.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import text

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from tests import databases  # noqa: E402
from transitreq.db import make_engine  # noqa: E402

WARM_UP = 40


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(tree: Path, args: list[str], env: dict[str, str]) -> None:
    subprocess.run(
        [str(HERE / ".venv/bin/flask"), "--app", "transitreq", *args],
        cwd=tree,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _area_bounds(url: str) -> tuple[float, float, float, float]:
    engine = make_engine(url)
    with engine.connect() as connection:
        bounds = connection.execute(
            text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                "FROM (SELECT ST_Extent(boundary) AS e FROM service_areas) AS extent"
            )
        ).one()
    engine.dispose()
    return tuple(float(value) for value in bounds)


def _wait_until_serving(port: int, server: subprocess.Popen) -> None:
    # Each worker imports the app on its own: on a busy two-core machine that takes a while.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited before serving")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            connection.request("GET", "/api/layers/service-areas")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within five minutes")


def _bodies(count: int, bounds, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    min_lon, min_lat, max_lon, max_lat = bounds
    # The middle of the service area's box, which lies inside the (irregular) area.
    shrink_lon, shrink_lat = (max_lon - min_lon) * 0.3, (max_lat - min_lat) * 0.3
    return [
        json.dumps(
            {
                "title": f"Stop near block {number}",
                "description": "The nearest stop is too far for the elderly on our street.",
                "lat": rng.uniform(min_lat + shrink_lat, max_lat - shrink_lat),
                "lon": rng.uniform(min_lon + shrink_lon, max_lon - shrink_lon),
                "served_groups": ["elderly"],
            }
        ).encode()
        for number in range(count)
    ]


def _file(port: int, body: bytes) -> tuple[int, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("POST", "/api/requests", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, time.perf_counter() - started


def _load(port: int, bodies: list[bytes], clients: int) -> tuple[float, list[float], dict]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    next_body = iter(bodies)

    def client() -> None:
        while True:
            with lock:
                body = next(next_body, None)
            if body is None:
                return
            status, seconds = _file(port, body)
            with lock:
                latencies.append(seconds)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, statuses


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def _unscored(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        count = connection.execute(
            # The bench's own filings (the baseline left some demo requests unscored).
            text("SELECT count(*) FROM stop_requests WHERE score IS NULL AND NOT is_demo")
        ).scalar_one()
    engine.dispose()
    return int(count)


def measure(tree: Path, label: str, args) -> dict:
    url = databases.create_postgis_database()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "RATELIMIT_ENABLED": "0",
        "SECRET_KEY": "bench-only-secret",
        "PYTHONPATH": str(tree),
    }
    port = _free_port()
    server = None
    try:
        _run(tree, ["init-db"], env)
        _run(tree, ["seed-demo"], env)
        bounds = _area_bounds(url)
        server = subprocess.Popen(
            [
                str(HERE / ".venv/bin/gunicorn"),
                "--workers",
                str(args.workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "transitreq:create_app()",
            ],
            cwd=tree,
            env=env,
            start_new_session=True,
        )
        _wait_until_serving(port, server)
        bodies = _bodies(WARM_UP + args.requests, bounds, args.seed)
        _load(port, bodies[:WARM_UP], args.clients)
        wall_s, latencies, statuses = _load(port, bodies[WARM_UP:], args.clients)
        result = {
            "label": label,
            "per_s": len(latencies) / wall_s,
            "median_ms": statistics.median(latencies) * 1000,
            "p95_ms": _p95(latencies) * 1000,
            "statuses": statuses,
            "scored_after_s": None,
        }
        # How long the web processes take to score what the answers left due.
        finished = time.perf_counter()
        deadline = finished + args.catch_up_s
        while time.perf_counter() < deadline and _unscored(url):
            time.sleep(0.5)
        if not _unscored(url):
            result["scored_after_s"] = time.perf_counter() - finished
        return result
    finally:
        if server is not None:
            # SIGQUIT: gunicorn's quick shutdown (SIGTERM waits for the workers' graceful timeout).
            os.killpg(server.pid, signal.SIGQUIT)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        databases.drop_postgis_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--catch-up-s", type=float, default=600.0)
    parser.add_argument(
        "--baseline-tree", type=Path, help="An export of the commit to compare with."
    )
    args = parser.parse_args()
    trees = [(HERE, "this tree")]
    if args.baseline_tree:
        trees.insert(0, (args.baseline_tree.resolve(), "baseline"))
    results = []
    for tree, label in trees:
        print(f"[{label}] {tree}: {args.requests} filings, {args.clients} clients …", flush=True)
        results.append(measure(tree, label, args))
        row = results[-1]
        scored = "—" if row["scored_after_s"] is None else f"{row['scored_after_s']:.1f} s"
        print(
            f"  {row['per_s']:.1f} req/s, median {row['median_ms']:.1f} ms, "
            f"p95 {row['p95_ms']:.1f} ms, statuses {row['statuses']}, "
            f"every score computed {scored} after the last answer",
            flush=True,
        )
    if len(results) == 2:
        base, now = results
        print(
            f"ratio (this tree ÷ baseline): throughput ×{now['per_s'] / base['per_s']:.2f}, "
            f"median ×{now['median_ms'] / base['median_ms']:.2f}, "
            f"p95 ×{now['p95_ms'] / base['p95_ms']:.2f}"
        )


if __name__ == "__main__":
    main()
