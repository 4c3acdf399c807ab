"""`seed-demo` gives every new install the same living demo city, however often it runs."""

from __future__ import annotations

from collections import Counter

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select

from tests.factories import geodesic_m
from transitreq.importers.demo_city import seed_demo_city
from transitreq.models import Route, ServiceArea, Stop, StopRequest
from transitreq.services.requests.filing import nearby_requests
from transitreq.services.requests.placement import check_in_service_area


def _snapshot(session):
    session.expire_all()
    return (
        session.scalar(select(func.count(Stop.id))),
        sorted(to_shape(stop.location).wkt for stop in session.scalars(select(Stop))),
        sorted(
            (request.title, request.status.value, request.supporter_count)
            for request in session.scalars(select(StopRequest))
        ),
    )


def test_seeding_twice_gives_the_same_city_not_two(session):
    first = seed_demo_city(session)
    snapshot = _snapshot(session)
    second = seed_demo_city(session)
    assert first == second
    assert _snapshot(session) == snapshot
    assert session.scalar(select(func.count(ServiceArea.id))) == 1
    assert session.scalar(select(func.count(Route.id))) == 4


@pytest.mark.demo_city
def test_demo_requests_span_statuses_and_sit_inside_the_city(session):
    requests = list(session.scalars(select(StopRequest)))
    assert all(request.is_demo for request in requests)
    assert len(Counter(request.status for request in requests)) >= 5
    for request in requests:
        assert check_in_service_area(session, to_shape(request.location)).name.startswith(
            "Riverbend"
        )
        assert [event.kind for event in request.public_events][0] == "submitted"


@pytest.mark.demo_city
def test_northgate_compounds_are_far_from_stops_and_only_line_7_is_near(session):
    """The story the demo tells: the big northern neighbourhood has one line and gaps."""
    northgate_request = session.scalars(
        select(StopRequest).where(StopRequest.title.like("%Northgate East%"))
    ).one()
    point = to_shape(northgate_request.location)
    stops_by_distance_m = sorted(
        (geodesic_m(to_shape(stop.location), point), stop) for stop in session.scalars(select(Stop))
    )
    assert stops_by_distance_m[0][0] > 800
    lines_within_1400_m = {
        call.route.short_name
        for distance_m, stop in stops_by_distance_m
        if distance_m <= 1400
        for call in stop.calls
    }
    assert lines_within_1400_m == {"7"}
    assert nearby_requests(session, point, 300)[0].stop_request.id == northgate_request.id


@pytest.mark.demo_city
def test_demo_projects_show_each_part_of_a_stops_way_to_service(session):
    """Coordination with a department late, construction, and a stop in service with thanks."""
    from transitreq.models import Feedback, ProjectStage, RequestStatus, StopProject, utc_now

    seed_demo_city(session)  # again: still one project per demo request
    projects = {project.name: project for project in session.scalars(select(StopProject))}
    assert {name: project.status for name, project in projects.items()} == {
        "Market square stop": ProjectStage.COORDINATION,
        "Northgate health centre": ProjectStage.CONSTRUCTION,
        "Riverside library": ProjectStage.IN_SERVICE,
    }
    library = projects["Riverside library"]
    assert [r.status for r in library.requests] == [RequestStatus.COMPLETED]
    assert library.launch_routes == ["1"] and library.service_start_date is not None
    # Two residents' thanks on the stop in service.
    assert session.scalar(select(func.count(Feedback.id))) == 2
    today = utc_now().date()
    late = [m.title for m in projects["Market square stop"].milestones if m.is_overdue(today)]
    assert "Sign-off: Bus operator" in late
    assert not any(m.is_overdue(today) for m in library.milestones)
    # The demo's history reads like the services' own: every stage move has its event.
    stage_events = [e.to_status for e in library.events if e.kind == "project_stage"]
    assert stage_events == ["site_survey", "coordination", "construction", "in_service"]
