"""A real headless Chromium (Debian's, driven by Playwright) against the app on a real port.

A script run for its effect has a block body and returns nothing (``"() => { map.setZoom(11); }"``):
Playwright copies back whatever a script returns, and Leaflet's setters return the map, whose
object graph took eight seconds to copy per call.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# axe-core, pinned in package.json (a devDependency, never served): the accessibility checker.
AXE_SCRIPT = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
# Phones the residents use (CSS pixels), a small one and a common one, and a laptop screen.
SMALL_PHONE = {"width": 360, "height": 740}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


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
def embedded_app(tmp_path, content: str = "migrated") -> Iterator:
    """The app on a fresh embedded (SpatiaLite) database with no tile server, as browsers see
    it when nothing outside this machine is reachable; ``content`` as in tests/templates.py."""
    from tests.templates import TEMPLATES
    from transitreq import create_app

    url = TEMPLATES.copy("spatialite", content, tmp_path)
    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "browser-tests", "TILE_URL": ""},
        instance_path=str(tmp_path / "instance"),
    )
    try:
        yield app
    finally:
        app.extensions["transitreq.engine"].dispose()


@contextmanager
def demo_city(tmp_path) -> Iterator[tuple]:
    """The embedded app with the demo city loaded (so its pages show the demo banner), served:
    yields the app and its URL."""
    with embedded_app(tmp_path, "demo") as app, serving(app) as base_url:
        yield app, base_url


def wait_for_map(page, map_id: str = "map_city") -> None:
    """Until the map has drawn every layer asked for its view (map_core.js keeps ``aria-busy``
    true from a move until then): a click sooner may land on a shape about to be redrawn."""
    page.wait_for_function(
        "(id) => document.getElementById(id).getAttribute('aria-busy') === 'false'", arg=map_id
    )


def axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """What axe-core finds on the page as it is now, of the given impacts: one line per rule with
    its id, impact, help and the elements it names, ready for an assertion message.

    The script goes in through the DevTools protocol rather than a script element, which our
    Content-Security-Policy (no inline scripts) would rightly refuse.
    """
    assert AXE_SCRIPT.is_file(), f"{AXE_SCRIPT} is missing: run scripts/vendor-assets (npm ci)"
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    results = page.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
    return [
        f"{rule['id']} ({rule['impact']}): {rule['help']} at "
        + "; ".join(" ".join(map(str, node["target"])) for node in rule["nodes"])
        for rule in results["violations"]
        if rule["impact"] in impacts
    ]


def log_in(page, email: str, base_url: str | None = None, start: str = "/login") -> None:
    """Sign in through the login form as a staff member made with ``factories.STAFF_PASSWORD``,
    starting from ``start`` (a staff page sends the browser to the form and back)."""
    from tests.factories import STAFF_PASSWORD

    page.goto((base_url or page.base_url) + start)
    page.fill("#email", email)
    page.fill("#password", STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def open_planner_map(
    page, session, ready: str = "() => window.transitreqLayers !== undefined"
) -> None:
    """A new planner signed in on the planners' map, once its script says it is ``ready``."""
    from tests.factories import add_user

    log_in(page, add_user(session, "planner").email, start="/planning/")
    page.wait_for_url("**/planning/")
    page.wait_for_function(ready)


# The staff pages are built for a laptop and a large screen: their browser tests run at both.
STAFF_SCREENS = {
    "1280x800": {"width": 1280, "height": 800},
    "1920x1080": {"width": 1920, "height": 1080},
}
