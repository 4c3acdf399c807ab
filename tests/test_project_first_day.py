"""A stop is in service from its first day of service, not from the day a planner clicks.

Pins the bug where a first day of 15 December set on 1 December showed residents "Stop in
service" at once. The day arriving is played by moving the planned first day to today in the
database (the clock itself cannot be moved under a real database server), which is what the
world looks like on that morning.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.factories import (
    add_route,
    add_service_area,
    add_user,
    approve_request,
    take_to_stage,
    version_of,
)
from tests.smtp_server import mail_app
from transitreq.errors import TransitionRefused
from transitreq.models import (
    Event,
    MilestoneKind,
    MilestoneState,
    OutboundEmail,
    ProjectStage,
    RequestStatus,
    StopProject,
    StopRequest,
    User,
    utc_now,
)
from transitreq.services.projects import stages as projects
from transitreq.services.projects.advance import _advance_one, advance_due_projects

P = ProjectStage


@pytest.fixture
def app(database_url, tmp_path, inbox):
    app = mail_app(database_url, str(tmp_path / "instance"), inbox.port)
    yield app
    app.extensions["transitreq.engine"].dispose()


def _launched_ahead(session, days_ahead: int = 14) -> tuple[StopProject, User]:
    """A project built and signed off, whose first day of service is ``days_ahead`` away."""
    add_service_area(session)
    add_route(session, "7")
    planner = add_user(session, "planner")
    project = approve_request(
        session, planner, reporter_contact="aino@example.org", notify_progress=True
    )
    take_to_stage(session, project, planner, "construction")
    today = utc_now().date()
    projects.finish_construction(session, project.id, version_of(session, project), planner, today)
    projects.set_launch(
        session,
        project.id,
        version_of(session, project),
        planner,
        ["7"],
        today + timedelta(days=days_ahead),
    )
    return project, planner


def _the_day_comes(session, project: StopProject) -> None:
    session.execute(
        update(StopProject)
        .where(StopProject.id == project.id)
        .values(service_start_date=utc_now().date())
    )
    session.commit()
    session.expire_all()


def _in_service_events(session, project_id: int) -> int:
    return session.scalar(
        select(func.count(Event.id)).where(
            Event.project_id == project_id, Event.to_status == P.IN_SERVICE.value
        )
    )


def _in_service_mail(session) -> list[OutboundEmail]:
    session.expire_all()
    return [m for m in session.scalars(select(OutboundEmail)) if "in service" in m.subject]


def test_a_planner_cannot_open_the_stop_before_its_first_day(app, app_session, client):
    project, planner = _launched_ahead(app_session)
    first_day = project.service_start_date

    with pytest.raises(TransitionRefused) as refusal:
        projects.put_in_service(app_session, project.id, version_of(app_session, project), planner)
    assert f"Service starts on {first_day:%d %b %Y}" in refusal.value.message
    assert "enters service by itself" in refusal.value.message
    app_session.expire_all()
    assert app_session.get(StopProject, project.id).status is P.CONSTRUCTION
    assert _in_service_mail(app_session) == []

    # Residents read that it is planned, not in service, everywhere they look.
    reference = project.requests[0].reference
    page = client.get(f"/requests/{reference}").get_data(as_text=True)
    assert "Stop in service" not in page
    assert "Service planned to start on" in page and f"{first_day:%d %b %Y}" in page
    (status,) = client.get(f"/open311/v2/requests/{reference}.json").get_json()
    assert status["status"] == "open"


def test_advance_projects_opens_the_stop_on_its_first_day_once(app, app_session):
    project, _planner = _launched_ahead(app_session)
    runner = app.test_cli_runner()

    before = runner.invoke(args=["advance-projects"])
    assert before.exit_code == 0 and "0 stop project(s) entered service" in before.output
    _the_day_comes(app_session, project)

    moved = runner.invoke(args=["advance-projects"])
    again = runner.invoke(args=["advance-projects"])

    assert moved.exit_code == 0 and f"1 stop project(s) entered service: {project.id}." in (
        moved.output
    )
    assert "0 stop project(s)" in again.output
    app_session.expire_all()
    opened = app_session.get(StopProject, project.id)
    assert opened.status is P.IN_SERVICE and opened.closed_at is not None
    assert opened.requests[0].status is RequestStatus.COMPLETED
    assert _in_service_events(app_session, project.id) == 1
    (event,) = [e for e in opened.events if e.to_status == P.IN_SERVICE.value]
    assert event.actor == "system" and event.user_id is None
    # The resident's e-mail is queued the day it opens, once.
    assert [m.recipient for m in _in_service_mail(app_session)] == ["aino@example.org"]


def test_the_first_view_after_the_first_day_opens_the_stop(app, app_session, client):
    project, _planner = _launched_ahead(app_session)
    reference = project.requests[0].reference
    _the_day_comes(app_session, project)

    page = client.get(f"/requests/{reference}").get_data(as_text=True)

    assert "Stop in service" in page
    app_session.expire_all()
    assert app_session.get(StopRequest, project.requests[0].id).status is RequestStatus.COMPLETED
    client.get(f"/requests/{reference}")
    assert _in_service_events(app_session, project.id) == 1


def test_two_workers_opening_the_same_stop_write_it_once(app, app_session):
    """Both load the project before either writes; the loser's conditional UPDATE matches no
    row, and it rolls back without a second event or e-mail."""
    project, _planner = _launched_ahead(app_session)
    _the_day_comes(app_session, project)
    sessions = app.extensions["transitreq.sessionmaker"]
    first, second = sessions(), sessions()
    try:
        today = utc_now().date()
        first.get(StopProject, project.id).requests  # noqa: B018 - loaded, as a worker would
        second.get(StopProject, project.id).requests  # noqa: B018
        assert _advance_one(first, project.id, today) is True
        assert advance_due_projects(second) == []
        try:
            _advance_one(second, project.id, today)
        except Exception as lost:  # the race is lost loudly or quietly, never written twice
            assert type(lost).__name__ in ("StaleDecision", "OperationalError")
            second.rollback()
    finally:
        first.close()
        second.close()
    assert _in_service_events(app_session, project.id) == 1
    assert len(_in_service_mail(app_session)) == 1


def test_a_project_not_finished_is_not_opened_by_its_date(app, app_session):
    project, _planner = _launched_ahead(app_session, days_ahead=0)
    for finish in project.milestones_of(MilestoneKind.CONSTRUCTION_FINISH):
        finish.state, finish.done_date = MilestoneState.PENDING, None
    app_session.commit()

    assert advance_due_projects(app_session) == []
    app_session.expire_all()
    assert app_session.get(StopProject, project.id).status is P.CONSTRUCTION
