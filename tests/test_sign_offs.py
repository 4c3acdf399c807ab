"""Department sign-offs: each department decides its own and nobody else's, with reasons, and a
decision that crosses another change to the same project is refused instead of lost."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token_from
from tests.factories import (
    add_route,
    add_service_area,
    add_user,
    approve_request,
    department_staff,
    log_in_as,
    take_to_stage,
    version_of,
)
from transitreq.config import default_settings
from transitreq.db import make_engine, make_sessionmaker
from transitreq.errors import (
    NotPermitted,
    StaleDecision,
    TransitionRefused,
    ValidationFailed,
)
from transitreq.models import (
    Audience,
    Event,
    Milestone,
    MilestoneState,
    ProjectStage,
    StopProject,
    User,
    utc_now,
)
from transitreq.sentences import event_text
from transitreq.services.context import SETTINGS_KEY
from transitreq.services.projects import sign_offs
from transitreq.services.projects import stages as projects


@pytest.fixture
def planner(session):
    add_service_area(session)
    add_route(session, "7")
    return add_user(session, "planner")


@pytest.fixture
def coordinating(session, planner) -> StopProject:
    return take_to_stage(session, approve_request(session, planner), planner, "coordination")


def _sign_off(project: StopProject, department: str) -> Milestone:
    return next(s for s in project.sign_offs if s.owner_name == department)


def _snapshot(session, milestone_id: int) -> tuple:
    session.expire_all()
    milestone = session.get(Milestone, milestone_id)
    events = session.scalar(select(func.count(Event.id)))
    return milestone.state, milestone.done_date, milestone.notes, milestone.project.version, events


@pytest.mark.parametrize(
    ("decision", "state", "audience"),
    [
        ("approve", MilestoneState.APPROVED, Audience.PUBLIC),
        ("changes", MilestoneState.CHANGES_REQUESTED, Audience.INTERNAL),
        ("refuse", MilestoneState.REFUSED, Audience.INTERNAL),
    ],
)
def test_department_staff_decide_their_own_sign_off(
    session, coordinating, decision, state, audience
):
    staff = department_staff(session, "Traffic police")
    police = _sign_off(coordinating, "Traffic police")

    sign_offs.decide_sign_off(
        session, police.id, coordinating.version, staff, decision, "Move it 5 m past the crossing."
    )

    session.expire_all()
    decided = session.get(Milestone, police.id)
    assert decided.state is state
    assert decided.decided_by_user_id == staff.id
    assert (decided.done_date is not None) == (state is MilestoneState.APPROVED)
    event = session.scalars(
        select(Event).where(Event.project_id == coordinating.id).order_by(Event.id.desc())
    ).first()
    assert event.audience is audience
    assert event.actor == staff.name
    assert "Traffic police" in event_text(event)


@pytest.mark.parametrize("decision", ["changes", "refuse"])
def test_asking_for_changes_or_refusing_needs_a_reason(session, coordinating, decision):
    staff = department_staff(session, "Landscaping")
    landscaping = _sign_off(coordinating, "Landscaping")
    before = _snapshot(session, landscaping.id)
    with pytest.raises(ValidationFailed) as refusal:
        sign_offs.decide_sign_off(
            session, landscaping.id, coordinating.version, staff, decision, ""
        )
    assert "reason" in refusal.value.fields
    assert _snapshot(session, landscaping.id) == before


def _outsider(session, kind: str) -> User:
    if kind == "other department":
        return department_staff(session, "Landscaping")
    if kind == "department without a department":
        staff = department_staff(session, "Bus operator")
        staff.department_id = None
        session.commit()
        return staff
    return add_user(session, kind)


@pytest.mark.parametrize(
    "outsider", ["other department", "planner", "admin", "department without a department"]
)
def test_nobody_else_can_decide_a_departments_sign_off(session, coordinating, outsider):
    user = _outsider(session, outsider)
    police = _sign_off(coordinating, "Traffic police")
    before = _snapshot(session, police.id)
    with pytest.raises(NotPermitted):
        sign_offs.decide_sign_off(session, police.id, coordinating.version, user, "approve")
    assert _snapshot(session, police.id) == before


def test_department_staff_see_only_their_own_departments_sign_offs(session, planner, coordinating):
    second = approve_request(session, planner, title="Stop at the library")
    staff = department_staff(session, "Landscaping")
    visible = sign_offs.visible_sign_offs(session, staff)
    assert {milestone.project_id for milestone in visible} == {coordinating.id, second.id}
    assert {milestone.owner_name for milestone in visible} == {"Landscaping"}
    # The one waiting for a decision comes first, though the other project is newer.
    assert [milestone.project_id for milestone in visible] == [coordinating.id, second.id]
    assert sign_offs.visible_sign_offs(session, planner) == []


def test_sign_offs_are_decided_only_during_coordination(session, planner):
    project = take_to_stage(session, approve_request(session, planner), planner, "site_survey")
    staff = department_staff(session, "Landscaping")
    with pytest.raises(TransitionRefused, match="during coordination"):
        sign_offs.decide_sign_off(
            session, _sign_off(project, "Landscaping").id, project.version, staff, "approve"
        )


def test_a_planner_asks_a_department_again_after_changes(session, planner, coordinating):
    staff = department_staff(session, "Landscaping")
    landscaping = _sign_off(coordinating, "Landscaping")
    sign_offs.decide_sign_off(
        session, landscaping.id, coordinating.version, staff, "changes", "Keep the lime tree."
    )
    with pytest.raises(NotPermitted):
        sign_offs.reopen_sign_off(
            session, landscaping.id, coordinating.version, staff, "I approve myself."
        )
    session.refresh(coordinating)
    sign_offs.reopen_sign_off(
        session, landscaping.id, coordinating.version, planner, "Shelter moved 3 m east."
    )
    session.expire_all()
    assert session.get(Milestone, landscaping.id).state is MilestoneState.PENDING


def test_the_required_departments_come_from_the_deployments_settings(session, planner):
    session.info[SETTINGS_KEY] = default_settings(REQUIRED_SIGN_OFFS="Fire brigade,Landscaping")
    try:
        project = approve_request(session, planner)
    finally:
        del session.info[SETTINGS_KEY]
    assert [s.owner_name for s in project.sign_offs] == ["Fire brigade", "Landscaping"]


def test_a_sign_off_crossing_a_stage_move_is_refused_not_lost(session, database_url, planner):
    """Two people, two sessions: the planner cancels while the department still looks at the
    project as it was; the department's decision must not land on a cancelled project."""
    project = take_to_stage(session, approve_request(session, planner), planner, "coordination")
    staff = department_staff(session, "Landscaping")
    landscaping = _sign_off(project, "Landscaping")
    seen_version = project.version

    projects.cancel(session, project.id, seen_version, planner, "The street is being rebuilt.")

    engine = make_engine(database_url)
    other = make_sessionmaker(engine)()
    try:
        with pytest.raises(StaleDecision):
            sign_offs.decide_sign_off(
                other, landscaping.id, seen_version, other.merge(staff), "approve"
            )
    finally:
        other.close()
        engine.dispose()
    session.expire_all()
    assert session.get(Milestone, landscaping.id).state is MilestoneState.PENDING
    assert session.get(StopProject, project.id).status is ProjectStage.CANCELLED


