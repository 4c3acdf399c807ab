"""The planner's map as a daily tool on a laptop (1280×800) and a large screen (1920×1080), on
the demo city (issue 18): the queue's buttons readable, no layer call refused at load and every
layer's emptiness or failure said on the map, a legend for each data layer, the request summary
opening beside the map in view and stepped through from the keyboard, and the staff pages
fitting the window with one scrollbar at most.

Before: "Show on map" was white on white (a later ``.link-button`` rule for the header), the
coverage gap was asked for the whole city at every load and answered 422 twice with nothing on
the map, the summary opened below the queue off screen, and at 1366 px the staff menu wrapped
and the planning page grew taller than the window.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from tests.browser import STAFF_SCREENS, demo_city
from tests.factories import STAFF_PASSWORD, add_user
from transitreq.models import ProjectStage, RequestStatus, StopProject, StopRequest

pytestmark = pytest.mark.browser

SCREENS = STAFF_SCREENS
AA_NORMAL_TEXT = 4.5


@dataclass
class City:
    base_url: str
    planner_email: str
    admin_email: str
    department_email: str
    under_review: str
    project_id: int

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Iterator[City]:
    with demo_city(tmp_path_factory.mktemp("planner-layout")) as (app, base_url):
        session = app.extensions["transitreq.sessionmaker"]()
        under_review = next(
            stop_request.reference
            for stop_request in session.scalars(select(StopRequest).order_by(StopRequest.id))
            if stop_request.status is RequestStatus.UNDER_REVIEW
        )
        project = session.scalars(
            select(StopProject).where(StopProject.status == ProjectStage.COORDINATION)
        ).one()
        planner, admin = add_user(session, "planner"), add_user(session, "admin")
        department = add_user(session, "department")
        facts = (planner.email, admin.email, department.email, under_review, project.id)
        session.close()
        yield City(base_url, *facts)


@pytest.fixture(params=list(SCREENS.values()), ids=list(SCREENS))
def screen(request) -> dict[str, int]:
    return request.param


def _logged_in(browser: Browser, city: City, screen: dict[str, int], email: str):
    context = browser.new_context(viewport=screen)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(city.url("/login"))
    page.fill("#email", email)
    page.fill("#password", STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return context, page, errors


@pytest.fixture
def planner(browser, city, screen) -> Iterator[Page]:
    context, page, errors = _logged_in(browser, city, screen, city.planner_email)
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def _open_map(page: Page, city: City) -> list[tuple[int, str]]:
    """The planning map, loaded; every API call it made, with its status."""
    calls: list[tuple[int, str]] = []
    page.on("response", lambda response: calls.append((response.status, response.url)))
    page.goto(city.url("/planning/"), wait_until="networkidle")
    expect(page.locator("#queue-table tbody tr").first).to_be_visible()
    page.wait_for_timeout(400)  # the debounced reload after the map's first move
    page.wait_for_load_state("networkidle")
    return [(status, url) for status, url in calls if "/api/" in url]


# The colour of an element's text and of the first background behind it that is painted.
COLOURS = """(node) => {
  let behind = node;
  while (behind && getComputedStyle(behind).backgroundColor.match(/rgba\\(.*, 0\\)$|transparent/)) {
    behind = behind.parentElement;
  }
  const paper = behind ? getComputedStyle(behind).backgroundColor : "rgb(255, 255, 255)";
  return [getComputedStyle(node).color, paper];
}"""


def _luminance(css: str) -> float:
    red, green, blue = (int(value) / 255 for value in re.findall(r"\d+", css)[:3])
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(page: Page, selector: str) -> float:
    text, background = page.locator(selector).first.evaluate(COLOURS)
    lighter, darker = sorted((_luminance(text), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_queues_and_the_headers_buttons_read_against_their_background(planner, city):
    _open_map(planner, city)

    show = planner.locator("#queue-table .show-on-map").first
    expect(show).to_be_visible()
    assert _contrast(planner, "#queue-table .show-on-map") >= AA_NORMAL_TEXT
    for header_button in (".staff-nav .header-button", ".language-switch .header-button"):
        assert _contrast(planner, header_button) >= AA_NORMAL_TEXT, header_button


def test_no_layer_call_is_refused_at_load_and_each_layer_says_why_it_is_empty(planner, city):
    calls = _open_map(planner, city)

    refused = [(status, url) for status, url in calls if status >= 400]
    assert refused == []
    assert any("/api/planner/requests" in url for _, url in calls)
    # The coverage gap is on and answers for the whole starting view (from the stored
    # coverage, in grid cells when the view is large): drawn at once, with the view's total.
    planner.wait_for_function("() => window.transitreqLayers.gap.getLayers().length > 0")
    notices = planner.locator("#layer-status .layer-notice")
    expect(notices.filter(has_text="Coverage gap")).to_have_count(0)
    legend = planner.locator('#map-legend .layer-legend[data-layer="gap"]')
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("People beyond 400 m of every stop")
    expect(legend).to_contain_text(re.compile(r"[\d,]+ (people|person) in the gap in this view"))

    # Zoomed in on a request, the gap is still drawn, with its own total.
    planner.locator("#queue-table .show-on-map").first.click()
    planner.wait_for_function("() => window.transitreqLayers.gap.getLayers().length > 0")
    expect(notices.filter(has_text="Coverage gap")).to_have_count(0)
    expect(legend).to_contain_text(re.compile(r"[\d,]+ (people|person) in the gap in this view"))
    # Drawn hatched (the layer redraws for the new view, so wait for the drawing to settle).
    planner.wait_for_function(
        "() => [...document.querySelectorAll('path.coverage-gap')]"
        ".some((path) => getComputedStyle(path).fill.includes('gap-hatch'))"
    )


def test_population_density_has_a_legend_of_its_classes_apart_from_the_gap(planner, city):
    _open_map(planner, city)
    planner.locator("#queue-table .show-on-map").first.click()
    planner.wait_for_function("() => window.transitreqLayers.gap.getLayers().length > 0")

    density = planner.locator('#map-legend .layer-legend[data-layer="population"]')
    expect(density).to_be_hidden()
    planner.evaluate("() => { window.transitreqMap.addLayer(window.transitreqLayers.population); }")
    planner.wait_for_function("() => window.transitreqLayers.population.getLayers().length > 0")
    expect(density).to_be_visible()
    expect(density).to_contain_text("People per km²")
    items = density.locator(".legend-item")
    expect(items).to_have_count(7)
    expect(items.first).to_have_text("under 100")
    expect(items.nth(3)).to_have_text("1,000–2,500")
    expect(items.last).to_have_text("10,000 or more")
    # Density's fills are the legend's blues and purples, never the gap's orange (nor red).
    fills = set(
        planner.evaluate(
            """() => [...document.querySelectorAll('path.population-density')]
                 .map((path) => path.getAttribute('fill'))"""
        )
    )
    swatches = set(
        density.locator(".legend-swatch").evaluate_all(
            "(nodes) => nodes.map((node) => node.style.background)"
        )
    )
    assert fills and len(swatches) == 7
    for fill in fills:
        red, green, blue = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
        assert blue >= red and blue >= green, fill


def test_large_view_of_density_is_a_notice_not_a_refused_call(planner, city):
    calls = _open_map(planner, city)
    planner.evaluate("() => { window.transitreqMap.setZoom(11, {animate: false}); }")
    planner.evaluate("() => { window.transitreqMap.addLayer(window.transitreqLayers.population); }")
    notice = planner.locator('#layer-status .layer-notice[data-layer="population"]')
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Population density: zoom in to see it")
    planner.wait_for_load_state("networkidle")
    assert [status for status, _ in calls if status >= 400] == []


@pytest.mark.parametrize("screen_name", list(SCREENS))
def test_a_layer_that_errs_says_so_on_the_map(browser, tmp_path, screen_name):
    """The coverage gap on foot where no street network lies: the endpoint's own refusal,
    shown on the map in the reader's language, instead of an empty layer."""
    from transitreq.importers.demo_streets import remove_demo_streets

    with demo_city(tmp_path) as (app, base_url):
        session = app.extensions["transitreq.sessionmaker"]()
        remove_demo_streets(session)
        session.commit()
        email = add_user(session, "planner").email
        session.close()
        city = City(base_url, email, "", "", "", 0)
        context, page, errors = _logged_in(browser, city, SCREENS[screen_name], email)
        _open_map(page, city)
        page.locator("#queue-table .show-on-map").first.click()
        page.evaluate("() => { window.transitreqMap.addLayer(window.transitreqLayers.gapWalk); }")

        notice = page.locator('#layer-status .layer-notice[data-layer="gapWalk"]')
        expect(notice).to_be_visible()
        expect(notice).to_contain_text("No street network covers this area")
        expect(notice).to_have_class(re.compile("is-error"))
        page.wait_for_load_state("networkidle")
        left, right, map_left, map_right = page.evaluate(
            """() => {
                const note = document.querySelector('#layer-status [data-layer="gapWalk"]');
                const frame = document.querySelector('.map-frame');
                const a = note.getBoundingClientRect(), b = frame.getBoundingClientRect();
                return [a.left, a.right, b.left, b.right];
            }"""
        )
        assert map_left <= left < right <= map_right

        # Panning reloads the layer and meets the same refusal: the notice stays the same node,
        # so the live region does not announce the error again.
        page.evaluate(
            """() => { document.querySelector('#layer-status [data-layer="gapWalk"]')
                           .dataset.seen = 'yes'; }"""
        )
        with page.expect_response(lambda r: "measure=walk" in r.url and r.status == 422):
            page.evaluate("() => { window.transitreqMap.panBy([40, 0], {animate: false}); }")
        page.wait_for_load_state("networkidle")
        expect(notice).to_have_attribute("data-seen", "yes")
        expect(page.locator("#layer-status .layer-notice")).to_have_count(1)
        context.close()
        assert errors == []


