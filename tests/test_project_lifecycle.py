"""A stop project's life: every stage move allowed and refused, what each stage needs first,
and what going into service or being cancelled does to the requests that asked for the stop."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import (
    PNG_PIXEL,
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
from transitreq.errors import NotPermitted, TransitionRefused, ValidationFailed
from transitreq.models import (
    Event,
    MilestoneKind,
    MilestoneState,
    OutboundEmail,
    ProjectStage,
    RequestStatus,
    StopProject,
    utc_now,
)
from transitreq.sentences import event_text
from transitreq.services.projects import sign_offs
from transitreq.services.projects import stages as projects
from transitreq.services.projects.rules import ALLOWED_STAGES, check_move
from transitreq.services.requests import decisions

P = ProjectStage
TODAY = utc_now().date()
STAGES = list(ProjectStage)

# Written out by hand rather than read from project_rules, so the test checks the table.
EXPECTED_MOVES = {
    (P.APPROVED, P.SITE_SURVEY),
    (P.APPROVED, P.CANCELLED),
    (P.SITE_SURVEY, P.COORDINATION),
    (P.SITE_SURVEY, P.CANCELLED),
    (P.COORDINATION, P.SITE_SURVEY),
    (P.COORDINATION, P.CONSTRUCTION),
    (P.COORDINATION, P.CANCELLED),
    (P.CONSTRUCTION, P.IN_SERVICE),
    (P.CONSTRUCTION, P.CANCELLED),
}


@pytest.fixture
def planner(session):
    add_service_area(session)
    add_route(session, "7")
    return add_user(session, "planner")


def _project_at(session, planner, stage: ProjectStage) -> StopProject:
    project = approve_request(session, planner)
    if stage is P.CANCELLED:
        return projects.cancel(session, project.id, project.version, planner, "Road rebuilt.")
    return take_to_stage(session, project, planner, stage.value)


def _prepare_for(session, project, planner, to_stage: ProjectStage) -> None:
    """Do what ``to_stage`` needs first, where the project's stage lets it be done."""
    today = utc_now().date()
    if to_stage is P.COORDINATION and project.status is P.SITE_SURVEY:
        projects.record_survey(
            session, project.id, version_of(session, project), planner, today, "Wide kerb."
        )
    if to_stage is P.IN_SERVICE and project.status is P.CONSTRUCTION:
        projects.finish_construction(
            session, project.id, version_of(session, project), planner, today
        )
        projects.set_launch(
            session, project.id, version_of(session, project), planner, ["7"], today
        )
    if to_stage is P.CONSTRUCTION and project.status is P.COORDINATION:
        sign_all(session, project)


def _move(session, project, planner, to_stage: ProjectStage) -> None:
    """Ask for ``to_stage`` through the use case a planner would use for it."""
    version = version_of(session, project)
    today = utc_now().date()
    if to_stage is P.SITE_SURVEY and project.status is P.COORDINATION:
        projects.resurvey(session, project.id, version, planner, "The kerb must move 2 m.")
    elif to_stage is P.SITE_SURVEY:
        projects.start_survey(session, project.id, version, planner)
    elif to_stage is P.COORDINATION:
        projects.start_coordination(session, project.id, version, planner)
    elif to_stage is P.CONSTRUCTION:
        projects.start_construction(session, project.id, version, planner, today)
    elif to_stage is P.IN_SERVICE:
        projects.put_in_service(session, project.id, version, planner)
    elif to_stage is P.CANCELLED:
        projects.cancel(session, project.id, version, planner, "The street is being rebuilt.")
    else:
        # No use case leads back to "approved"; the rules themselves must refuse it.
        check_move(project, to_stage, utc_now().date())


def test_the_table_in_the_code_is_the_one_documented_here():
    coded = {(source, target) for source, targets in ALLOWED_STAGES.items() for target in targets}
    assert coded == EXPECTED_MOVES


@pytest.mark.parametrize("from_stage", STAGES, ids=lambda stage: stage.value)
@pytest.mark.parametrize("to_stage", STAGES, ids=lambda stage: stage.value)
def test_every_stage_move_is_allowed_or_refused_as_the_table_says(
    session, planner, from_stage, to_stage
):
    project = _project_at(session, planner, from_stage)
    assert project.status is from_stage
    _prepare_for(session, project, planner, to_stage)
    events_before = session.scalar(select(func.count(Event.id)))
    version_before = version_of(session, project)

    if (from_stage, to_stage) in EXPECTED_MOVES:
        _move(session, project, planner, to_stage)
        session.expire_all()
        assert session.get(StopProject, project.id).status is to_stage
        stage_event = session.scalars(
            select(Event)
            .where(Event.project_id == project.id, Event.kind == "project_stage")
            .order_by(Event.id.desc())
        ).first()
        assert (stage_event.from_status, stage_event.to_status) == (from_stage, to_stage)
        assert stage_event.actor == planner.name
    else:
        with pytest.raises(TransitionRefused):
            _move(session, project, planner, to_stage)
        session.expire_all()
        unchanged = session.get(StopProject, project.id)
        assert unchanged.status is from_stage
        assert unchanged.version == version_before
        assert session.scalar(select(func.count(Event.id))) == events_before


