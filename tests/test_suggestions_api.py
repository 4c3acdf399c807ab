"""Suggested stops through the API, the exports and ``flask suggest-stops``: the same stored
run everywhere, rank 1 what ``GET /api/evaluate`` says of its point, and bad questions refused
naming the field."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from tests.factories import log_in
from tests.suggestion_city import build_city
from transitreq.models import Route, SuggestionRun

ORIGIN = (-46.63, -23.55)


@pytest.fixture
def town(app_session):
    return build_city(app_session, ORIGIN)


def test_rank_one_is_what_site_evaluation_answers_and_the_ranks_add_up(client, app_session, town):
    log_in(client, app_session)
    body = client.get("/api/planner/suggestions?count=4&radius_m=400").get_json()
    features = body["suggestions"]["features"]
    assert [f["properties"]["rank"] for f in features] == [1, 2, 3, 4]
    assert body["measure"] == "straight_line" and body["method"] in ("exact", "greedy")
    assert 0 <= body["gap"] < 0.01 and not body["reused"]
    total = sum(f["properties"]["newly_served"] for f in features)
    assert total == pytest.approx(body["newly_served"])
    assert body["newly_served"] >= body["greedy_newly_served"] - 1e-6
    lon, lat = features[0]["geometry"]["coordinates"]
    evaluation = client.get(f"/api/evaluate?lat={lat}&lon={lon}&radii=400").get_json()
    (circle,) = [c for c in evaluation["catchments"] if c["measure"] == "straight_line"]
    assert features[0]["properties"]["newly_served"] == pytest.approx(
        circle["newly_served"], rel=0.01, abs=0.1
    )
    assert "Line " in features[0]["properties"]["route"]

    again = client.get("/api/planner/suggestions?count=4&radius_m=400").get_json()
    assert again["reused"] and again["run_id"] == body["run_id"]
    assert app_session.scalar(select(func.count(SuggestionRun.id))) == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "count"),
        ("count=0", "count"),
        ("count=101", "count"),
        ("count=abc", "count"),
        ("count=-3", "count"),
        ("count=3&radius_m=10", "radius_m"),
        ("count=3&radius_m=4.5", "radius_m"),
        ("count=3&bbox=1,2,3", "bbox"),
        ("count=3&within=%E6%B2%A1%E6%9C%89%3Cb%3E", "within"),
    ],
)
def test_bad_questions_are_refused_naming_the_field(client, app_session, town, query, field):
    log_in(client, app_session)
    response = client.get(f"/api/planner/suggestions?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert app_session.scalar(select(func.count(SuggestionRun.id))) == 0


def test_only_planners_may_ask(client, app_session, town):
    assert client.get("/api/planner/suggestions?count=2").status_code == 401


def test_exports_keep_the_numbers_and_guard_formulas(client, app_session, town):
    for route in app_session.scalars(select(Route)):
        route.short_name, route.long_name = '=HYPERLINK("x")', f"线路 <b>{route.id}</b>"
    app_session.commit()
    log_in(client, app_session)
    body = client.get("/api/planner/suggestions?count=6").get_json()
    features = body["suggestions"]["features"]

    text = client.get("/planning/exports/suggestions.csv?count=6").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [int(row["rank"]) for row in rows] == [f["properties"]["rank"] for f in features]
    for row, feature in zip(rows, features, strict=True):
        assert float(row["newly_served"]) == feature["properties"]["newly_served"]
        assert not row["route"].startswith("=")
    geojson = json.loads(client.get("/planning/exports/suggestions.geojson?count=6").data)
    assert [f["properties"]["newly_served"] for f in geojson["features"]] == [
        f["properties"]["newly_served"] for f in features
    ]
    # The name as stored in the GeoJSON; inert in the spreadsheet.
    assert all(f["properties"]["route"].startswith("=HYPERLINK") for f in geojson["features"])
    assert all(row["route"].startswith("'=HYPERLINK") and "<b>" in row["route"] for row in rows)


def test_the_command_prints_the_table_and_stores_the_run(app, app_session, town):
    result = app.test_cli_runner().invoke(args=["suggest-stops", "--count", "3"])
    assert result.exit_code == 0, result.output
    assert "rank" in result.output and "Line " in result.output
    run = app_session.scalars(select(SuggestionRun)).one()
    assert f"run {run.id}" in result.output and len(run.stops) == 3
    again = app.test_cli_runner().invoke(args=["suggest-stops", "--count", "3"])
    assert "(stored, reused)" in again.output

    refused = app.test_cli_runner().invoke(args=["suggest-stops", "--count", "0"])
    assert refused.exit_code != 0 and "--count" in refused.output
    unknown = app.test_cli_runner().invoke(
        args=["suggest-stops", "--count", "2", "--within", "Nowhere"]
    )
    assert unknown.exit_code != 0 and "--within" in unknown.output
    within = app.test_cli_runner().invoke(
        args=["suggest-stops", "--count", "2", "--within", "Suggestion town"]
    )
    assert within.exit_code == 0, within.output
