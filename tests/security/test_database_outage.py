"""The database drops its connections under gunicorn: residents get our 503, no worker dies,
and the service recovers by itself.

Pins a security test's finding: while PostgreSQL terminated the app's sessions
(``pg_terminate_backend``), gunicorn workers died with SIGSEGV in the middle of reading rows, so
clients got a reset connection (a proxy's plain 502) instead of our error. The crash is in
CPython 3.11 itself: it happens with psycopg's and SQLAlchemy's pure-Python implementations too,
on 3.11.2 and 3.11.7 alike, and never on 3.12 with the same packages. On 3.11 this test therefore
fails about every other run and is marked as an expected failure there; from 3.12 on it must pass.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from tests import databases
from transitreq import migrate
from transitreq.db import make_engine, make_sessionmaker
from transitreq.importers.demo_city import seed_demo_city

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RIVERBEND_BBOX = "9.9,44.9,10.1,45.1"
# Answers of many rows, so that a termination often lands while rows are being read; one page.
PATHS = (
    f"/api/layers/requests?bbox={RIVERBEND_BBOX}",
    f"/api/layers/stops?bbox={RIVERBEND_BBOX}",
    "/api/layers/routes",
    "/open311/v2/requests.json",
    "/",
)
EXTRA_REQUESTS = 1500
WORKERS = 2
CLIENTS = 4
KILL_INTERVAL_S = 0.1
# Terminations go on at least this long, and longer (up to the cap) until some land mid-request.
KILLS_AT_LEAST_S = 4.0
KILLS_AT_MOST_S = 15.0
REFUSALS_WANTED = 3
# What gunicorn logs when a worker dies or the app lets an error escape to gunicorn's own page.
DEATH_SIGNS = (
    "SIGSEGV",
    "was sent",
    "exited with code",
    "Fatal Python error",
    "WORKER TIMEOUT",
    "Error handling request",
)


@dataclass(frozen=True)
class Answer:
    path: str
    status: int = 0
    content_type: str = ""
    retry_after: str | None = None
    body: bytes = b""
    failure: str = ""


def _get(port: int, path: str) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return Answer(
            path,
            response.status,
            response.getheader("Content-Type", ""),
            response.getheader("Retry-After"),
            response.read(),
        )
    except (OSError, http.client.HTTPException) as error:
        return Answer(path, failure=f"{error.__class__.__name__}: {error}")
    finally:
        connection.close()


def _refusal_problem(answer: Answer) -> str | None:
    """What is wrong with an answer given while the database drops connections, if anything:
    only a normal 200 or our 503 in the format of the API asked, with Retry-After, will do."""
    if answer.failure:
        return f"no HTTP answer ({answer.failure})"
    if answer.status == 200:
        return None
    if answer.status != 503:
        return f"{answer.status} {answer.body[:200]!r}"
    if not answer.retry_after:
        return "503 without Retry-After"
    if answer.path.startswith("/api/") and "json" in answer.content_type:
        error = json.loads(answer.body)["error"]
        return None if error["code"] == "database_unavailable" else f"503 {error}"
    if answer.path.startswith("/open311/") and "json" in answer.content_type:
        errors = json.loads(answer.body)
        return None if errors[0]["code"] == 503 else f"503 {errors}"
    if answer.path == "/" and "text/html" in answer.content_type:
        return None if b"cannot reach its database" in answer.body else "503 page not ours"
    return f"503 {answer.content_type} {answer.body[:200]!r}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(database_url: str, log_path: Path) -> Iterator[int]:
    """The README's production command (fewer workers) on a free port; yields the port. The
    workers' stderr (gunicorn's log, Python's fault handler) goes to ``log_path``."""
    port = _free_port()
    environment = os.environ | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "outage-drill",
        "RATELIMIT_ENABLED": "0",
        "TILE_URL": "",
        "PYTHONFAULTHANDLER": "1",
    }
    command = [
        sys.executable, "-m", "gunicorn",
        "--workers", str(WORKERS),
        "--bind", f"127.0.0.1:{port}",
        # Other gunicorns on this machine would share the default control socket.
        "--no-control-socket",
        "--error-logfile", "-",
        "--timeout", "120",
        "transitreq:create_app()",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_serving(server, port, log_path)
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def _wait_until_serving(server: subprocess.Popen, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited at start:\n{log_path.read_text()}", pytrace=False)
        if _get(port, "/api/layers/service-areas").status == 200:
            return
        time.sleep(0.3)
    pytest.fail(f"gunicorn did not answer within 90 s:\n{log_path.read_text()}", pytrace=False)


def _add_requests(engine, count: int) -> None:
    """Many more open requests in the demo city (copies of one, pins scattered over it), so the
    layers answer with thousands of rows."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO stop_requests (title, description, served_groups, landmark, location,"
                " status, notify_progress, is_demo, created_at, updated_at, version, score)"
                " SELECT 'Outage drill ' || n, one.description, one.served_groups, one.landmark,"
                " ST_SetSRID(ST_MakePoint(9.94 + random() * 0.12, 44.97 + random() * 0.06), 4326),"
                " 'submitted', false, false, now(), now(), 1, one.score"
                " FROM generate_series(1, :count) AS n,"
                " (SELECT * FROM stop_requests ORDER BY id LIMIT 1) AS one"
            ),
            {"count": count},
        )


@pytest.fixture
def city_database() -> Iterator[str]:
    """A PostGIS database of its own with the demo city and many more requests."""
    url = databases.create_postgis_database()
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        session = make_sessionmaker(engine)()
        try:
            seed_demo_city(session)
        finally:
            session.close()
        _add_requests(engine, EXTRA_REQUESTS)
        engine.dispose()
        yield url
    finally:
        engine.dispose()
        databases.drop_postgis_database(url)


class Clients:
    """Residents' browsers and API clients asking for row-heavy answers without pause."""

    def __init__(self, port: int, count: int) -> None:
        self.port = port
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._ask, args=(offset,), daemon=True)
            for offset in range(count)
        ]

    def _ask(self, offset: int) -> None:
        turn = offset
        while not self._stop.is_set():
            answer = _get(self.port, PATHS[turn % len(PATHS)])
            turn += 1
            with self._lock:
                self.answers.append(answer)

    def refusals(self) -> int:
        with self._lock:
            return sum(1 for answer in self.answers if answer.status == 503)

    def __enter__(self) -> Clients:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)


