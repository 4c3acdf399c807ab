"""Take the README's screenshots from the demo city, as a resident and a planner see it.

    .venv/bin/python scripts/screenshots.py            # all of them, into docs/
    .venv/bin/python scripts/screenshots.py home-zh    # one

Each picture is made on a fresh embedded database with the demo city written in the picture's
language (its DEFAULT_LOCALE), in headless Chromium with no map tiles, so anyone can make the
same picture again after changing a page.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests import databases  # noqa: E402
from tests.browser import CHROMIUM_ARGS, CHROMIUM_PATH, DESKTOP, PHONE, serving  # noqa: E402
from transitreq import create_app, migrate  # noqa: E402
from transitreq.db import make_engine  # noqa: E402
from transitreq.importers.demo_city import seed_demo_city  # noqa: E402

DOCS = ROOT / "docs"
# The browser's own language for each picture, so the page is chosen the way a resident's is.
ACCEPT_LANGUAGE = {"en": "en-GB,en;q=0.9", "zh_Hans": "zh-CN,zh;q=0.9"}


@contextmanager
def demo_served(language: str) -> Iterator[str]:
    """The demo city written in ``language``, served on a free port: yields its URL."""
    with tempfile.TemporaryDirectory() as folder:
        url = databases.spatialite_database(Path(folder))
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "screenshots",
                "TILE_URL": "",
                "DEFAULT_LOCALE": language,
            },
            instance_path=str(Path(folder) / "instance"),
        )
        session = app.extensions["transitreq.sessionmaker"]()
        seed_demo_city(session, language)
        session.close()
        try:
            with serving(app) as base_url:
                yield base_url
        finally:
            app.extensions["transitreq.engine"].dispose()


def _pin_beside_a_request(page: Page) -> None:
    """Type a place some 40 m from the most supported open demo request, so the page places the
    pin there and offers to support that request instead."""
    page.wait_for_load_state("networkidle")
    layer = page.request.get("/api/layers/requests?bbox=-180,-90,180,90").json()
    open_requests = [f for f in layer["features"] if f["properties"]["status"] == "under_review"]
    busiest = max(open_requests, key=lambda feature: feature["properties"]["supporters"])
    lon, lat = busiest["geometry"]["coordinates"]
    page.fill("#coordinates", f"{lat + 0.0003:.6f}, {lon + 0.0002:.6f}")
    page.press("#coordinates", "Enter")
    page.locator("#nearby-list li").first.wait_for()
    page.wait_for_load_state("networkidle")
    # The map flies to the pin: let the zoom animation and the layers it reloads settle.
    page.wait_for_timeout(1500)
    page.wait_for_load_state("networkidle")


def _zoom_out(page: Page, steps: int) -> None:
    """Step back from the pin so the lines and stops around it show."""
    for _ in range(steps):
        page.click("#map_city .leaflet-control-zoom-out")
        page.wait_for_timeout(400)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(800)


def home_desktop_en(page: Page) -> None:
    page.goto("/")
    _pin_beside_a_request(page)
    _zoom_out(page, 3)
    page.screenshot(path=str(DOCS / "screenshot.png"))


def home_phone_zh(page: Page) -> None:
    page.goto("/")
    _pin_beside_a_request(page)
    _zoom_out(page, 2)
    # The phone's page scrolls as one: show it from the top to the offer to support.
    offer = page.locator("#nearby").bounding_box()
    scrolled = page.evaluate("window.scrollY")
    bottom = offer["y"] + scrolled + offer["height"] + 16
    page.screenshot(
        path=str(DOCS / "screenshot-zh-phone.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": page.viewport_size["width"], "height": bottom},
    )


SHOTS: dict[str, tuple[str, dict[str, int], Callable[[Page], None]]] = {
    "home-en": ("en", DESKTOP, home_desktop_en),
    "home-zh": ("zh_Hans", PHONE, home_phone_zh),
}


def take(names: list[str]) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        for name in names:
            language, viewport, shoot = SHOTS[name]
            phone = viewport["width"] < 600
            with demo_served(language) as base_url:
                context = browser.new_context(
                    base_url=base_url,
                    viewport=viewport,
                    device_scale_factor=1,
                    is_mobile=phone,
                    has_touch=phone,
                    extra_http_headers={"Accept-Language": ACCEPT_LANGUAGE[language]},
                )
                shoot(context.new_page())
                context.close()
            print(f"{name}: done")
        browser.close()


if __name__ == "__main__":
    wanted = sys.argv[1:] or list(SHOTS)
    unknown = [name for name in wanted if name not in SHOTS]
    if unknown:
        sys.exit(f"unknown screenshot {unknown}; known: {', '.join(SHOTS)}")
    take(wanted)