def _in_viewport(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"] + 0.5
        and box["y"] + box["height"] <= size["height"] + 0.5
    )


def test_summary_opens_beside_the_map_and_the_keyboard_steps_through_the_queue(planner, city):
    _open_map(planner, city)
    rows = planner.locator("#queue-table tbody tr")
    panel = planner.locator("#request-summary")
    expect(panel).to_be_hidden()
    titles = [row.locator("a").first.inner_text() for row in rows.all()]

    rows.nth(1).locator("td").nth(2).click()

    expect(panel).to_be_visible()
    expect(planner.locator("#summary-figures")).to_be_visible()
    assert _in_viewport(planner, "#request-summary")
    panel_box = panel.bounding_box()
    map_box = planner.locator(".map-frame").bounding_box()
    queue_box = planner.locator("#queue-pane").bounding_box()
    assert map_box["x"] + map_box["width"] <= panel_box["x"] + 0.5
    assert panel_box["x"] + panel_box["width"] <= queue_box["x"] + 0.5
    assert map_box["width"] >= 300
    expect(planner.locator("#summary-title")).to_have_text(titles[1])
    expect(planner.locator("#summary-title")).to_be_focused()
    expect(rows.nth(1)).to_have_attribute("aria-current", "true")
    announcement = planner.locator("#queue-announcement")
    expect(announcement).to_have_attribute("aria-live", "polite")
    expect(announcement).to_have_text(f"Request 2 of {len(titles)}: {titles[1]}")

    planner.keyboard.press("j")
    expect(planner.locator("#summary-title")).to_have_text(titles[2])
    expect(rows.nth(2)).to_have_attribute("aria-current", "true")
    expect(rows.nth(1)).not_to_have_attribute("aria-current", "true")
    expect(announcement).to_have_text(f"Request 3 of {len(titles)}: {titles[2]}")
    planner.keyboard.press("k")
    planner.keyboard.press("p")
    expect(planner.locator("#summary-title")).to_have_text(titles[0])
    planner.keyboard.press("k")
    expect(announcement).to_have_text("This is the first request on this page.")
    expect(planner.locator("#summary-title")).to_have_text(titles[0])
    planner.keyboard.press("n")
    expect(planner.locator("#summary-title")).to_have_text(titles[1])
    assert _in_viewport(planner, "#request-summary")

    # Typing in a field is typing, not stepping.
    planner.fill("#q", "")
    planner.locator("#q").press("j")
    planner.locator("#q").press("k")
    expect(planner.locator("#q")).to_have_value("jk")
    expect(planner.locator("#summary-title")).to_have_text(titles[1])
    # Back as it was, so leaving the field changes no filter.
    planner.fill("#q", "")
    expect(rows.nth(1)).to_have_attribute("aria-current", "true")

    # Escape closes the panel and gives focus back to the row's button; O opens the review page.
    planner.locator("#summary-title").focus()
    planner.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(rows.nth(1).locator(".show-on-map")).to_be_focused()
    expect(announcement).to_have_text("Summary closed.")
    planner.keyboard.press("j")
    expect(panel).to_be_visible()
    reference = rows.nth(2).get_attribute("data-reference")
    planner.keyboard.press("o")
    planner.wait_for_url(f"**/planning/requests/{reference}")
    expect(planner.locator("#request-title")).to_have_text(titles[2])