def _terminate_backends_repeatedly(database_url: str, clients: Clients) -> int:
    """Terminate the app's sessions every KILL_INTERVAL_S, long enough that some terminations
    hit requests in flight; returns how many sessions were ended."""
    ended = 0
    started = time.monotonic()
    while True:
        elapsed_s = time.monotonic() - started
        if elapsed_s >= KILLS_AT_MOST_S:
            break
        if elapsed_s >= KILLS_AT_LEAST_S and clients.refusals() >= REFUSALS_WANTED:
            break
        ended += databases.terminate_backends(database_url)
        time.sleep(KILL_INTERVAL_S)
    return ended


@pytest.mark.xfail(
    sys.version_info < (3, 12),
    reason="CPython 3.11 crashes workers (SIGSEGV) while connections drop; run on 3.12 or newer",
    strict=False,
)
def test_dropped_database_connections_get_our_503_and_the_service_recovers(city_database, tmp_path):
    log_path = tmp_path / "gunicorn.log"
    with gunicorn(city_database, log_path) as port:
        for path in PATHS:  # before the outage, every answer is a normal one
            assert _get(port, path).status == 200, path
        with Clients(port, CLIENTS) as clients:
            ended = _terminate_backends_repeatedly(city_database, clients)
        after = [_get(port, path) for path in PATHS * WORKERS]
        log = log_path.read_text(errors="replace")  # before the shutdown adds its own lines

    assert ended > 0
    problems = [
        f"{answer.path}: {problem}"
        for answer in clients.answers
        if (problem := _refusal_problem(answer)) is not None
    ]
    deaths = [sign for sign in DEATH_SIGNS if sign in log]
    assert (problems, deaths) == ([], []), "\n".join(problems[:20]) + "\n" + log[-5000:]
    assert clients.refusals() >= 1, "no termination hit a request: the outage was not tested"
    # The pool checks each connection before use: the first request after the outage works.
    assert [(answer.path, answer.status) for answer in after] == [
        (path, 200) for path in PATHS * WORKERS
    ]
