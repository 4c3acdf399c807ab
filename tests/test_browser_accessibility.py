"""Every page residents and staff use, checked by axe-core in a real browser: not one serious or
critical finding (contrast, names of fields, buttons and links, landmarks, document language).

Pages are checked as they are shown, after their maps and lists have loaded, with the demo city
loaded once for the module: requests in every status, stop projects at every stage, feedback
published and waiting. The residents' pages are checked on a phone too, and the home page after
a pin is placed with the quick support form open, and after a failed submit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from geoalchemy2.shape import to_shape
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from tests.browser import DESKTOP, PHONE, axe_violations, demo_city
from tests.factories import STAFF_PASSWORD, add_user
from transitreq.models import ProjectStage, RequestStatus, StopProject, StopRequest
from transitreq.services.mail.notifications import unsubscribe_token
from transitreq.services.requests.feedback import leave_feedback

pytestmark = pytest.mark.browser

# Each page by name, its address filled in from the city's facts (see ``city``).
PUBLIC_PAGES = {
    "home": "/",
    "submitted": "/requests/{submitted}/submitted",
    "tracking, submitted": "/requests/{submitted}",
    "tracking, needs information": "/requests/{needs_info}",
    "tracking, not approved": "/requests/{rejected}",
    "tracking, in service": "/requests/{completed}",
    "unsubscribe": "/notifications/unsubscribe/{unsubscribe_token}",
    "login": "/login",
}
PLANNER_PAGES = {
    "planner map": "/planning/",
    "evaluate": "/planning/evaluate?lat={lat}&lon={lon}",
    "review": "/planning/requests/{under_review}",
    "projects": "/planning/projects/",
    "project in coordination": "/planning/projects/{coordination_project}",
    "project in service": "/planning/projects/{in_service_project}",
    "dashboard": "/planning/dashboard/",
    "exports": "/planning/exports/",
    "data": "/planning/data/",
    "feedback moderation": "/planning/feedback/",
    "staff admin": "/admin/staff",
    "mail admin": "/admin/mail",
    "response templates admin": "/admin/templates",
    "several requests at once": "/planning/requests/bulk",
    "account password": "/account/password",
    "api docs": "/api/docs",
}
DEPARTMENT_PAGES = {"department sign-offs": "/departments/"}
# A large screen beside the laptop's (tests.browser.DESKTOP): staff pages are checked on both.
WIDE = {"width": 1920, "height": 1080}


@dataclass
class City:
    base_url: str
    facts: dict[str, str]
    admin_email: str
    department_email: str
    errors: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url + path.format(**self.facts)


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Iterator[City]:
    with demo_city(tmp_path_factory.mktemp("accessibility")) as (app, base_url):
        session = app.extensions["transitreq.sessionmaker"]()
        requests = session.scalars(select(StopRequest).order_by(StopRequest.id)).all()
        by_status = {}
        for stop_request in requests:
            by_status.setdefault(stop_request.status.value, stop_request)
        projects = {project.status: project for project in session.scalars(select(StopProject))}
        completed = by_status[RequestStatus.COMPLETED.value]
        # A resident's message waiting for a planner: the moderation page shows its buttons.
        leave_feedback(session, completed.reference, "The shelter has no bench yet.", "Ilse")
        point = to_shape(by_status[RequestStatus.UNDER_REVIEW.value].location)
        facts = {status: item.reference for status, item in by_status.items()} | {
            "coordination_project": str(projects[ProjectStage.COORDINATION].id),
            "in_service_project": str(projects[ProjectStage.IN_SERVICE].id),
            "lat": f"{point.y:.6f}",
            "lon": f"{point.x:.6f}",
            "unsubscribe_token": unsubscribe_token(app.config["SECRET_KEY"], "ilse@example.org"),
        }
        admin = add_user(session, "admin")
        department = add_user(session, "department")
        session.close()
        yield City(base_url, facts, admin.email, department.email)


def _page(browser: Browser, city: City, viewport: dict[str, int], email: str | None = None):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.on("pageerror", lambda error: city.errors.append(f"{page.url}: {error}"))
    if email:
        page.goto(city.url("/login"))
        page.fill("#email", email)
        page.fill("#password", STAFF_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return context, page


@pytest.fixture(scope="module")
def resident(browser, city) -> Iterator[Page]:
    context, page = _page(browser, city, DESKTOP)
    yield page
    context.close()


@pytest.fixture(scope="module")
def resident_on_phone(browser, city) -> Iterator[Page]:
    context, page = _page(browser, city, PHONE)
    yield page
    context.close()


@pytest.fixture(scope="module")
def admin(browser, city) -> Iterator[Page]:
    context, page = _page(browser, city, DESKTOP, city.admin_email)
    yield page
    context.close()


@pytest.fixture(scope="module")
def department(browser, city) -> Iterator[Page]:
    context, page = _page(browser, city, DESKTOP, city.department_email)
    yield page
    context.close()


@pytest.fixture(scope="module")
def admin_on_wide_screen(browser, city) -> Iterator[Page]:
    context, page = _page(browser, city, WIDE, city.admin_email)
    yield page
    context.close()


@pytest.fixture(scope="module")
def department_on_wide_screen(browser, city) -> Iterator[Page]:
    context, page = _page(browser, city, WIDE, city.department_email)
    yield page
    context.close()


def _assert_accessible(page: Page, city: City) -> None:
    found = axe_violations(page)
    errors, city.errors[:] = list(city.errors), []
    assert found == [], "\n".join(found)
    assert errors == [], f"JavaScript errors: {errors}"


def _check(page: Page, city: City, path: str) -> None:
    page.goto(city.url(path), wait_until="networkidle")
    if path == "/api/docs":
        # Swagger UI renders the whole document first: seconds on a busy machine.
        expect(page.locator(".opblock").first).to_be_visible(timeout=20_000)
    _assert_accessible(page, city)


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_residents_pages_pass_axe(resident, city, name):
    _check(resident, city, PUBLIC_PAGES[name])


@pytest.mark.parametrize("name", ["home", "tracking, in service"])
def test_residents_pages_pass_axe_on_a_phone(resident_on_phone, city, name):
    _check(resident_on_phone, city, PUBLIC_PAGES[name])


@pytest.mark.parametrize("name", PLANNER_PAGES)
def test_planners_and_admins_pages_pass_axe(admin, city, name):
    _check(admin, city, PLANNER_PAGES[name])


@pytest.mark.parametrize("name", DEPARTMENT_PAGES)
def test_departments_pages_pass_axe(department, city, name):
    _check(department, city, DEPARTMENT_PAGES[name])


@pytest.mark.parametrize("name", PLANNER_PAGES)
def test_planners_and_admins_pages_pass_axe_on_a_wide_screen(admin_on_wide_screen, city, name):
    _check(admin_on_wide_screen, city, PLANNER_PAGES[name])


@pytest.mark.parametrize("name", DEPARTMENT_PAGES)
def test_departments_pages_pass_axe_on_a_wide_screen(department_on_wide_screen, city, name):
    _check(department_on_wide_screen, city, DEPARTMENT_PAGES[name])


@pytest.mark.parametrize("screen", ["laptop", "wide"])
def test_planner_map_passes_axe_with_the_summary_open_and_every_layer_on(
    admin, admin_on_wide_screen, city, screen
):
    """The map as a planner works with it: a request's summary beside the map, the density and
    gap layers with their legends, and a notice on the map."""
    page = admin if screen == "laptop" else admin_on_wide_screen
    page.goto(city.url("/planning/"), wait_until="networkidle")
    page.evaluate("() => { window.transitreqMap.addLayer(window.transitreqLayers.population); }")
    expect(page.locator('#layer-status .layer-notice[data-layer="population"]')).to_be_visible()
    _assert_accessible(page, city)
    page.locator("#queue-table .show-on-map").first.click()
    expect(page.locator("#summary-figures")).to_be_visible()
    page.wait_for_function("() => window.transitreqLayers.population.getLayers().length > 0")
    expect(page.locator('.layer-legend[data-layer="population"]')).to_be_visible()
    _assert_accessible(page, city)


def test_home_page_passes_axe_with_a_pin_nearby_requests_and_the_support_form(resident, city):
    resident.goto(city.url("/"), wait_until="networkidle")
    # Typed beside a request that can still be supported: its entry offers the support form.
    resident.fill("#coordinates", f"{city.facts['lat']}, {city.facts['lon']}")
    resident.press("#coordinates", "Enter")
    resident.get_by_role("button", name="Support this instead").first.click()
    expect(resident.locator(".quick-support")).to_be_visible()
    _assert_accessible(resident, city)


def test_home_page_passes_axe_with_the_form_sent_back(resident, city):
    resident.goto(city.url("/"), wait_until="networkidle")
    resident.click("#submit-request")
    expect(resident.locator("#form-errors")).to_be_visible()
    _assert_accessible(resident, city)
