"""Fixtures: every database test runs once on SpatiaLite and once on PostGIS."""

from __future__ import annotations

import re

import pytest

from tests import databases
from tests.browser_fixtures import (  # noqa: F401 - fixtures shared by the browser tests
    browser,
    live_app,
    live_session,
    page,
    viewport,
)
from tests.helsinki import helsinki, helsinki_session, reference  # noqa: F401 - shared fixtures
from tests.templates import TEMPLATES
from transitreq import create_app
from transitreq.db import make_engine, make_sessionmaker

BACKENDS = ("spatialite", "postgis")


@pytest.fixture(scope="session")
def migrated_urls():
    """One migrated database per backend for the whole session, created on first use."""
    urls: dict[str, str] = {}

    def url_for(backend: str) -> str:
        if backend not in urls:
            urls[backend] = TEMPLATES.copy(backend)
        return urls[backend]

    yield url_for
    for url in urls.values():
        TEMPLATES.drop(url)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(request, backend, migrated_urls, tmp_path):
    """The test's database: the shared migrated one, emptied; or, for a test marked
    ``demo_city`` (``demo_city("en")`` for the demo in one language), a copy of the demo city
    loaded once per process (tests/templates.py)."""
    marker = request.node.get_closest_marker("demo_city")
    if marker is None:
        url = migrated_urls(backend)
        engine = make_engine(url)
        databases.empty_all_tables(engine)
        engine.dispose()
        yield url
        return
    language = marker.args[0] if marker.args else ""
    url = TEMPLATES.copy(backend, f"demo:{language}" if language else "demo", tmp_path)
    yield url
    TEMPLATES.drop(url)


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    session = make_sessionmaker(engine)()
    yield session
    session.close()


def make_test_app(database_url: str, instance_path: str):
    """The app as the tests run it, on ``database_url``."""
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "tests-only-secret",
            # No tile server in tests: the map must work on a blank background.
            "TILE_URL": "",
            "SERVER_NAME": "transitreq.test",
            # Rate limits are tested on their own (tests/test_rate_limits.py).
            "RATELIMIT_ENABLED": False,
        },
        instance_path=instance_path,
    )


@pytest.fixture
def app(database_url, tmp_path):
    app = make_test_app(database_url, str(tmp_path / "instance"))
    yield app
    app.extensions["transitreq.engine"].dispose()


def reconfigure(app, **changes) -> None:
    """Change settings of a running test app: rebuilt and checked as at start, and carried by
    the app and its sessions alike (settings are frozen; this is the one way to change them)."""
    from transitreq.config import build_settings
    from transitreq.services.context import SETTINGS_KEY

    app.config.update(changes)
    settings = build_settings(app.config)
    app.extensions[SETTINGS_KEY] = settings
    app.extensions["transitreq.sessionmaker"].configure(info={SETTINGS_KEY: settings})


@pytest.fixture
def inbox():
    """A real SMTP server on a free port, keeping every message it accepts."""
    from tests.smtp_server import Inbox, free_port

    inbox = Inbox(free_port())
    inbox.start()
    yield inbox
    inbox.stop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def app_session(app):
    """A session on the app's own engine, for arranging and checking data around requests."""
    session = app.extensions["transitreq.sessionmaker"]()
    yield session
    session.close()


_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def csrf_token_from(html: str) -> str:
    match = _CSRF_META.search(html)
    assert match, "page carries no CSRF token"
    return match.group(1)
