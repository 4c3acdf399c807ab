"""A real headless Chromium (Debian's, driven by Playwright) against the app on a real port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@contextmanager
def serving(app) -> Iterator[str]:
    """Serve ``app`` on a free loopback port for the duration of the block; yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@contextmanager
def embedded_app(tmp_path) -> Iterator:
    """The app on a fresh embedded (SpatiaLite) database with no tile server, as browsers see
    it when nothing outside this machine is reachable."""
    from tests import databases
    from transitreq import create_app, migrate
    from transitreq.db import make_engine

    url = databases.spatialite_database(tmp_path)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "browser-tests", "TILE_URL": ""},
        instance_path=str(tmp_path / "instance"),
    )
    try:
        yield app
    finally:
        app.extensions["transitreq.engine"].dispose()