def test_coordination_waits_for_a_recorded_survey(session, planner):
    project = take_to_stage(session, approve_request(session, planner), planner, "site_survey")
    with pytest.raises(TransitionRefused, match="site survey's findings"):
        projects.start_coordination(session, project.id, project.version, planner)


@pytest.mark.parametrize("decision", ["changes", "refuse", None])
def test_construction_waits_for_every_sign_off_and_names_the_missing_one(
    session, planner, decision
):
    project = take_to_stage(session, approve_request(session, planner), planner, "coordination")
    *others, police = [s for s in project.sign_offs]
    assert police.owner_name == "Bus operator"  # the last of the default list
    for sign_off in others:
        staff = department_staff(session, sign_off.owner_name)
        sign_offs.decide_sign_off(
            session, sign_off.id, version_of(session, project), staff, "approve"
        )
    if decision:
        staff = department_staff(session, police.owner_name)
        sign_offs.decide_sign_off(
            session, police.id, version_of(session, project), staff, decision, "Shelter too wide."
        )
    with pytest.raises(TransitionRefused, match="sign-off of Bus operator"):
        projects.start_construction(
            session, project.id, version_of(session, project), planner, utc_now().date()
        )
    assert session.get(StopProject, project.id).status is P.COORDINATION


def test_going_into_service_needs_every_sign_off_even_if_one_was_withdrawn_later(session, planner):
    """The service layer itself checks sign-offs at the last step, not only at construction."""
    project = take_to_stage(session, approve_request(session, planner), planner, "construction")
    today = utc_now().date()
    projects.finish_construction(session, project.id, version_of(session, project), planner, today)
    projects.set_launch(session, project.id, version_of(session, project), planner, ["7"], today)
    withdrawn = project.sign_offs[1]
    withdrawn.state, withdrawn.done_date = MilestoneState.REFUSED, None
    session.commit()

    with pytest.raises(TransitionRefused, match="Landscaping"):
        projects.put_in_service(session, project.id, version_of(session, project), planner)
    assert session.get(StopProject, project.id).status is P.CONSTRUCTION


def test_going_into_service_needs_construction_finished_and_a_launch(session, planner):
    project = take_to_stage(session, approve_request(session, planner), planner, "construction")
    with pytest.raises(TransitionRefused) as refusal:
        projects.put_in_service(session, project.id, project.version, planner)
    assert "construction finished" in refusal.value.message
    assert "routes that will call here" in refusal.value.message


def test_in_service_completes_every_linked_request_and_says_when_and_which_routes(session, planner):
    add_route(session, "12")
    first = file_request(session, title="By the station")
    second = file_request(session, title="By the kiosk", point=offset(RAILWAY_SQUARE, 90, 120))
    elsewhere = file_request(session, title="By the museum", point=offset(RAILWAY_SQUARE, 0, 900))
    project = decisions.approve(
        session, first.reference, first.version, planner, RAILWAY_SQUARE, link_radius_m=200
    )
    project = take_to_stage(session, project, planner, "construction")
    start = utc_now().date()
    projects.finish_construction(
        session, project.id, version_of(session, project), planner, utc_now().date()
    )
    projects.set_launch(
        session, project.id, version_of(session, project), planner, ["7", "12"], start
    )
    projects.put_in_service(session, project.id, version_of(session, project), planner)

    session.expire_all()
    expected = f"In service from {start:%d %b %Y}, served by routes 7 and 12."
    for linked in (first, second):
        stop_request = session.get(type(first), linked.id)
        assert stop_request.status is RequestStatus.COMPLETED
        assert stop_request.events[-1].kind == "completed"
        assert event_text(stop_request.events[-1]) == expected
    assert session.get(type(first), elsewhere.id).status is RequestStatus.SUBMITTED
    assert session.get(StopProject, project.id).closed_at is not None


def test_cancelling_sends_linked_requests_back_to_review_with_the_public_reason(session, planner):
    project = take_to_stage(session, approve_request(session, planner), planner, "coordination")
    with pytest.raises(ValidationFailed) as missing:
        projects.cancel(session, project.id, project.version, planner, "  ")
    assert "reason" in missing.value.fields

    projects.cancel(session, project.id, project.version, planner, "The road is being rebuilt.")
    session.expire_all()
    cancelled = session.get(StopProject, project.id)
    assert cancelled.status is P.CANCELLED
    assert cancelled.cancel_reason == "The road is being rebuilt."
    stop_request = cancelled.requests[0]
    assert stop_request.status is RequestStatus.UNDER_REVIEW
    assert "The road is being rebuilt." in event_text(stop_request.events[-1])


