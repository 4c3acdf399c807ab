"""The residents' pages: map and form, confirmation, tracking page, and their error handling."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token_from
from tests.factories import RAILWAY_SQUARE, add_service_area, file_request, row_counts
from transitreq.importers.demo_city import seed_demo_city
from transitreq.models import StopRequest
from transitreq.services.status_rules import is_supportable

FORM = {
    "title": "Stop at the health centre",
    "description": "Patients walk from the tram along a busy road.",
    "served_groups": ["health", "elderly"],
    "landmark": "Health centre",
    "reporter_name": "Helka Hidden",
    "reporter_contact": "helka.hidden@example.org",
    "notify_progress": "on",
}


def _form_with_token(client, **changes):
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    return FORM | {"csrf_token": token} | changes


def test_home_page_shows_demo_city_on_a_map(client, app_session):
    seed_demo_city(app_session)
    html = client.get("/").get_data(as_text=True)
    assert "Demo data." in html
    assert 'id="map_city"' in html
    assert "L.markerClusterGroup" in html
    assert "Line 7 Northgate Line" in html
    # Requests residents can still back are drawn, each in its status colour; closed ones not.
    requests = app_session.scalars(select(StopRequest)).all()
    shown = {request.reference for request in requests if is_supportable(request.status)}
    hidden = {request.reference for request in requests} - shown
    assert set(re.findall(r"SR-\d{4}-\d{6}", html)) == shown
    assert hidden, "the demo city has closed requests to leave off the map"
    for request in requests:
        if request.reference in shown:
            assert f'"fillColor": "{request.status.colour}"' in html


def test_resident_files_with_the_form_and_follows_the_request(client, app_session):
    add_service_area(app_session)
    form = _form_with_token(client, lat=str(RAILWAY_SQUARE.y), lon=str(RAILWAY_SQUARE.x))

    sent = client.post("/requests", data=form)

    assert sent.status_code == 303
    confirmation = client.get(sent.headers["Location"]).get_data(as_text=True)
    reference = re.search(r'id="reference">(SR-\d{4}-\d{6})<', confirmation).group(1)
    tracking_url = f"http://transitreq.test/requests/{reference}"
    assert f'href="{tracking_url}"' in confirmation
    tracking = client.get(f"/requests/{reference}").get_data(as_text=True)
    assert "Stop at the health centre" in tracking
    assert "Submitted" in tracking
    assert f"{RAILWAY_SQUARE.y:.6f}, {RAILWAY_SQUARE.x:.6f}" in tracking
    assert 'id="map_request"' in tracking
    for private in ("Helka Hidden", "helka.hidden@example.org"):
        assert private not in confirmation
        assert private not in tracking


def test_typed_coordinates_work_without_javascript(client, app_session):
    add_service_area(app_session)
    typed = f"{RAILWAY_SQUARE.y}, {RAILWAY_SQUARE.x}"
    sent = client.post("/requests", data=_form_with_token(client, coordinates=typed))
    assert sent.status_code == 303
    assert row_counts(app_session)["stop_requests"] == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "A short title is required."),
        ({"coordinates": "24.9432, 60.1710"}, "look swapped"),
        ({"coordinates": "61.5, 23.8"}, "outside the service area"),
        ({"coordinates": "somewhere"}, "decimal latitude and longitude"),
        ({"lat": "nan", "lon": "24.94"}, "finite"),
        ({"description": "d" * 2001}, "keep it to 2000"),
    ],
)
def test_form_errors_come_back_on_the_form_and_nothing_is_saved(
    client, app_session, changes, message
):
    add_service_area(app_session)
    form = _form_with_token(client, coordinates=f"{RAILWAY_SQUARE.y}, {RAILWAY_SQUARE.x}")
    response = client.post("/requests", data=form | changes)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert 'id="form-errors"' in html
    # What the resident typed is kept.
    assert 'value="Health centre"' in html
    assert row_counts(app_session)["stop_requests"] == 0


def test_form_without_csrf_token_is_refused(client, app_session):
    add_service_area(app_session)
    response = client.post("/requests", data=FORM | {"coordinates": "60.171, 24.9432"})
    assert response.status_code == 400
    assert "reload the page" in response.get_data(as_text=True)
    assert row_counts(app_session)["stop_requests"] == 0


def test_resident_supports_from_tracking_page_once(client, app_session):
    add_service_area(app_session)
    filed = file_request(app_session)
    page = client.get(f"/requests/{filed.reference}").get_data(as_text=True)
    form = {"csrf_token": csrf_token_from(page), "contact": "ville@example.org"}

    first = client.post(f"/requests/{filed.reference}/support", data=form, follow_redirects=True)
    again = client.post(f"/requests/{filed.reference}/support", data=form)

    assert "your support is counted" in first.get_data(as_text=True)
    assert re.search(r'id="supporter-count">1<', first.get_data(as_text=True))
    assert again.status_code == 409
    assert "already supports" in again.get_data(as_text=True)
    assert row_counts(app_session)["supports"] == 1


def test_unknown_reference_page_is_a_friendly_404(client):
    response = client.get("/requests/SR-2026-000404")
    assert response.status_code == 404
    assert "No stop request has the reference" in response.get_data(as_text=True)


def test_oversized_form_gets_a_clear_page(client, app, app_session):
    add_service_area(app_session)
    form = _form_with_token(client, description="x" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    response = client.post("/requests", data=form)
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert row_counts(app_session)["stop_requests"] == 0


_EXTERNAL_ASSET = re.compile(
    r"<(?:script[^>]+src|link[^>]+href)\s*=\s*[\"'](?:https?:)?//", re.IGNORECASE
)
_ANY_ABSOLUTE_URL_IN_CODE = re.compile(
    r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/[^\"'\s]*\.(?:js|css)"
)


def test_no_page_loads_scripts_or_styles_from_elsewhere(client, app, app_session):
    """Residents on intranets that block CDNs must get working pages."""
    seed_demo_city(app_session)
    app.config["TILE_URL"] = "https://tiles.example.net/{z}/{x}/{y}.png"
    reference = re.search(r"SR-\d{4}-\d{6}", client.get("/").get_data(as_text=True)).group(0)
    pages = {
        "/": client.get("/"),
        "tracking": client.get(f"/requests/{reference}"),
        "confirmation": client.get(f"/requests/{reference}/submitted"),
        "not found": client.get("/nowhere"),
    }
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert ("leaflet.js" in html) == (name in ("/", "tracking")), name
        assert not _EXTERNAL_ASSET.findall(html), name
        assert not _ANY_ABSOLUTE_URL_IN_CODE.findall(html), name
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
            assert client.get(asset).status_code == 200, asset


HOSTILE_TITLE = "Bus `${window.pwned=1}` </script><img src=x onerror=alert(1)>"


def test_hostile_titles_stay_text_on_the_map(client, app_session):
    add_service_area(app_session)
    file_request(app_session, title=HOSTILE_TITLE, landmark="Stop </script> `${x}`")
    html = client.get("/").get_data(as_text=True)
    reference = re.search(r"SR-\d{4}-\d{6}", html).group(0)
    tracking = client.get(f"/requests/{reference}").get_data(as_text=True)
    for page in (html, tracking):
        assert "</script><img" not in page
        assert "<img src=x" not in page
    # Every copy of the title in the map script sits inside a JSON string literal.
    in_script = html.count("${window.pwned=1}")
    in_json_strings = len(re.findall(r'bind(?:Tooltip|Popup)\("[^"]*\$\{window\.pwned=1\}', html))
    assert in_script == in_json_strings == 2
    assert "&lt;/script&gt;" in tracking


def test_the_home_map_shows_new_stops_planned_and_in_service_not_cancelled(client, app_session):
    """A stop opened from residents' requests is not in the operator's feed yet; the map shows
    it anyway, and the ones still on their way, saying where each stands."""
    from tests.factories import add_route, add_user, approve_request, take_to_stage
    from transitreq.models import utc_now
    from transitreq.services import projects

    add_service_area(app_session)
    add_route(app_session, "7")
    planner = add_user(app_session, "planner")
    opened = take_to_stage(
        app_session,
        approve_request(app_session, planner, title="Library stop"),
        planner,
        "in_service",
    )
    planned = take_to_stage(
        app_session,
        approve_request(app_session, planner, title="Clinic stop"),
        planner,
        "coordination",
    )
    dropped = approve_request(app_session, planner, title="Bridge stop")
    projects.cancel(app_session, dropped.id, dropped.version, planner, "Bridge rebuilt.")

    html = client.get("/").get_data(as_text=True)

    today = utc_now().date()
    assert "New stops (planned and in service)" in html
    assert f"New stop Library stop: In service from {today:%d %b %Y}, served by route 7." in html
    assert "New stop Clinic stop: planned: coordination with departments" in html
    assert "New stop Bridge stop" not in html  # its request is back in review, as a request
    assert html.count("new-stop-marker") == 2
    assert opened.id != planned.id
