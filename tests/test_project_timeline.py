"""Residents follow their approved stop on the tracking page: every public milestone in order,
the stage it has reached, and the launch; never what staff wrote for each other."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from tests.factories import (
    RAILWAY_SQUARE,
    add_route,
    add_service_area,
    add_user,
    approve_request,
    department_staff,
    file_request,
    offset,
    sign_all,
    take_to_stage,
    version_of,
)
from transitreq.models import MilestoneKind, RequestStatus, utc_now
from transitreq.sentences import describe_launch
from transitreq.services.projects import sign_offs
from transitreq.services.projects import stages as projects
from transitreq.services.requests import decisions
from transitreq.services.requests.filing import find_by_reference

# Words only staff may read, each written where a careless page could leak it.
SURVEY_FINDINGS = "MARKER-survey: kerb drains onto the cycle path"
REFUSAL_REASON = "MARKER-refusal: tree roots under the platform"
REOPEN_NOTE = "MARKER-reopen: platform moved two metres"
INTERNAL_NOTE = "MARKER-internal: budget line 42 overspent"
INTERNAL_MARKERS = (SURVEY_FINDINGS, REFUSAL_REASON, REOPEN_NOTE, INTERNAL_NOTE)


def _page(client, reference: str) -> str:
    response = client.get(f"/requests/{reference}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _section(page: str, element_id: str) -> str:
    match = re.search(rf'<(\w+)[^>]*id="{element_id}"[^>]*>(.*?)</\1>', page, re.DOTALL)
    assert match, f"no #{element_id} on the page"
    return match.group(2)


def _timeline_titles(page: str) -> list[str]:
    timeline = _section(page, "timeline")
    return [html.unescape(title) for title in re.findall(r'class="event-title">([^<]*)<', timeline)]


def _the_long_way_to_construction(session, project, planner) -> None:
    """Survey with findings, a refusal answered and reopened, an internal note, then every
    sign-off and construction: the steps residents see interleaved with those they must not."""
    today = utc_now().date()
    projects.start_survey(session, project.id, version_of(session, project), planner)
    projects.record_survey(
        session,
        project.id,
        version_of(session, project),
        planner,
        today,
        SURVEY_FINDINGS,
        public_note="The kerb suits a stop.",
    )
    projects.add_project_note(session, project.id, planner, INTERNAL_NOTE, public=False)
    projects.start_coordination(session, project.id, version_of(session, project), planner)
    landscaping = next(m for m in project.sign_offs if m.owner_name == "Landscaping")
    sign_offs.decide_sign_off(
        session,
        landscaping.id,
        version_of(session, project),
        department_staff(session, "Landscaping"),
        "refuse",
        REFUSAL_REASON,
    )
    sign_offs.reopen_sign_off(
        session, landscaping.id, version_of(session, project), planner, REOPEN_NOTE
    )
    projects.set_due_date(
        session,
        project.milestones_of(MilestoneKind.CONSTRUCTION_FINISH)[0].id,
        version_of(session, project),
        planner,
        today + timedelta(days=200),
    )
    projects.add_project_note(
        session, project.id, planner, "Residents' walk-through on Friday.", public=True
    )
    sign_all(session, project)
    projects.start_construction(session, project.id, version_of(session, project), planner, today)


def test_resident_sees_each_public_milestone_in_order_and_no_internal_word(client, app_session):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    project = approve_request(app_session, planner)
    reference = project.requests[0].reference

    _the_long_way_to_construction(app_session, project, planner)
    page = _page(client, reference)

    titles = _timeline_titles(page)
    assert titles[:5] == [
        "Submitted",
        "Approved",
        "Site survey",
        "Site surveyed",
        "Review by the city's departments",
    ]
    assert titles[5] == "News from the planners"
    assert sorted(titles[6:10]) == sorted(
        f"{name} signed off"
        for name in ("Urban construction", "Landscaping", "Traffic police", "Bus operator")
    )
    assert titles[10:] == ["Construction started"]
    timeline = _section(page, "timeline")
    assert "The kerb suits a stop." in timeline
    assert "Residents&#39; walk-through on Friday." in timeline
    for marker in INTERNAL_MARKERS:
        assert marker not in page  # not in the text, not in an attribute, not in a comment
    assert "MARKER" not in page


def test_stepper_marks_the_current_stage_in_words_and_shows_expected_dates(client, app_session):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    project = approve_request(app_session, planner)
    take_to_stage(app_session, project, planner, "coordination")
    finish_due = project.milestones_of(MilestoneKind.CONSTRUCTION_FINISH)[0].due_date

    page = _page(client, project.requests[0].reference)

    steps = _section(page, "project-stages")
    current = re.findall(r'<li[^>]*aria-current="step"[^>]*>(.*?)</li>', steps, re.DOTALL)
    assert len(current) == 1
    assert "Coordination with departments" in current[0] and "current stage" in current[0]
    assert steps.count(">done<") == 2 and steps.count(">to come<") == 2
    planned = _section(page, "planned-dates")
    assert "Construction expected to finish by" in planned
    assert f"{finish_due:%d %b %Y}" in planned
    assert 'id="service-summary"' not in page


def test_a_date_already_past_is_said_to_be_late_not_shown_as_still_expected(client, app_session):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    project = approve_request(app_session, planner)
    project.created_at = utc_now() - timedelta(days=200)  # approved long ago
    app_session.commit()
    take_to_stage(app_session, project, planner, "coordination")
    today = utc_now().date()
    finish = project.milestones_of(MilestoneKind.CONSTRUCTION_FINISH)[0]
    projects.set_due_date(
        app_session, finish.id, version_of(app_session, project), planner, today - timedelta(days=3)
    )

    planned = _section(_page(client, project.requests[0].reference), "planned-dates")

    assert "Construction was expected to finish by" in planned
    assert f"{today - timedelta(days=3):%d %b %Y}" in planned
    assert "Construction expected to start by" in planned  # still to come: as before


def test_stop_in_service_completes_the_request_and_shows_the_launch(client, app_session):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    project = approve_request(app_session, planner)

    take_to_stage(app_session, project, planner, "in_service")
    page = _page(client, project.requests[0].reference)

    expected = describe_launch(project.launch_routes, project.service_start_date)
    summary = _section(page, "service-summary")
    assert html.unescape(summary) == expected
    assert expected.startswith("In service from ") and "served by route 7." in expected
    app_session.expire_all()
    assert find_by_reference(app_session, project.requests[0].reference).status is (
        RequestStatus.COMPLETED
    )
    titles = _timeline_titles(page)
    assert titles.count("In service") == 1 and titles.count("Approved") == 1
    assert titles[-3:] == ["Construction finished", "Routes and start date set", "In service"]
    assert "Stop in service" in page  # the request's status badge
    assert 'id="planned-dates"' not in page
    assert re.search(r'aria-current="step"[^>]*>\s*<span class="stage-name">In service', page)
    assert "Kerb is wide enough." not in page  # take_to_stage's survey findings


def test_cancelled_project_shows_the_public_reason_and_the_request_back_in_review(
    client, app_session
):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    project = approve_request(app_session, planner)
    take_to_stage(app_session, project, planner, "site_survey")
    reason = "The street will be rebuilt in 2027; the stop moves with it."

    projects.cancel(app_session, project.id, version_of(app_session, project), planner, reason)
    page = _page(client, project.requests[0].reference)

    assert html.unescape(_section(page, "cancel-reason")) == reason
    assert "back with the planners" in page
    assert "Under review" in page  # the request's status badge
    titles = _timeline_titles(page)
    assert titles.count("Cancelled") == 1
    assert titles[-1] == "Cancelled"
    assert 'id="project-stages"' not in page and 'id="service-summary"' not in page
    assert 'id="feedback-form"' not in page


def test_every_linked_request_shows_the_same_project_milestones(client, app_session):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    first = file_request(app_session)
    neighbour = file_request(
        app_session, title="Stop by the kiosk", point=offset(RAILWAY_SQUARE, 90, 80)
    )
    project = decisions.approve(
        app_session, first.reference, first.version, planner, RAILWAY_SQUARE, link_radius_m=150
    )

    take_to_stage(app_session, project, planner, "site_survey")
    first_page = _page(client, first.reference)
    neighbour_page = _page(client, neighbour.reference)

    assert _timeline_titles(first_page) == ["Submitted", "Approved", "Site survey"]
    assert _timeline_titles(neighbour_page) == ["Submitted", "Approved", "Site survey"]
    assert f"Approved together with {first.reference}" in neighbour_page


def test_request_without_a_project_keeps_its_plain_timeline(client, app_session):
    add_service_area(app_session)
    filed = file_request(app_session)

    page = _page(client, filed.reference)

    assert _timeline_titles(page) == ["Submitted"]
    assert 'id="project-progress"' not in page and 'id="feedback"' not in page


# Pinned when reviewing stop projects (issue 5): each failed before its fix.


TODAY = utc_now().date()


def test_a_first_day_of_service_already_past_is_said_to_be_late(client, app_session):
    """Like the construction dates: a service start that has come and gone without the stop
    opening must not stand as if it still held."""
    from datetime import timedelta

    add_service_area(app_session)
    add_route(app_session, "7")
    planner = add_user(app_session, "planner")
    project = approve_request(app_session, planner)
    project.created_at = utc_now() - timedelta(days=200)  # approved long ago
    app_session.commit()
    take_to_stage(app_session, project, planner, "construction")
    past = TODAY - timedelta(days=5)
    projects.set_launch(
        app_session, project.id, version_of(app_session, project), planner, ["7"], past
    )

    page = client.get(f"/requests/{project.requests[0].reference}").get_data(as_text=True)
    planned = re.search(r'id="planned-dates"[^>]*>(.*?)</', page, re.DOTALL).group(1)

    assert "Service was planned to start on" in page
    assert f"{past:%d %b %Y}" in page
    assert "Service planned to start on" not in planned
