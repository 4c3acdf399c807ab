"""Planners read where requests and projects stand, how long steps take, what is late, and how
many requests each district files per month; the same figures on SpatiaLite and PostGIS."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import Point, box
from sqlalchemy import select, text, update

from tests.factories import (
    RAILWAY_SQUARE,
    add_route,
    add_service_area,
    add_user,
    approve_request,
    file_request,
    log_in,
    offset,
    take_to_stage,
    version_of,
)
from transitreq.errors import ValidationFailed
from transitreq.models import (
    Event,
    Milestone,
    MilestoneKind,
    MilestoneState,
    ProjectStage,
    StopProject,
    StopRequest,
    utc_now,
)
from transitreq.services.projects import stages as projects
from transitreq.services.projects.plan import department_named
from transitreq.services.reports.dashboard import (
    OUTSIDE_DISTRICTS,
    DashboardQuery,
    Median,
    chart_months,
    dashboard,
)
from transitreq.services.requests import decisions

DASHBOARD = "/planning/dashboard/"
WEST = box(24.90, 60.150, RAILWAY_SQUARE.x, 60.190)
EAST = box(RAILWAY_SQUARE.x, 60.150, 24.98, 60.190)
WEST_SITE = offset(RAILWAY_SQUARE, 270, 800)
EAST_SITE = offset(RAILWAY_SQUARE, 90, 800)
FAR_AWAY = Point(25.30, 60.40)
SVG = "{http://www.w3.org/2000/svg}"


def _month(months_back: int) -> date:
    today = utc_now().date()
    index = today.year * 12 + today.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _at(day: date, days_later: float = 0) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=UTC) + timedelta(days=days_later)


@dataclass
class Town:
    today: date
    requests: dict[str, StopRequest]
    projects: dict[str, int]


def _file(session, name: str, site: Point, filed: datetime) -> StopRequest:
    stop_request = file_request(session, title=f"Stop {name}", point=site)
    session.execute(
        update(StopRequest).where(StopRequest.id == stop_request.id).values(created_at=filed)
    )
    session.commit()
    return stop_request


def _decided(session, stop_request: StopRequest, kind: str, at: datetime) -> None:
    session.execute(
        update(Event)
        .where(Event.request_id == stop_request.id, Event.kind == kind)
        .values(created_at=at)
    )
    session.commit()


def _project(session, name: str, stage: ProjectStage, site: Point, approved: datetime, **values):
    project = StopProject(
        name=name,
        location=from_shape(site, srid=4326),
        status=stage,
        created_at=approved,
        **values,
    )
    session.add(project)
    session.commit()
    return project


def _milestone(session, project: StopProject, kind: MilestoneKind, due: date, **values):
    session.add(Milestone(project_id=project.id, kind=kind, due_date=due, **values))
    session.commit()


@pytest.fixture
def town(app_session) -> Town:
    """Requests filed and decided at known moments; projects approved and opened on known days.

    Decisions took 2, 4 and 10 days (median 4); stops went into service 30, 50 and 100 days
    after approval (median 50).
    """
    session = app_session
    today = utc_now().date()
    add_service_area(session, WEST, "West")
    add_service_area(session, EAST, "East")
    planner = add_user(session, "planner")
    m1, m2, m3 = _month(1), _month(2), _month(3)

    approved = _file(session, "approved in West", WEST_SITE, _at(m1))
    decisions.approve(
        session, approved.reference, approved.version, planner, offset(WEST_SITE, 0, 20)
    )
    _decided(session, approved, "approved", _at(m1, 2))

    rejected = _file(session, "rejected in East", EAST_SITE, _at(m2))
    decisions.reject(session, rejected.reference, rejected.version, planner, "low_demand")
    _decided(session, rejected, "rejected", _at(m2, 4))

    target = _file(session, "waiting in East", offset(EAST_SITE, 0, 300), _at(m3))
    merged = _file(session, "merged in West", offset(WEST_SITE, 0, 300), _at(m2, 0.5))
    decisions.ask_for_information(session, merged.reference, merged.version, planner, "Where?")
    session.refresh(merged)
    decisions.merge(session, merged.reference, merged.version, planner, target.reference)
    # Asking the resident after one day is not a decision; the merge after ten days is.
    _decided(session, merged, "info_requested", _at(m2, 1.5))
    _decided(session, merged, "merged", _at(m2, 10.5))

    outside = _file(session, "outside every district", offset(WEST_SITE, 180, 300), _at(m1, 3))
    session.execute(
        update(StopRequest)
        .where(StopRequest.id == outside.id)
        .values(location=from_shape(FAR_AWAY, srid=4326))
    )
    old = _file(session, "filed a year ago", EAST_SITE, _at(_month(12)))
    session.commit()

    long_ago = _at(today - timedelta(days=400))
    service = {
        days: _project(
            session,
            f"In service after {days} days",
            ProjectStage.IN_SERVICE,
            WEST_SITE if days == 50 else EAST_SITE,
            long_ago,
            service_start_date=long_ago.date() + timedelta(days=days),
            launch_routes=["7"],
        )
        for days in (100, 30, 50)
    }
    # A milestone of a stop already in service is never overdue.
    _milestone(session, service[30], MilestoneKind.LAUNCH, today - timedelta(days=60))
    building = _project(
        session,
        "Under construction",
        ProjectStage.CONSTRUCTION,
        EAST_SITE,
        long_ago,
        service_start_date=today + timedelta(days=10),
        launch_routes=["7"],
    )
    _milestone(session, building, MilestoneKind.CONSTRUCTION_FINISH, today - timedelta(days=5))
    _milestone(
        session,
        building,
        MilestoneKind.CONSTRUCTION_START,
        today - timedelta(days=50),
        done_date=today - timedelta(days=45),
        state=MilestoneState.DONE,
    )
    coordinating = _project(
        session, "Waiting for sign-offs", ProjectStage.COORDINATION, WEST_SITE, long_ago
    )
    police = department_named(session, "Traffic police")
    _milestone(
        session,
        coordinating,
        MilestoneKind.SIGN_OFF,
        today - timedelta(days=20),
        department_id=police.id,
    )
    # Due today is not yet late.
    _milestone(session, coordinating, MilestoneKind.SITE_SURVEY, today)
    cancelled = _project(session, "Cancelled", ProjectStage.CANCELLED, EAST_SITE, long_ago)
    _milestone(session, cancelled, MilestoneKind.SITE_SURVEY, today - timedelta(days=40))
    return Town(
        today,
        {
            "approved": approved,
            "rejected": rejected,
            "target": target,
            "merged": merged,
            "outside": outside,
            "old": old,
        },
        {"building": building.id, "coordinating": coordinating.id},
    )


def _counts(rows) -> dict[str, int]:
    return {row.key: row.count for row in rows if row.count}


def test_counts_medians_and_overdue_milestones_for_the_whole_city(app_session, town):
    figures = dashboard(app_session, DashboardQuery(), town.today)
    assert _counts(figures.requests_by_status) == {
        "submitted": 3,
        "approved": 1,
        "merged": 1,
        "rejected": 1,
    }
    assert [row.key for row in figures.requests_by_status][:3] == [
        "submitted",
        "under_review",
        "needs_info",
    ]
    assert figures.requests_by_status[0].label == "Submitted"
    assert _counts(figures.projects_by_stage) == {
        "approved": 1,
        "coordination": 1,
        "construction": 1,
        "in_service": 3,
        "cancelled": 1,
    }
    assert figures.days_to_decision == Median(4.0, 3)
    assert figures.days_to_service == Median(50.0, 3)
    assert [
        (item.project_name, item.title, item.owner, item.due_date, item.days_overdue)
        for item in figures.overdue
    ] == [
        (
            "Waiting for sign-offs",
            "Sign-off: Traffic police",
            "Traffic police",
            town.today - timedelta(days=20),
            20,
        ),
        (
            "Under construction",
            "Construction finish",
            "Transit planning",
            town.today - timedelta(days=5),
            5,
        ),
    ]


def test_requests_per_district_per_month_cover_the_last_twelve_months(app_session, town):
    monthly = dashboard(app_session, DashboardQuery(), town.today).monthly
    assert monthly.months == [_month(back) for back in range(11, -1, -1)]
    assert monthly.districts == ["West", "East", OUTSIDE_DISTRICTS]
    assert monthly.counts == {
        ("West", _month(1)): 1,
        (OUTSIDE_DISTRICTS, _month(1)): 1,
        ("West", _month(2)): 1,
        ("East", _month(2)): 1,
        ("East", _month(3)): 1,
    }
    # The request filed twelve months ago is before the chart's first month.
    assert monthly.total == 5


def test_a_district_and_a_date_range_narrow_every_figure(app_session, town):
    west = dashboard(app_session, DashboardQuery(district="West"), town.today)
    assert _counts(west.requests_by_status) == {"approved": 1, "merged": 1}
    assert west.days_to_decision == Median(6.0, 2)
    assert _counts(west.projects_by_stage) == {"approved": 1, "coordination": 1, "in_service": 1}
    assert west.days_to_service == Median(50.0, 1)
    assert [item.title for item in west.overdue] == ["Sign-off: Traffic police"]
    assert west.monthly.districts == ["West"]
    assert west.monthly.counts == {("West", _month(1)): 1, ("West", _month(2)): 1}

    month = _month(2)
    in_month = DashboardQuery(start=month, end=month + timedelta(days=27))
    figures = dashboard(app_session, in_month, town.today)
    assert _counts(figures.requests_by_status) == {"merged": 1, "rejected": 1}
    assert figures.days_to_decision == Median(7.0, 2)
    # No project was approved in that month.
    assert _counts(figures.projects_by_stage) == {}
    assert figures.days_to_service == Median(None, 0)
    assert figures.overdue == []
    assert figures.monthly.months == [month]
    assert figures.monthly.counts == {("West", month): 1, ("East", month): 1}


def test_figures_are_in_utc_whatever_the_database_sessions_time_zone(app_session, town, backend):
    """Filed at 09:00 UTC on the 1st is the evening before in Samoa: still the 1st's month."""
    expected = dashboard(app_session, DashboardQuery(start=_month(2)), town.today)
    if backend == "postgis":
        app_session.execute(text("SET TIME ZONE 'Pacific/Pago_Pago'"))
    assert dashboard(app_session, DashboardQuery(start=_month(2)), town.today) == expected
    assert expected.monthly.counts[("West", _month(1))] == 1


