"""The residents' pages: map and form, confirmation, tracking page, and their error handling."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token_from, reconfigure
from tests.factories import (
    ANY_ABSOLUTE_URL_IN_CODE,
    EXTERNAL_ASSET,
    RAILWAY_SQUARE,
    add_route,
    add_service_area,
    add_user,
    approve_request,
    count_queries,
    file_request,
    row_counts,
    take_to_stage,
)
from transitreq.models import RequestStatus, StopRequest, utc_now
from transitreq.services.projects import stages as projects

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


def _map_config(html: str) -> dict:
    """The JSON configuration a map page hands to map_core.js."""
    found = re.search(r'<script type="application/json" id="map-config">(.*?)</script>', html, re.S)
    assert found, "the page carries no map configuration"
    return json.loads(found.group(1))


@pytest.mark.demo_city
def test_home_page_is_a_map_shell_whose_layers_load_as_json(client, app_session):
    html = client.get("/").get_data(as_text=True)
    assert "Demo data." in html
    assert 'id="map_city"' in html
    config = _map_config(html)
    assert config["layers"] == ["service_areas", "routes", "stops", "new_stops", "requests"]
    # No request is part of the page itself: they come from the layer for the map's view.
    assert not re.findall(r"SR-\d{4}-\d{6}", html)
    everywhere = "?bbox=-180,-90,180,90"
    routes = client.get("/api/layers/routes" + everywhere).get_json()
    assert "7 Northgate Line" in {route["properties"]["name"] for route in routes["features"]}
    requests = app_session.scalars(select(StopRequest)).all()
    layer = client.get("/api/layers/requests" + everywhere).get_json()
    drawn = {feature["id"]: feature["properties"] for feature in layer["features"]}
    # Every request but merged ones, in its status colour, so the legend's "Not approved" shows.
    assert set(drawn) == {r.reference for r in requests if r.status is not RequestStatus.MERGED}
    for request in requests:
        if request.reference in drawn:
            assert drawn[request.reference]["colour"] == request.status.colour
    assert layer["truncated"] is False


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
    # The same answer as the first time (a refusal would reveal who supports what).
    assert again.status_code == 303
    assert "your support is counted" in client.get(again.location).get_data(as_text=True)
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


@pytest.mark.demo_city
def test_no_page_loads_scripts_or_styles_from_elsewhere(client, app, app_session):
    """Residents on intranets that block CDNs must get working pages."""
    reconfigure(app, TILE_URL="https://tiles.example.net/{z}/{x}/{y}.png")
    reference = app_session.scalars(select(StopRequest)).first().reference
    pages = {
        "/": client.get("/"),
        "tracking": client.get(f"/requests/{reference}"),
        "confirmation": client.get(f"/requests/{reference}/submitted"),
        "not found": client.get("/nowhere"),
    }
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert ("leaflet.js" in html) == (name in ("/", "tracking")), name
        assert not EXTERNAL_ASSET.findall(html), name
        assert not ANY_ABSOLUTE_URL_IN_CODE.findall(html), name
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
            assert client.get(asset).status_code == 200, asset


HOSTILE_TITLE = "Bus `${window.pwned=1}` </script><img src=x onerror=alert(1)> {{ 7*7 }}"


def test_hostile_titles_stay_text_on_the_map(client, app_session):
    add_service_area(app_session)
    filed = file_request(app_session, title=HOSTILE_TITLE, landmark="Stop </script> `${x}`")
    home = client.get("/").get_data(as_text=True)
    tracking = client.get(f"/requests/{filed.reference}").get_data(as_text=True)
    for page in (home, tracking):
        assert "</script><img" not in page
        assert "<img src=x" not in page
        # {{ 7*7 }} evaluated would read "onerror=alert(1)&gt; 49" (random tokens may hold 49).
        assert "alert(1)&gt; 49" not in page and "alert(1)> 49" not in page
    # The title is not part of the home page at all, and its map layer carries it as data.
    assert "window.pwned" not in home
    layer = client.get("/api/layers/requests?bbox=24.9,60.15,24.98,60.19").get_json()
    assert [feature["properties"]["title"] for feature in layer["features"]] == [HOSTILE_TITLE]
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; {{ 7*7 }}" in tracking


def test_the_home_map_shows_new_stops_planned_and_in_service_not_cancelled(client, app_session):
    """A stop opened from residents' requests is not in the operator's feed yet; the map shows
    it anyway, and the ones still on their way, saying where each stands."""
    from tests.factories import add_user, approve_request, take_to_stage

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

    layer = client.get("/api/layers/new-stops?bbox=24.9,60.15,24.98,60.19").get_json()
    where = {feature["properties"]["name"]: feature["properties"] for feature in layer["features"]}

    today = utc_now().date()
    assert set(where) == {"Library stop", "Clinic stop"}  # the cancelled one is not shown
    assert where["Library stop"]["stage"] == "in_service"
    assert where["Library stop"]["service_summary"] == (
        f"In service from {today:%d %b %Y}, served by route 7."
    )
    assert where["Clinic stop"]["stage"] == "coordination"
    assert where["Clinic stop"]["stage_label"] == "Coordination with departments"
    assert where["Clinic stop"]["service_summary"] is None
    assert opened.id != planned.id


# Pinned when reviewing stop projects (issue 5): each failed before its fix.


def _home_page_queries(app, client, app_session, planner, projects_wanted: int) -> int:
    from transitreq.models import StopProject

    existing = app_session.scalar(select(func.count()).select_from(StopProject))
    for _ in range(projects_wanted - existing):
        take_to_stage(app_session, approve_request(app_session, planner), planner, "coordination")
    counted, stop = count_queries(app.extensions["transitreq.engine"])
    try:
        response = client.get("/api/layers/new-stops?bbox=24.9,60.15,24.98,60.19")
    finally:
        stop()
    assert response.status_code == 200
    assert len(response.get_json()["features"]) == projects_wanted
    return len(counted)


def test_the_home_map_reads_its_new_stops_in_a_fixed_number_of_queries(app, client, app_session):
    """The residents' new-stops layer is public: one query per stop project in it would let
    the number of projects decide how slow it is for everyone."""
    add_service_area(app_session)
    planner = add_user(app_session, "planner")

    few = _home_page_queries(app, client, app_session, planner, 2)
    many = _home_page_queries(app, client, app_session, planner, 6)

    assert many == few