def test_approval_plans_the_configured_milestones_with_due_dates(session, planner):
    project = approve_request(session, planner)
    today = utc_now().date()
    plan = [(m.kind, m.owner_name, (m.due_date - today).days) for m in project.milestones]
    assert plan == [
        (MilestoneKind.SITE_SURVEY, "Transit planning", 30),
        (MilestoneKind.SIGN_OFF, "Urban construction", 60),
        (MilestoneKind.SIGN_OFF, "Landscaping", 60),
        (MilestoneKind.SIGN_OFF, "Traffic police", 60),
        (MilestoneKind.SIGN_OFF, "Bus operator", 60),
        (MilestoneKind.CONSTRUCTION_START, "Urban construction", 90),
        (MilestoneKind.CONSTRUCTION_FINISH, "Urban construction", 150),
        (MilestoneKind.LAUNCH, "Bus operator", 180),
    ]
    assert all(
        m.state is MilestoneState.PENDING and m.done_date is None for m in project.milestones
    )


def test_done_dates_cannot_be_in_the_future_or_before_the_approval(session, planner):
    project = take_to_stage(session, approve_request(session, planner), planner, "site_survey")
    today = utc_now().date()
    for day in (today + timedelta(days=1), today - timedelta(days=3)):
        with pytest.raises(ValidationFailed) as refusal:
            projects.record_survey(session, project.id, project.version, planner, day, "Kerb.")
        assert "surveyed_on" in refusal.value.fields
    assert not any(survey.is_done for survey in project.milestones_of(MilestoneKind.SITE_SURVEY))


def test_survey_photos_must_be_images_and_are_stored_with_their_type(session, planner):
    project = take_to_stage(session, approve_request(session, planner), planner, "site_survey")
    today = utc_now().date()
    fake = projects.PhotoUpload("notes.png", b"<script>alert(1)</script>")
    with pytest.raises(ValidationFailed, match="notes.png is not a JPEG, PNG or WebP"):
        projects.record_survey(
            session, project.id, project.version, planner, today, "Kerb.", [fake]
        )
    survey = projects.record_survey(
        session,
        project.id,
        project.version,
        planner,
        today,
        "Kerb.",
        [projects.PhotoUpload("kerb.png", PNG_PIXEL)],
    )
    session.expire_all()
    [photo] = session.get(type(survey), survey.id).photos
    assert (photo.filename, photo.content_type, photo.data) == ("kerb.png", "image/png", PNG_PIXEL)


def test_a_launch_names_real_routes_and_happens_before_service(session, planner):
    project = take_to_stage(session, approve_request(session, planner), planner, "coordination")
    today = utc_now().date()
    for routes, message in (([], "at least one route"), (["7", "99X"], "No route is called 99X")):
        with pytest.raises(ValidationFailed, match=message):
            projects.set_launch(session, project.id, project.version, planner, routes, today)
    projects.set_launch(session, project.id, project.version, planner, ["7", " 7 "], today)
    session.refresh(project)
    assert project.launch_routes == ["7"]
    assert project.milestones_of(MilestoneKind.LAUNCH)[0].is_done


def test_construction_cannot_finish_before_it_started(session, planner):
    project = take_to_stage(session, approve_request(session, planner), planner, "construction")
    today = utc_now().date()
    project.created_at = utc_now() - timedelta(days=30)
    project.milestones_of(MilestoneKind.CONSTRUCTION_START)[0].done_date = today - timedelta(days=2)
    session.commit()
    with pytest.raises(ValidationFailed, match="before it started"):
        projects.finish_construction(
            session, project.id, project.version, planner, today - timedelta(days=3)
        )
    projects.finish_construction(
        session, project.id, project.version, planner, today - timedelta(days=2)
    )
    assert project.milestones_of(MilestoneKind.CONSTRUCTION_FINISH)[0].done_date == (
        today - timedelta(days=2)
    )


def test_overdue_means_due_in_the_past_not_done_and_the_project_still_open(session, planner):
    project = approve_request(session, planner)
    survey, first_sign_off = project.milestones[0], project.milestones[1]
    today = utc_now().date()
    project.created_at = utc_now() - timedelta(days=40)  # approved weeks ago
    session.commit()
    projects.set_due_date(session, survey.id, project.version, planner, today - timedelta(days=1))
    assert survey.is_overdue(today)
    assert not first_sign_off.is_overdue(today)
    assert not survey.is_overdue(today - timedelta(days=1))  # due that very day: not yet late

    projects.cancel(session, project.id, version_of(session, project), planner, "No longer needed.")
    assert not survey.is_overdue(today)
    audit = [event_text(e) for e in project.events if e.kind == "due_date_changed"]
    assert audit and "Site survey: due" in audit[0]