def test_chart_months_end_with_the_range_and_never_start_before_it():
    today = date(2026, 5, 20)
    assert chart_months(DashboardQuery(), today)[0] == date(2025, 6, 1)
    assert chart_months(DashboardQuery(), today)[-1] == date(2026, 5, 1)
    ranged = DashboardQuery(start=date(2025, 11, 15), end=date(2026, 2, 3))
    assert chart_months(ranged, today) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    long = DashboardQuery(start=date(2020, 1, 1), end=date(2023, 3, 31))
    assert chart_months(long, today)[0] == date(2022, 4, 1)
    assert len(chart_months(long, today)) == 12


def test_refuses_a_range_backwards_or_an_unknown_district(app_session, town):
    backwards = DashboardQuery(start=town.today, end=town.today - timedelta(days=1))
    with pytest.raises(ValidationFailed) as refusal:
        dashboard(app_session, backwards, town.today)
    assert set(refusal.value.fields) == {"start"}
    with pytest.raises(ValidationFailed) as refusal:
        dashboard(app_session, DashboardQuery(district="Atlantis"), town.today)
    assert set(refusal.value.fields) == {"district"}


def test_an_empty_city_says_no_data_yet(client, app_session):
    log_in(client, app_session)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count("No data yet") == 2
    assert "Nothing is overdue." in page
    assert 'class="bar"' not in page


