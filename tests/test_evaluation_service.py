"""Site evaluation on small stories: demand, the score and its explanation, the API and page."""

from __future__ import annotations

import re

import pytest
from shapely.geometry import Point

from tests.factories import (
    RAILWAY_SQUARE,
    add_service_area,
    file_request,
    geodesic_m,
    log_in,
    offset,
)
from transitreq.config import default_settings
from transitreq.models import RequestStatus
from transitreq.services.analysis.evaluation import evaluate_site
from transitreq.services.analysis.scoring import ScoreWeights, score_site
from transitreq.services.requests.filing import support_request
from transitreq.services.requests.rules import move


def test_demand_counts_requests_and_supporters_within_300_m(session):
    add_service_area(session)
    placed = []
    for index, (bearing, distance_m, supporters) in enumerate(
        [(0, 120, 2), (90, 280, 1), (180, 310, 5), (270, 50, 0)]
    ):
        point = offset(RAILWAY_SQUARE, bearing, distance_m)
        filed = file_request(session, point=point, reporter_contact=f"r{index}@example.org")
        for supporter in range(supporters):
            support_request(session, filed.reference, f"s{index}-{supporter}@example.org")
        placed.append((filed, point, supporters))
    rejected = file_request(
        session, point=offset(RAILWAY_SQUARE, 45, 100), reporter_contact="", notify_progress=False
    )
    move(session, rejected, RequestStatus.REJECTED, actor="planner")
    session.commit()

    demand = evaluate_site(session, RAILWAY_SQUARE, default_settings().evaluation).demand

    inside = [(filed, n) for filed, point, n in placed if geodesic_m(point, RAILWAY_SQUARE) <= 300]
    assert demand.requests == len(inside) == 3
    assert demand.supporters == sum(n for _, n in inside) == 3
    assert demand.residents == 6


def test_score_adds_capped_weighted_terms_and_explains_them():
    weights = ScoreWeights(
        newly_served=60,
        demand=20,
        routes_passing=20,
        newly_served_full_at=1000,
        demand_full_at=10,
        routes_passing_full_at=2,
        spacing_penalty=0.25,
    )
    score = score_site(
        weights,
        newly_served=500,
        newly_served_radius_m=400,
        demand=40,
        routes_passing=1,
        too_close_to_a_stop=False,
    )
    assert [round(term.points, 1) for term in score.terms] == [30.0, 20.0, 10.0]
    assert score.total == 60.0
    penalised = score_site(weights, 500, 400, 40, 1, too_close_to_a_stop=True)
    assert penalised.total == 45.0 and penalised.spacing_penalty_applied
    assert "min(value ÷ full-marks value, 1)" in score.formula


@pytest.mark.demo_city
def test_demo_city_site_between_two_stops_is_flagged_and_scored(session):
    from transitreq.importers.demo_city import _lon_lat

    # On Northgate Street, between two stops of line 7 about 450 m apart.
    site = Point(*_lon_lat(0, 1950))
    evaluation = evaluate_site(session, site, default_settings().evaluation)
    (line_7,) = [route for route in evaluation.routes_passing_by if route.short_name == "7"]
    (spacing,) = [item for item in evaluation.spacing if item.route_id == line_7.route_id]
    assert spacing.previous_m + spacing.next_m == pytest.approx(spacing_total(session), rel=0.02)
    assert evaluation.too_close_to_a_stop is True
    assert evaluation.score.spacing_penalty_applied is True
    assert evaluation.population_dataset == "Riverbend population (demo)"
    assert evaluation.catchments[0].population > evaluation.catchments[0].newly_served


