"""Defects found reviewing issue 5 (stop projects tracked to completion), each pinned by a test
that failed before its fix. Database tests run on SpatiaLite and PostGIS like the rest."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, func, select

from tests.conftest import csrf_token_from
from tests.factories import (
    STAFF_PASSWORD,
    add_route,
    add_service_area,
    add_user,
    approve_request,
    department_staff,
    log_in,
    take_to_stage,
)
from tests.smtp_server import Inbox, free_port
from transitreq.errors import TransitionRefused
from transitreq.models import OutboundEmail, ProjectStage, utc_now
from transitreq.services import projects
from transitreq.services.mailer import SmtpSettings, deliver_pending

TODAY = utc_now().date()


def _log_in_as(client, user) -> None:
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": user.email, "password": STAFF_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303


def _version(session, project) -> int:
    session.refresh(project)
    return project.version


# A department's reason is for the planners -----------------------------------------------------

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
    _log_in_as(client, staff)
    page = client.get("/departments/").get_data(as_text=True)
    assert "the planners read it" in page

    decided = client.post(
        f"/departments/sign-offs/{police.id}",
        data={
            "csrf_token": csrf_token_from(page),
            "version": str(_version(app_session, project)),
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
    _log_in_as(client, planner)
    assert APPROVAL_REASON in client.get(f"/planning/projects/{project.id}").get_data(as_text=True)


# State machine ----------------------------------------------------------------------------------


@pytest.fixture
def planner(session):
    add_service_area(session)
    add_route(session, "7")
    return add_user(session, "planner")


def test_coordination_after_a_resurvey_waits_for_the_new_survey(session, planner):
    project = take_to_stage(session, approve_request(session, planner), planner, "coordination")
    projects.resurvey(
        session, project.id, _version(session, project), planner, "The kerb moves 2 m."
    )

    with pytest.raises(TransitionRefused, match="site survey's findings"):
        projects.start_coordination(session, project.id, _version(session, project), planner)

    projects.record_survey(
        session, project.id, _version(session, project), planner, TODAY, "New kerb line is fine."
    )
    projects.start_coordination(session, project.id, _version(session, project), planner)
    session.refresh(project)
    assert project.status is ProjectStage.COORDINATION


def test_construction_finishes_once_and_residents_are_mailed_once(session, planner):
    project = take_to_stage(session, approve_request(session, planner), planner, "construction")
    projects.finish_construction(session, project.id, _version(session, project), planner, TODAY)
    mailed = session.scalar(select(func.count()).select_from(OutboundEmail))
    version = _version(session, project)

    with pytest.raises(TransitionRefused):
        projects.finish_construction(session, project.id, version, planner, TODAY)

    session.expire_all()
    assert session.scalar(select(func.count()).select_from(OutboundEmail)) == mailed
    assert _version(session, project) == version


# Bad input is a clear answer, never a 500 ---------------------------------------------------------

TOO_BIG = "9" * 25
# One past what PostgreSQL's INTEGER id columns hold.
PAST_INT4 = str(2**31)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/planning/projects/{TOO_BIG}"),
        ("get", f"/planning/projects/{PAST_INT4}"),
        ("get", f"/staff/photos/{PAST_INT4}"),
        ("post", f"/planning/projects/{TOO_BIG}/notes"),
        ("post", "/planning/projects/{project}/milestones/" + TOO_BIG + "/due"),
        ("post", "/planning/projects/{project}/sign-offs/" + TOO_BIG + "/reopen"),
        ("get", f"/staff/photos/{TOO_BIG}"),
        ("post", f"/planning/feedback/{TOO_BIG}/publish"),
    ],
)
def test_ids_larger_than_any_row_are_404_not_500(client, app_session, method, path):
    add_service_area(app_session)
    planner = log_in(client, app_session)
    project = approve_request(app_session, planner)
    page = client.get(f"/planning/projects/{project.id}").get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(page), "version": "1", "text": "x", "due_date": ""}

    response = getattr(client, method)(path.format(project=project.id), data=data)

    assert response.status_code == 404


def test_a_department_deciding_an_id_larger_than_any_row_gets_404(client, app_session):
    staff = department_staff(app_session, "Landscaping")
    _log_in_as(client, staff)
    page = client.get("/departments/").get_data(as_text=True)

    response = client.post(
        f"/departments/sign-offs/{TOO_BIG}",
        data={"csrf_token": csrf_token_from(page), "version": "1", "decision": "approve"},
    )

    assert response.status_code == 404


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


# Progress e-mails --------------------------------------------------------------------------------


def test_two_deliveries_at_once_send_each_message_once(engine, session):
    """Every web request that queues mail delivers the whole outbox after its commit, and
    `flask send-notifications` may run meanwhile: a message must not go out twice."""
    from transitreq.db import make_sessionmaker

    for number in range(3):
        session.add(
            OutboundEmail(
                recipient=f"resident{number}@example.org", subject="s", body="b", attempts=0
            )
        )
    session.commit()
    inbox = Inbox(free_port())
    settings = SmtpSettings(
        host="127.0.0.1", port=inbox.port, sender="stops@city.example", security="none"
    )
    other_report = []

    def other_delivery() -> None:
        # A second worker delivers while the first waits for the server's reply to its first
        # message; a thread with its own connection, as a second process would have.
        other = make_sessionmaker(engine)()
        try:
            other_report.append(deliver_pending(other, settings))
        finally:
            other.close()

    inbox.on_first_message = other_delivery
    inbox.start()
    try:
        first_report = deliver_pending(session, settings)
    finally:
        inbox.stop()

    assert inbox.recipients == [f"resident{number}@example.org" for number in range(3)]
    assert first_report.sent + other_report[0].sent == 3
    session.expire_all()
    rows = session.scalars(select(OutboundEmail)).all()
    assert all(row.sent_at is not None for row in rows)


def test_a_contact_that_would_address_two_people_is_refused(session):
    """ "a,b@example.org" is one contact to us but two recipients to a mail server."""
    from transitreq.errors import ValidationFailed
    from transitreq.services.contacts import normalise_contact

    for contact in ("a,b@example.org", "a;b@example.org", "Ann <ann@example.org>", '"a"@b.org'):
        with pytest.raises(ValidationFailed, match="is not an e-mail address"):
            normalise_contact(contact)
    assert normalise_contact("Ann.Lee+bus@Example.org") == "ann.lee+bus@example.org"


def test_an_oversized_survey_upload_to_a_missing_project_is_413_not_500(client, app_session):
    from transitreq.web.projects import SURVEY_UPLOAD_MAX_BYTES

    add_service_area(app_session)
    _log_in_as(client, add_user(app_session, "planner"))
    token = csrf_token_from(client.get("/planning/projects/").get_data(as_text=True))
    response = client.post(
        "/planning/projects/999999/survey",
        data={"csrf_token": token, "findings": "x" * (SURVEY_UPLOAD_MAX_BYTES + 1)},
    )
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


# Robustness ---------------------------------------------------------------------------------------


def _count_queries(engine):
    counted: list[str] = []

    def before(_conn, _cursor, statement, *_args) -> None:
        counted.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    return counted, lambda: event.remove(engine, "before_cursor_execute", before)


def _open311_list_queries(app, client, app_session, planner, projects_wanted: int) -> int:
    existing = len(re.findall(r"service_request_id", client.get("/open311/v2/requests.json").text))
    for _ in range(projects_wanted - existing):
        take_to_stage(app_session, approve_request(app_session, planner), planner, "construction")
    counted, stop = _count_queries(app.extensions["transitreq.engine"])
    try:
        response = client.get("/open311/v2/requests.json")
    finally:
        stop()
    assert response.status_code == 200
    assert len(response.json) == projects_wanted
    return len(counted)


def test_open311_list_reads_stop_projects_in_a_fixed_number_of_queries(app, client, app_session):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")

    few = _open311_list_queries(app, client, app_session, planner, 2)
    many = _open311_list_queries(app, client, app_session, planner, 7)

    assert many == few


# Review of the city time zone, the new-stops layer and the late-date wording ---------------------


def test_days_to_service_never_counts_before_the_approval_day_the_services_check(session, planner):
    """In UTC-11 an approval at 05:00 UTC on 2 Mar is on 1 Mar in the city, so a first day of
    service on 1 Mar is accepted; the dashboard must not then count it as -1 day."""
    from datetime import UTC, date, datetime

    from transitreq.services.dashboard import DashboardQuery, Median, days_to_service
    from transitreq.services.project_settings import SETTINGS_KEY, ProjectSettings

    session.info[SETTINGS_KEY] = ProjectSettings(timezone="Pacific/Pago_Pago")
    try:
        project = approve_request(session, planner)
        project.created_at = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
        session.commit()
        first_day = date(2026, 3, 1)
        take_to_stage(session, project, planner, "construction", today=first_day)
        projects.finish_construction(
            session, project.id, _version(session, project), planner, first_day
        )
        projects.set_launch(
            session, project.id, _version(session, project), planner, ["7"], first_day
        )
        projects.put_in_service(session, project.id, _version(session, project), planner)

        assert days_to_service(session, DashboardQuery()) == Median(0.0, 1)
    finally:
        del session.info[SETTINGS_KEY]


def _home_page_queries(app, client, app_session, planner, projects_wanted: int) -> int:
    from transitreq.models import StopProject

    existing = app_session.scalar(select(func.count()).select_from(StopProject))
    for _ in range(projects_wanted - existing):
        take_to_stage(app_session, approve_request(app_session, planner), planner, "coordination")
    counted, stop = _count_queries(app.extensions["transitreq.engine"])
    try:
        response = client.get("/")
    finally:
        stop()
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("new-stop-marker") == projects_wanted
    return len(counted)


def test_the_home_map_reads_its_new_stops_in_a_fixed_number_of_queries(app, client, app_session):
    """The residents' home page is public: one query per stop project on it would let the
    number of projects decide how slow it is for everyone."""
    add_service_area(app_session)
    planner = add_user(app_session, "planner")

    few = _home_page_queries(app, client, app_session, planner, 2)
    many = _home_page_queries(app, client, app_session, planner, 6)

    assert many == few


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
        app_session, project.id, _version(app_session, project), planner, ["7"], past
    )

    page = client.get(f"/requests/{project.requests[0].reference}").get_data(as_text=True)
    planned = re.search(r'id="planned-dates"[^>]*>(.*?)</', page, re.DOTALL).group(1)

    assert "Service was planned to start on" in page
    assert f"{past:%d %b %Y}" in page
    assert "Service planned to start on" not in planned


def test_a_time_zone_that_is_a_folder_of_zones_is_refused_by_name(tmp_path):
    from transitreq import create_app

    with pytest.raises(ValueError, match="TIMEZONE 'America' is not an IANA time zone"):
        create_app(
            {"TIMEZONE": "America", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
            instance_path=str(tmp_path),
        )