def test_shortcuts_are_documented_on_the_page(planner, city):
    _open_map(planner, city)
    help_text = planner.locator("#queue-shortcuts")
    expect(help_text).to_be_visible()
    for key in ("J", "N", "K", "P", "O", "Esc"):
        expect(help_text).to_contain_text(re.compile(rf"\b{key}\b"))


def test_a_marker_opens_the_same_panel(planner, city):
    _open_map(planner, city)
    planner.locator("#queue-table .show-on-map").first.click()
    expect(planner.locator("#request-summary")).to_be_visible()
    planner.keyboard.press("Escape")
    expect(planner.locator("#request-summary")).to_be_hidden()
    reference = planner.locator("#queue-table tbody tr").first.get_attribute("data-reference")
    planner.wait_for_timeout(700)
    planner.evaluate(
        """(reference) => {
             const layers = window.transitreqLayers.requests.getLayers();
             const marker = layers.find(
               (m) => m.getTooltip().getContent().textContent.startsWith(reference));
             marker.fire('click');
           }""",
        reference,
    )
    expect(planner.locator("#request-summary")).to_be_visible()
    expect(planner.locator("#summary-figures")).to_contain_text(reference)
    assert _in_viewport(planner, "#request-summary")


# Every staff page: no page-wide horizontal scrollbar, and the menu on one line.
STAFF_PAGES = [
    "/planning/",
    "/planning/evaluate?lat=45.0&lon=10.0",
    "/planning/requests/{under_review}",
    "/planning/projects/",
    "/planning/projects/{project_id}",
    "/planning/dashboard/",
    "/planning/exports/",
    "/planning/data/",
    "/planning/feedback/",
    "/admin/staff",
    "/admin/mail",
    "/admin/templates",
    "/planning/requests/bulk",
    "/account/password",
    "/api/docs",
]

