"""The JSON API and Open311 tell machines what the tracking page tells residents: the stop
project's public steps and where it stands, never what is for staff only."""

from __future__ import annotations

import pytest

from tests.factories import (
    add_route,
    add_service_area,
    add_user,
    approve_request,
    department_staff,
    take_to_stage,
)
from transitreq.models import utc_now
from transitreq.services.projects import sign_offs
from transitreq.services.projects import stages as projects

STAFF_ONLY = "Roots of the old lime tree run under the kerb"


@pytest.fixture
def project(app_session):
    add_service_area(app_session)
    add_route(app_session, "7")
    planner = add_user(app_session, "planner")
    project = take_to_stage(
        app_session, approve_request(app_session, planner), planner, "coordination"
    )
    staff = department_staff(app_session, "Landscaping")
    landscaping = next(s for s in project.sign_offs if s.owner_name == "Landscaping")
    sign_offs.decide_sign_off(
        app_session, landscaping.id, project.version, staff, "changes", STAFF_ONLY
    )
    projects.add_project_note(app_session, project.id, planner, f"Internal: {STAFF_ONLY}", False)
    sign_offs.reopen_sign_off(app_session, landscaping.id, project.version, planner, "Moved 3 m.")
    app_session.refresh(project)
    project.planner = planner
    return project


def test_the_json_api_timeline_carries_the_projects_public_steps(client, project):
    reference = project.requests[0].reference
    body = client.get(f"/api/requests/{reference}").get_json()

    assert body["project"] == {
        "stage": "coordination",
        "stage_label": "Coordination with departments",
        "launch_routes": [],
        "service_start_date": None,
        "service_summary": None,
        "cancel_reason": None,
    }
    project_steps = [
        (e["kind"], e["to_status"]) for e in body["timeline"] if e["source"] == "project"
    ]
    assert project_steps == [
        ("project_stage", "site_survey"),
        ("survey_done", None),
        ("project_stage", "coordination"),
    ]
    assert [e["at"] for e in body["timeline"]] == sorted(e["at"] for e in body["timeline"])
    assert STAFF_ONLY not in str(body)


def test_open311_status_notes_follow_the_project_and_close_in_service(app_session, client, project):
    reference = project.requests[0].reference
    [found] = client.get(f"/open311/v2/requests/{reference}.json").get_json()
    assert found["status"] == "open"
    assert found["status_notes"].startswith("Approved: The site is surveyed")
    assert STAFF_ONLY not in found["status_notes"]

    take_to_stage(app_session, project, project.planner, "in_service")

    [found] = client.get(f"/open311/v2/requests/{reference}.json").get_json()
    today = utc_now().date()
    assert found["status"] == "closed"
    assert found["status_notes"] == (
        f"Stop in service: In service from {today:%d %b %Y}, served by route 7."
    )
    body = client.get(f"/api/requests/{reference}").get_json()
    assert body["status"] == "completed"
    assert body["project"]["service_summary"] == (
        f"In service from {today:%d %b %Y}, served by route 7."
    )