def test_only_planners_move_projects(session, planner):
    project = approve_request(session, planner)
    staff = department_staff(session, "Landscaping")
    with pytest.raises(NotPermitted):
        projects.start_survey(session, project.id, project.version, staff)
    assert session.get(StopProject, project.id).status is P.APPROVED


def test_public_milestones_queue_mail_and_internal_ones_do_not(session, planner):
    project = take_to_stage(session, approve_request(session, planner), planner, "coordination")
    queued = session.scalar(select(func.count(OutboundEmail.id)))
    staff = department_staff(session, "Landscaping")
    landscaping = next(s for s in project.sign_offs if s.owner_name == "Landscaping")
    sign_offs.decide_sign_off(
        session, landscaping.id, project.version, staff, "refuse", "Roots of the old lime tree."
    )
    projects.add_project_note(session, project.id, planner, "Call the contractor.", public=False)
    assert session.scalar(select(func.count(OutboundEmail.id))) == queued
    # The receipt on filing, then approval, survey begun, surveyed and coordination: four
    # milestones for the one opted-in reporter; a refusal is for staff and sends nothing.
    subjects = session.scalars(select(OutboundEmail.subject).order_by(OutboundEmail.id)).all()
    assert [subject.split(": ", 1)[1] for subject in subjects] == [
        "your request is received",
        "a new stop is approved",
        "the site survey has begun",
        "the site has been surveyed",
        "the city's departments are reviewing the stop",
    ]
    staff = department_staff(session, "Traffic police")
    police = next(s for s in project.sign_offs if s.owner_name == "Traffic police")
    sign_offs.decide_sign_off(session, police.id, version_of(session, project), staff, "approve")
    last = session.scalars(select(OutboundEmail).order_by(OutboundEmail.id.desc())).first()
    assert last.subject.endswith(": a city department has signed off the stop")
    assert "Traffic police signed off." in last.body


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_today_is_the_citys_today_not_utcs(session, planner, zone):
    """UTC+14 and UTC-11: at most hours of the day one of them is on another date than UTC,
    and staff there must record what happened "today" in their own calendar."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from transitreq.config import default_settings
    from transitreq.services.context import SETTINGS_KEY

    session.info[SETTINGS_KEY] = default_settings(TIMEZONE=zone)
    try:
        local_today = datetime.now(ZoneInfo(zone)).date()
        project = approve_request(session, planner)
        assert project.milestones[0].due_date == local_today + timedelta(days=30)
        take_to_stage(session, project, planner, "site_survey", today=local_today)
        survey = projects.record_survey(
            session, project.id, version_of(session, project), planner, local_today, "Kerb."
        )
        assert survey.done_date == local_today
        with pytest.raises(ValidationFailed, match="still to come"):
            projects.record_survey(
                session,
                project.id,
                version_of(session, project),
                planner,
                local_today + timedelta(days=1),
                "Kerb.",
            )
    finally:
        del session.info[SETTINGS_KEY]


# Pinned when reviewing stop projects (issue 5): each failed before its fix.


def test_coordination_after_a_resurvey_waits_for_the_new_survey(session, planner):
    project = take_to_stage(session, approve_request(session, planner), planner, "coordination")
    projects.resurvey(
        session, project.id, version_of(session, project), planner, "The kerb moves 2 m."
    )

    with pytest.raises(TransitionRefused, match="site survey's findings"):
        projects.start_coordination(session, project.id, version_of(session, project), planner)

    projects.record_survey(
        session, project.id, version_of(session, project), planner, TODAY, "New kerb line is fine."
    )
    projects.start_coordination(session, project.id, version_of(session, project), planner)
    session.refresh(project)
    assert project.status is ProjectStage.COORDINATION


def test_construction_finishes_once_and_residents_are_mailed_once(session, planner):
    project = take_to_stage(session, approve_request(session, planner), planner, "construction")
    projects.finish_construction(session, project.id, version_of(session, project), planner, TODAY)
    mailed = session.scalar(select(func.count()).select_from(OutboundEmail))
    version = version_of(session, project)

    with pytest.raises(TransitionRefused):
        projects.finish_construction(session, project.id, version, planner, TODAY)

    session.expire_all()
    assert session.scalar(select(func.count()).select_from(OutboundEmail)) == mailed
    assert version_of(session, project) == version