SIZES = """() => {
  const page = document.scrollingElement;
  const nav = document.querySelector('.site-header');
  const items = nav.querySelectorAll(
    '.brand, .staff-nav > a, .staff-account > *, .language-switch button');
  const tops = new Set([...items].map((node) => {
    const box = node.getBoundingClientRect();
    return Math.round(box.top + box.height / 2);
  }));
  const inner = [...document.querySelectorAll('main *')].filter((node) => {
    const style = getComputedStyle(node);
    return ['auto', 'scroll'].includes(style.overflowX) && node.scrollWidth > node.clientWidth + 1
      && !node.closest('.leaflet-container');
  }).map((node) => node.id || node.className);
  return {scrollWidth: page.scrollWidth, clientWidth: page.clientWidth,
          scrollHeight: page.scrollHeight, clientHeight: page.clientHeight,
          headerLines: Math.max(...tops) - Math.min(...tops) < 16 ? 1 : 2, sideways: inner};
}"""


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_pages_fit_the_window(browser, city, screen, path):
    context, page, errors = _logged_in(browser, city, screen, city.admin_email)
    page.goto(
        city.url(path.format(under_review=city.under_review, project_id=city.project_id)),
        wait_until="networkidle",
    )
    sizes = page.evaluate(SIZES)
    assert sizes["scrollWidth"] <= sizes["clientWidth"], sizes
    assert sizes["sideways"] == [], sizes
    assert sizes["headerLines"] == 1, sizes
    context.close()
    assert errors == []


def test_the_planning_map_fills_the_window_below_the_header(planner, city, screen):
    _open_map(planner, city)
    for opened in (False, True):
        if opened:
            planner.locator("#queue-table tbody tr").first.locator("td").nth(2).click()
            expect(planner.locator("#summary-figures")).to_be_visible()
        sizes = planner.evaluate(SIZES)
        assert sizes["scrollHeight"] <= sizes["clientHeight"], sizes
        assert sizes["scrollWidth"] <= sizes["clientWidth"], sizes
        map_box = planner.locator("#map_planner").bounding_box()
        header = planner.locator(".site-header").bounding_box()
        assert abs(map_box["y"] - (header["y"] + header["height"])) <= 1
        assert abs(map_box["y"] + map_box["height"] - screen["height"]) <= 1
        queue = planner.locator("#queue-pane").bounding_box()
        assert abs(queue["x"] + queue["width"] - screen["width"]) <= 1