def test_construction_starts_once_every_department_signed_off(session, planner, coordinating):
    for sign_off in coordinating.sign_offs:
        staff = department_staff(session, sign_off.owner_name)
        session.refresh(coordinating)
        sign_offs.decide_sign_off(session, sign_off.id, coordinating.version, staff, "approve")
    session.refresh(coordinating)
    projects.start_construction(
        session, coordinating.id, coordinating.version, planner, utc_now().date()
    )
    session.expire_all()
    assert session.get(StopProject, coordinating.id).status is ProjectStage.CONSTRUCTION


# Pinned when reviewing stop projects (issue 5): each failed before its fix.


APPROVAL_REASON = "Only if the bin by lamp post 14 goes; our budget line 7731 covers it"


def test_a_departments_reason_for_approving_stays_off_every_public_surface(client, app_session):
    """The sign-off form says the reason is for the planners; approving with one must not put
    it on the residents' timeline, the JSON API or Open311."""
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    project = take_to_stage(
        app_session, approve_request(app_session, planner), planner, "coordination"
    )
    reference = project.requests[0].reference
    staff = department_staff(app_session, "Traffic police")
    police = next(s for s in project.sign_offs if s.owner_name == "Traffic police")
    log_in_as(client, staff)
    page = client.get("/departments/").get_data(as_text=True)
    assert "the planners read it" in page

    decided = client.post(
        f"/departments/sign-offs/{police.id}",
        data={
            "csrf_token": csrf_token_from(page),
            "version": str(version_of(app_session, project)),
            "decision": "approve",
            "reason": APPROVAL_REASON,
        },
    )
    assert decided.status_code == 303
    client.post("/logout", data={"csrf_token": csrf_token_from(page)})

    tracking = client.get(f"/requests/{reference}").get_data(as_text=True)
    api = client.get(f"/api/requests/{reference}").get_data(as_text=True)
    open311 = client.get(f"/open311/v2/requests/{reference}.json").get_data(as_text=True)
    assert "Traffic police signed off" in tracking  # the approval itself is public
    for public in (tracking, api, open311):
        assert "lamp post 14" not in public and "7731" not in public
    # The planners still read it, on the project page.
    log_in_as(client, planner)
    assert APPROVAL_REASON in client.get(f"/planning/projects/{project.id}").get_data(as_text=True)
