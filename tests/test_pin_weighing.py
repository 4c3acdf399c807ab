"""Every request weighed against the suggested stops: the review page names the best candidate
within 300 m of the pin and how many more people it newly serves (both figures what site
evaluation answers), and one click approves the stop there."""

from __future__ import annotations

import re

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import select

from tests.conftest import csrf_token_from
from tests.factories import file_request, geodesic_m, log_in
from tests.suggestion_city import build_city
from transitreq.config import default_settings
from transitreq.models import StopProject, StopRequest
from transitreq.services.analysis.evaluation import evaluate_site
from transitreq.services.analysis.pin_weighing import weigh_pin

SETTINGS = default_settings().evaluation
ORIGIN = (151.21, -33.87)


def _pin(city, x: float, y: float):
    from shapely.geometry import Point

    return Point(*city.to_wgs84.transform(x, y))


def _newly_served(session, point) -> float:
    evaluation = evaluate_site(session, point, SETTINGS)
    (circle,) = [c for c in evaluation.catchments if c.radius_m == 400]
    return circle.newly_served


def test_the_best_candidate_near_a_pin_is_what_site_evaluation_ranks_best(session):
    city = build_city(session, ORIGIN)
    # 250 m off line S, 1000 m west of the crossing: candidates on S lie within 300 m.
    pin = _pin(city, -1000.0, 250.0)
    weighing = weigh_pin(session, pin, SETTINGS)
    assert weighing is not None and weighing.distance_m <= 300.0
    candidate = _pin(city, *city.from_wgs84.transform(weighing.lon, weighing.lat))
    assert weighing.candidate_newly_served == pytest.approx(
        _newly_served(session, candidate), rel=0.01, abs=0.5
    )
    assert weighing.pin_newly_served == pytest.approx(
        _newly_served(session, pin), rel=0.01, abs=0.5
    )
    assert geodesic_m(pin, candidate) <= 301.0
    # No candidate on S within 300 m does better than the one named (checked every 50 m).
    for x in range(-1300, -650, 50):
        other = _pin(city, float(x), 0.0)
        if geodesic_m(pin, other) <= 300.0:
            assert _newly_served(session, other) <= weighing.candidate_newly_served * 1.01 + 0.5
    assert "Line S" in weighing.route_name


def test_a_pin_far_from_every_route_has_no_candidate(session):
    city = build_city(session, ORIGIN)
    assert weigh_pin(session, _pin(city, -1500.0, 1200.0), SETTINGS) is None


def test_review_page_shows_the_weighing_and_approves_there_in_one_click(client, app_session):
    city = build_city(app_session, ORIGIN)
    pin = _pin(city, -1000.0, 250.0)
    stop_request = file_request(app_session, point=pin, title="站点 <script>x</script>")
    reference = stop_request.reference
    weighing = weigh_pin(app_session, pin, SETTINGS)
    log_in(client, app_session)

    page = client.get(f"/planning/requests/{reference}").get_data(as_text=True)
    panel = page[page.index('id="pin-suggestion"') :]
    shown = float(re.search(r'data-difference="(-?[\d.]+)"', panel).group(1))
    assert shown == pytest.approx(weighing.difference, abs=0.06)
    assert f"{weighing.lat:.6f}" in panel and "approve-suggested" in panel

    response = client.post(
        f"/planning/requests/{reference}/approve",
        data={
            "csrf_token": csrf_token_from(page),
            "version": str(stop_request.version),
            "site": "suggested",
        },
    )
    assert response.status_code == 303
    app_session.expire_all()
    project = app_session.scalars(select(StopProject)).one()
    placed = to_shape(project.location)
    assert placed.y == pytest.approx(weighing.lat, abs=1e-7)
    assert placed.x == pytest.approx(weighing.lon, abs=1e-7)
    assert app_session.get(StopRequest, stop_request.id).status.value == "approved"


def test_one_click_approval_is_refused_naming_the_site_when_no_candidate_is_near(
    client, app_session
):
    city = build_city(app_session, ORIGIN)
    stop_request = file_request(app_session, point=_pin(city, -1500.0, 1200.0))
    log_in(client, app_session)
    page = client.get(f"/planning/requests/{stop_request.reference}").get_data(as_text=True)
    assert "approve-suggested" not in page
    response = client.post(
        f"/planning/requests/{stop_request.reference}/approve",
        data={
            "csrf_token": csrf_token_from(page),
            "version": str(stop_request.version),
            "site": "suggested",
        },
    )
    assert response.status_code == 422
    assert 'id="approve-site-error"' in response.get_data(as_text=True)
    app_session.expire_all()
    assert app_session.scalars(select(StopProject)).first() is None


def test_the_queue_rows_carry_each_pins_weighing(client, app_session):
    city = build_city(app_session, ORIGIN)
    near = file_request(app_session, point=_pin(city, -1000.0, 250.0))
    far = file_request(app_session, point=_pin(city, -1500.0, 1200.0), reporter_contact="b@x.org")
    other = file_request(app_session, point=_pin(city, 900.0, -230.0), reporter_contact="c@x.org")
    log_in(client, app_session)
    rows = {row["reference"]: row for row in client.get("/api/planner/requests").get_json()["rows"]}
    assert rows[far.reference]["suggestion"] is None
    for filed in (near, other):
        expected = weigh_pin(app_session, to_shape(filed.location), SETTINGS)
        shown = rows[filed.reference]["suggestion"]
        assert shown["difference"] == pytest.approx(expected.difference, abs=1e-6)
        assert (shown["lat"], shown["lon"]) == (
            pytest.approx(expected.lat, abs=1e-6),
            pytest.approx(expected.lon, abs=1e-6),
        )
        assert shown["distance_m"] <= 300.0