class _Tables(HTMLParser):
    """The text of every cell of every table with an id, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id"):
            self._table = self.tables.setdefault(dict(attrs)["id"], [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._table[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _tables(page: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def _svg(page: str) -> ElementTree.Element:
    start = page.index('<svg id="monthly-chart"')
    end = page.index("</svg>", start) + len("</svg>")
    return ElementTree.fromstring(page[start:end])


def test_dashboard_page_shows_the_figures_the_chart_and_its_table(client, app_session, town):
    log_in(client, app_session)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "dashboard.css" in page
    assert "cdn" not in page.lower()
    tables = _tables(page)
    assert ["Submitted", "3"] in tables["requests-by-status"]
    assert ["Not approved", "1"] in tables["requests-by-status"]
    assert ["All", "6"] in tables["requests-by-status"]
    assert ["In service", "3"] in tables["projects-by-stage"]
    assert '<span class="median-days">4.0</span> days' in page
    assert 'Median over <span class="median-count">3</span> decided requests' in page
    assert '<span class="median-days">50.0</span>' in page
    overdue = tables["overdue-milestones"]
    assert overdue[1:] == [
        [
            f"Waiting for sign-offs #{town.projects['coordinating']}",
            "Sign-off: Traffic police",
            "Traffic police",
            (town.today - timedelta(days=20)).strftime("%d %b %Y"),
            "20",
        ],
        [
            f"Under construction #{town.projects['building']}",
            "Construction finish",
            "Transit planning",
            (town.today - timedelta(days=5)).strftime("%d %b %Y"),
            "5",
        ],
    ]
    assert f'href="/planning/projects/{town.projects["coordinating"]}"' in page

    svg = _svg(page)
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text.startswith("Requests filed per district per month")
    assert svg.find(f"{SVG}desc") is not None
    bars = {
        (rect.get("data-district"), rect.get("data-month")): int(rect.get("data-count"))
        for rect in svg.iter(f"{SVG}rect")
        if rect.get("class") == "bar"
    }
    label = "%b %Y"
    assert bars == {
        ("West", _month(1).strftime(label)): 1,
        (OUTSIDE_DISTRICTS, _month(1).strftime(label)): 1,
        ("West", _month(2).strftime(label)): 1,
        ("East", _month(2).strftime(label)): 1,
        ("East", _month(3).strftime(label)): 1,
    }
    # Every bar is also a number in the accessible table, and the table has every month.
    table = tables["monthly-table"]
    header, rows = table[0], {row[0]: row[1:] for row in table[1:]}
    assert header == ["Month", "West", "East", OUTSIDE_DISTRICTS, "Total"]
    assert len(rows) == 12
    for (district, month), count in bars.items():
        assert rows[month][header.index(district) - 1] == str(count)
    assert rows[_month(1).strftime(label)][-1] == "2"
    assert rows[_month(5).strftime(label)] == ["0", "0", "0", "0"]
    colours = {
        rect.get("data-district"): rect.get("fill")
        for rect in svg.iter(f"{SVG}rect")
        if rect.get("class") == "bar"
    }
    assert len(set(colours.values())) == 3


def test_district_colours_stay_the_same_when_filtered(client, app_session, town):
    log_in(client, app_session)

    def colours_of(name: str, params: dict[str, str]) -> set[str]:
        page = client.get(DASHBOARD, query_string=params).get_data(as_text=True)
        return {
            rect.get("fill")
            for rect in _svg(page).iter(f"{SVG}rect")
            if rect.get("data-district") == name
        }

    assert len(colours_of("East", {})) == 1
    assert colours_of("East", {}) == colours_of("East", {"district": "East"})


def test_bad_dashboard_filters_are_refused_on_the_page(client, app_session, town):
    log_in(client, app_session)
    for params, field in (
        ({"start": "last tuesday"}, "start"),
        ({"end": "2026-02-30"}, "end"),
        ({"start": "2026-03-01", "end": "2026-02-01"}, "start"),
        ({"district": "Atlantis"}, "district"),
    ):
        response = client.get(DASHBOARD, query_string=params)
        assert response.status_code == 422, params
        page = response.get_data(as_text=True)
        assert f'id="{field}-error"' in page
        assert 'class="bar"' not in page


def test_dashboard_is_for_planners_only(client, app_session):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]
    log_in(client, app_session, role="department")
    assert client.get(DASHBOARD).status_code == 403


@pytest.mark.parametrize(
    ("model", "index"),
    [(StopRequest, "idx_stop_requests_location"), (StopProject, "idx_stop_projects_location")],
)
def test_the_district_filter_finds_its_rows_through_the_spatial_index(
    app_session, town, model, index
):

    from tests.databases import assert_uses_spatial_index
    from transitreq.geo.request_filters import in_district

    statement = select(model.id).where(in_district(app_session, "West", model.location))
    assert_uses_spatial_index(app_session, statement, index)
    assert len(app_session.scalars(statement).all()) > 0


# Pinned when reviewing stop projects (issue 5): each failed before its fix.


@pytest.fixture
def planner(session):
    add_service_area(session)
    add_route(session, "7")
    return add_user(session, "planner")


@pytest.mark.parametrize(
    "query",
    [
        "end=9999-12-31",
        "start=9999-12-01",
        "start=0001-01-01&end=0001-01-31",
    ],
)
def test_dashboard_dates_at_the_ends_of_the_calendar_are_refused_by_name(
    client, app_session, query
):
    log_in(client, app_session)

    response = client.get(f"/planning/dashboard/?{query}")

    assert response.status_code == 422
    field = query.split("=")[0]
    assert f'id="{field}-error"' in response.get_data(as_text=True)


def test_days_to_service_never_counts_before_the_approval_day_the_services_check(session, planner):
    """In UTC-11 an approval at 05:00 UTC on 2 Mar is on 1 Mar in the city, so a first day of
    service on 1 Mar is accepted; the dashboard must not then count it as -1 day."""
    from datetime import UTC, date, datetime

    from transitreq.config import default_settings
    from transitreq.services.context import SETTINGS_KEY
    from transitreq.services.reports.dashboard import DashboardQuery, Median, days_to_service

    session.info[SETTINGS_KEY] = default_settings(TIMEZONE="Pacific/Pago_Pago")
    try:
        project = approve_request(session, planner)
        project.created_at = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
        session.commit()
        first_day = date(2026, 3, 1)
        take_to_stage(session, project, planner, "construction", today=first_day)
        projects.finish_construction(
            session, project.id, version_of(session, project), planner, first_day
        )
        projects.set_launch(
            session, project.id, version_of(session, project), planner, ["7"], first_day
        )
        projects.put_in_service(session, project.id, version_of(session, project), planner)

        assert days_to_service(session, DashboardQuery()) == Median(0.0, 1)
    finally:
        del session.info[SETTINGS_KEY]
