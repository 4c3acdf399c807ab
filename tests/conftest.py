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
from transitreq import create_app, migrate
from transitreq.db import make_engine, make_sessionmaker

BACKENDS = ("spatialite", "postgis")


@pytest.fixture(scope="session")
def migrated_urls(tmp_path_factory):
    """One migrated database per backend for the whole session, created on first use."""
    urls: dict[str, str] = {}
    created_postgis: list[str] = []

    def url_for(backend: str) -> str:
        if backend not in urls:
            if backend == "postgis":
                url = databases.create_postgis_database()
                created_postgis.append(url)
            else:
                url = databases.spatialite_database(tmp_path_factory.mktemp("spatialite"))
            engine = make_engine(url)
            migrate.upgrade(engine)
            engine.dispose()
            urls[backend] = url
        return urls[backend]

    yield url_for
    for url in created_postgis:
        databases.drop_postgis_database(url)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(backend, migrated_urls) -> str:
    url = migrated_urls(backend)
    engine = make_engine(url)
    databases.empty_all_tables(engine)
    engine.dispose()
    return url


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


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(
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
        instance_path=str(tmp_path / "instance"),
    )
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