def spacing_total(session) -> float:
    """The demo's stop spacing along line 7, from the generator's own rule."""
    from shapely.geometry import LineString

    from transitreq.importers.demo_city import ROUTES, STOP_SPACING_M

    line = LineString(next(route for route in ROUTES if route.code == "7").waypoints_m)
    count = max(int(line.length // STOP_SPACING_M), 1)
    return line.length / count


@pytest.mark.demo_city
def test_evaluate_api_returns_every_number_and_names_bad_parameters(client, app_session):
    from transitreq.importers.demo_city import _lon_lat

    lon, lat = _lon_lat(1000, 3050)
    body = client.get(f"/api/evaluate?lat={lat}&lon={lon}&radii=300,600").get_json()
    # Each radius within a circle, then (the demo city has streets) along them.
    measured = [(item["measure"], item["radius_m"]) for item in body["catchments"]]
    assert measured == [
        ("straight_line", 300),
        ("straight_line", 600),
        ("walk", 300),
        ("walk", 600),
    ]
    assert body["population_dataset"] == "Riverbend population (demo)"
    assert len(body["nearest_stops"]) == 5
    assert body["nearest_stops"][0]["distance_m"] <= body["nearest_stops"][-1]["distance_m"]
    assert body["demand"]["requests"] >= 1
    assert sum(term["points"] for term in body["score"]["terms"]) == pytest.approx(
        body["score"]["total"], abs=0.2
    )
    for query, field in [
        ("lat=nan&lon=10", "lat"),
        (f"lat={lat}&lon={lon}&radii=0,800", "radii"),
        (f"lat={lat}&lon={lon}&radii=a", "radii"),
        (f"lat={lat}&lon={lon}&dataset=nobody", "dataset"),
    ]:
        response = client.get(f"/api/evaluate?{query}")
        assert response.status_code == 422, query
        assert response.get_json()["error"]["field"] == field


@pytest.mark.demo_city
def test_evaluation_page_shows_the_numbers_and_the_score_explained(client, app_session):
    from transitreq.importers.demo_city import _lon_lat

    lon, lat = _lon_lat(0, 1950)
    assert client.get(f"/planning/evaluate?lat={lat}&lon={lon}").status_code == 302
    log_in(client, app_session)
    html = client.get(f"/planning/evaluate?lat={lat}&lon={lon}").get_data(as_text=True)
    assert 'id="map_evaluation"' in html
    assert re.search(r'id="score">\d+\.\d<', html)
    assert "too close to a stop" in html
    assert "Northgate Street" in html
    assert "How the score is made" in html
    assert client.get("/planning/evaluate").status_code == 200
    bad = client.get("/planning/evaluate?lat=95&lon=10")
    assert bad.status_code == 422
    assert "swapped" in bad.get_data(as_text=True)


def test_without_population_data_the_score_says_so(session):
    add_service_area(session)
    evaluation = evaluate_site(session, RAILWAY_SQUARE, default_settings().evaluation)
    assert evaluation.population_dataset is None
    assert "no population data" in evaluation.score.terms[0].label
    assert evaluation.score.terms[0].points == 0


@pytest.mark.demo_city
def test_the_score_uses_the_configured_radius_whatever_radii_are_asked(client, app_session):
    from transitreq.importers.demo_city import _lon_lat

    lon, lat = _lon_lat(1000, 3050)
    default = client.get(f"/api/evaluate?lat={lat}&lon={lon}").get_json()
    other_radii = client.get(f"/api/evaluate?lat={lat}&lon={lon}&radii=50,100").get_json()
    assert other_radii["score"]["total"] == default["score"]["total"]
    assert "400 m" in other_radii["score"]["terms"][0]["label"]


@pytest.mark.demo_city
def test_a_site_is_weighed_against_the_population_layer_that_covers_it(session):
    from geoalchemy2.shape import from_shape
    from shapely.geometry import box as rectangle

    from transitreq.importers.demo_city import _lon_lat
    from transitreq.models import PopulationDataset, PopulationUnit

    helsinki = PopulationDataset(
        name="imported later, elsewhere",
        source="test",
        population_field="population",
        geometry_kind="polygons",
        extra_fields=[],
        unit_count=1,
        total_population=100.0,
    )
    session.add(helsinki)
    session.flush()
    session.add(
        PopulationUnit(
            dataset_id=helsinki.id,
            population=100.0,
            attributes={},
            geom=from_shape(rectangle(24.93, 60.16, 24.94, 60.17), 4326),
        )
    )
    session.commit()

    demo_site = Point(*_lon_lat(0, 1950))
    evaluation = evaluate_site(session, demo_site, default_settings().evaluation)
    assert evaluation.population_dataset == "Riverbend population (demo)"
    assert evaluation.catchments[0].population > 1000
