"""Planners take an approved stop to service on its project page; departments decide their own
sign-offs on theirs. Every form is checked against the database afterwards, and every refusal
is shown to leave the project exactly as it was."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiLineString

from tests.conftest import csrf_token_from
from tests.factories import (
    PNG_PIXEL,
    RAILWAY_SQUARE,
    STAFF_PASSWORD,
    add_route,
    add_service_area,
    add_user,
    approve_request,
    department_staff,
    file_request,
    log_in,
    log_in_as,
    offset,
    sign_all,
    take_to_stage,
)
from transitreq.models import (
    Audience,
    MilestoneKind,
    MilestoneState,
    ProjectStage,
    RequestStatus,
    Route,
    StopProject,
    utc_now,
)
from transitreq.sentences import event_text
from transitreq.services.projects import sign_offs
from transitreq.services.projects import stages as projects
from transitreq.services.requests.filing import find_by_reference

TODAY = utc_now().date()
JPEG_START = b"\xff\xd8\xff\xe0" + b"\x00" * 60


# Helpers ------------------------------------------------------------------------------------


def _url(project, tail: str = "") -> str:
    return f"/planning/projects/{project.id}{tail}"


def _open(client, project) -> tuple[str, str, str]:
    """The project page, its CSRF token and the version its forms carry."""
    response = client.get(_url(project))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html, csrf_token_from(html), re.search(r'name="version" value="(\d+)"', html).group(1)


def _submit(client, project, tail: str, **fields):
    """Post a project form as the planner's browser would, from a freshly opened page."""
    _, token, version = _open(client, project)
    data = {"csrf_token": token, "version": version} | fields
    content_type = "multipart/form-data" if "photos" in fields else None
    return client.post(_url(project, tail), data=data, content_type=content_type)


def _state(session, project) -> tuple:
    """Everything a form could change on a project: the proof that a refusal wrote nothing."""
    session.expire_all()
    found = session.get(StopProject, project.id)
    return (
        found.version,
        found.status,
        len(found.events),
        list(found.launch_routes),
        found.service_start_date,
        [
            (m.id, m.state, m.due_date, m.done_date, m.notes, len(m.photos))
            for m in found.milestones
        ],
    )


def _fresh(session, project) -> StopProject:
    session.expire_all()
    return session.get(StopProject, project.id)


def _route_near(session, short_name: str, distance_m: float) -> Route:
    """A route whose line runs east-west ``distance_m`` north of Railway Square."""
    middle = offset(RAILWAY_SQUARE, 0, distance_m)
    line = [offset(middle, 270, 1500), offset(middle, 90, 1500)]
    route = Route(
        feed="test",
        gtfs_route_id=f"r{short_name}",
        short_name=short_name,
        long_name=f"Line {short_name}",
        path=from_shape(MultiLineString([[(p.x, p.y) for p in line]]), srid=4326),
    )
    session.add(route)
    session.commit()
    return route


def _project(session, planner, stage: str = "approved", **overrides):
    project = approve_request(session, planner, **overrides)
    return take_to_stage(session, project, planner, stage) if stage != "approved" else project


# The list -----------------------------------------------------------------------------------


def _overdue_project(session, planner, title: str):
    """A project approved 60 days ago whose survey fell due 5 days ago, set through the service."""
    project = _project(session, planner, title=title)
    project.created_at = utc_now() - timedelta(days=60)
    session.commit()
    survey = project.milestones_of(MilestoneKind.SITE_SURVEY)[0]
    projects.set_due_date(
        session, survey.id, _fresh(session, project).version, planner, TODAY - timedelta(days=5)
    )
    return project


def test_project_list_flags_overdue_projects_first_with_their_milestones(client, app_session):
    add_service_area(app_session)
    planner = log_in(client, app_session)
    on_time = _project(app_session, planner, "coordination", title="Stop by the library")
    staff = department_staff(app_session, "Landscaping")
    landscaping = next(s for s in on_time.sign_offs if s.owner_name == "Landscaping")
    sign_offs.decide_sign_off(
        app_session, landscaping.id, _fresh(app_session, on_time).version, staff, "approve"
    )
    late = _overdue_project(app_session, planner, "Stop by the market hall")

    html = client.get("/planning/projects/").get_data(as_text=True)

    late_row = html[html.index(f'id="project-row-{late.id}"') :].split("</tr>")[0]
    on_time_row = html[html.index(f'id="project-row-{on_time.id}"') :].split("</tr>")[0]
    assert "is-overdue" in late_row and "OVERDUE" in late_row and "Site survey" in late_row
    assert "Stop by the market hall" in late_row and "0 of 4" in late_row
    assert "OVERDUE" not in on_time_row and "1 of 4" in on_time_row
    assert "Coordination with departments" in on_time_row
    assert f'href="/planning/projects/{on_time.id}"' in on_time_row
    # Overdue first, however new the other project is.
    assert html.index(f"project-row-{late.id}") < html.index(f"project-row-{on_time.id}")


def test_project_list_pages_keep_the_filters_and_overdue_projects_come_first(
    client, app_session, monkeypatch
):
    from transitreq.web import projects as project_pages

    monkeypatch.setattr(project_pages, "PROJECTS_PER_PAGE", 2)  # five projects, three pages
    add_service_area(app_session)
    planner = log_in(client, app_session)
    late = _overdue_project(app_session, planner, "Stop by the market hall")
    others = [_project(app_session, planner, title=f"Stop {n}") for n in range(4)]

    def ids_on(html: str) -> list[int]:
        return [int(found) for found in re.findall(r'id="project-row-(\d+)"', html)]

    first = client.get("/planning/projects/").get_data(as_text=True)
    assert ids_on(first)[0] == late.id and len(ids_on(first)) == 2
    assert "5 projects" in first and "Page 1 of 3" in first
    seen = ids_on(first)
    for page in (2, 3):
        html = client.get(f"/planning/projects/?page={page}").get_data(as_text=True)
        assert f"Page {page} of 3" in html
        seen += ids_on(html)
    assert sorted(seen) == sorted([late.id, *(project.id for project in others)])
    # Past the end, or not a number: the nearest page there is.
    assert "Page 3 of 3" in client.get("/planning/projects/?page=99").get_data(as_text=True)
    assert "Page 1 of 3" in client.get("/planning/projects/?page=x").get_data(as_text=True)
    # The pager keeps the filter it was reached with.
    filtered = client.get("/planning/projects/?stage=approved").get_data(as_text=True)
    assert "stage=approved&amp;page=2" in filtered or "page=2&amp;stage=approved" in filtered


def test_project_list_filters_by_stage_and_overdue_only(client, app_session):
    add_service_area(app_session)
    planner = log_in(client, app_session)
    surveying = _project(app_session, planner, "site_survey", title="Stop by the harbour")
    late = _overdue_project(app_session, planner, "Stop by the market hall")
    done = _project(app_session, planner, "in_service", title="Stop by the depot")

    by_stage = client.get("/planning/projects/?stage=site_survey").get_data(as_text=True)
    overdue = client.get("/planning/projects/?overdue=1").get_data(as_text=True)
    in_service = client.get("/planning/projects/?stage=in_service").get_data(as_text=True)

    assert f"project-row-{surveying.id}" in by_stage
    assert f"project-row-{late.id}" not in by_stage and f"project-row-{done.id}" not in by_stage
    assert f"project-row-{late.id}" in overdue
    assert f"project-row-{surveying.id}" not in overdue and f"project-row-{done.id}" not in overdue
    assert "Stop by the depot" in in_service and "4 of 4" in in_service
    assert '<option value="in_service" selected>' in in_service


# The page and its happy paths -----------------------------------------------------------------


def test_project_page_shows_progress_map_requests_milestones_and_audit_log(client, app_session):
    add_service_area(app_session)
    planner = log_in(client, app_session)
    project = _project(app_session, planner, "coordination", title="Stop by <the> kiosk")
    projects.add_project_note(app_session, project.id, planner, "Budget agreed.", public=False)
    reference = project.requests[0].reference

    html, _, _ = _open(client, project)

    assert "Stop by &lt;the&gt; kiosk" in html and "Stop by <the> kiosk" not in html
    assert 'aria-current="step">Coordination with departments' in html
    assert html.count("step-done") == 2 and html.count("step-todo") == 2
    assert 'id="map_project"' in html and 'class="folium-map"' in html
    assert f'href="/planning/requests/{reference}"' in html
    for title in ("Site survey", "Sign-off: Traffic police", "Construction start", "Launch"):
        assert title in html
    assert "Kerb is wide enough." in html  # the survey's findings, for staff
    assert "Budget agreed." in html and "staff only" in html
    # Construction waits for every department; the page says which.
    assert "Still waiting for the sign-off of Urban construction, Landscaping" in html
    assert re.search(r'id="construction-start-submit"\s+disabled', html)


def test_planner_starts_and_records_the_survey_with_photos(client, app_session):
    add_service_area(app_session)
    planner = log_in(client, app_session)
    project = _project(app_session, planner)

    started = _submit(client, project, "/survey/start", note="We visit on Tuesday.")
    recorded = _submit(
        client,
        project,
        "/survey",
        surveyed_on=TODAY.isoformat(),
        findings="Pavement 3 m wide; a lamp post in the way.",
        public_note="The site looks suitable.",
        photos=[(io.BytesIO(PNG_PIXEL), "kerb.png"), (io.BytesIO(JPEG_START), "lamp.jpg")],
    )

    assert started.status_code == recorded.status_code == 303
    assert recorded.headers["Location"].endswith(_url(project))
    found = _fresh(app_session, project)
    survey = found.milestones_of(MilestoneKind.SITE_SURVEY)[0]
    assert found.status is ProjectStage.SITE_SURVEY
    assert (survey.done_date, survey.notes) == (TODAY, "Pavement 3 m wide; a lamp post in the way.")
    assert [(p.filename, p.content_type) for p in survey.photos] == [
        ("kerb.png", "image/png"),
        ("lamp.jpg", "image/jpeg"),
    ]
    assert survey.photos[0].data == PNG_PIXEL
    surveyed = f"The site was surveyed on {TODAY:%d %b %Y}. The site looks suitable."
    assert (surveyed, Audience.PUBLIC) in [(event_text(e), e.audience) for e in found.events]
    page = client.get(_url(project)).get_data(as_text=True)
    assert f'src="/staff/photos/{survey.photos[0].id}"' in page
    assert "The survey is recorded." in page


def test_planner_moves_to_coordination_and_departments_are_asked(client, app_session):
    add_service_area(app_session)
    planner = log_in(client, app_session)
    project = _project(app_session, planner, "site_survey")
    projects.record_survey(
        app_session, project.id, _fresh(app_session, project).version, planner, TODAY, "Fine."
    )

    sent = _submit(client, project, "/coordination", note="")

    assert sent.status_code == 303
    found = _fresh(app_session, project)
    assert found.status is ProjectStage.COORDINATION
    assert "now the city's departments review it" in event_text(found.events[-1])


def test_planner_builds_launches_and_puts_the_stop_in_service(client, app_session):
    add_service_area(app_session)
    planner = log_in(client, app_session)
    _route_near(app_session, "55", 300)
    _route_near(app_session, "99", 2500)
    add_route(app_session, "12", "Somewhere else")
    project = _project(app_session, planner, "coordination")
    sign_all(app_session, project)

    html, _, _ = _open(client, project)
    # Route 55 passes 300 m away and is offered as a checkbox; 99 is too far and 12 has no
    # line, so they are offered only in the list of every route.
    assert 'name="routes" value="55"' in html
    assert re.search(r"Route 55 <span class=\"hint\">passes (29\d|30\d) m away", html)
    assert '<option value="99">' in html and '<option value="12">' in html
    assert 'value="99"' not in html.split('id="launch-other-route"')[0]

    assert (
        _submit(client, project, "/construction/start", started_on=TODAY.isoformat()).status_code
        == 303
    )
    assert (
        _submit(client, project, "/construction/finish", finished_on=TODAY.isoformat()).status_code
        == 303
    )
    ahead = (TODAY + timedelta(days=14)).isoformat()
    assert (
        _submit(client, project, "/launch", routes=["55"], service_start=ahead).status_code == 303
    )
    too_soon = _submit(client, project, "/in-service", note="")
    assert too_soon.status_code == 409
    assert "enters service by itself that day" in too_soon.get_data(as_text=True)
    assert _fresh(app_session, project).status is ProjectStage.CONSTRUCTION

    # The first day moved to today: the next view puts the stop in service, nobody clicks.
    start = TODAY.isoformat()
    launched = _submit(client, project, "/launch", routes=["55", "12"], service_start=start)
    assert launched.status_code == 303
    _open(client, project)

    found = _fresh(app_session, project)
    assert found.status is ProjectStage.IN_SERVICE and found.closed_at is not None
    assert found.launch_routes == ["55", "12"] and found.service_start_date.isoformat() == start
    assert all(m.is_done for m in found.milestones), [(m.title, m.state) for m in found.milestones]
    assert found.requests[0].status is RequestStatus.COMPLETED
    page = client.get(_url(project)).get_data(as_text=True)
    assert "Routes 55, 12 from" in page and 'id="service-form"' not in page


def test_due_dates_notes_resurvey_reopen_and_cancel(client, app_session):
    add_service_area(app_session)
    planner = log_in(client, app_session)
    project = _project(app_session, planner, "coordination")
    police = next(s for s in project.sign_offs if s.owner_name == "Traffic police")
    sign_offs.decide_sign_off(
        app_session,
        police.id,
        _fresh(app_session, project).version,
        department_staff(app_session, "Traffic police"),
        "changes",
        "Move it 20 m north.",
    )
    later = (TODAY + timedelta(days=90)).isoformat()

    assert client.get(_url(project)).get_data(as_text=True).count("Move it 20 m north.") >= 1
    due = _submit(client, project, f"/milestones/{police.id}/due", due_date=later)
    public_note = _submit(
        client, project, "/notes", text="Works start in spring.", audience="public"
    )
    internal = _submit(client, project, "/notes", text="Budget line 4411.", audience="internal")
    reopened = _submit(client, project, f"/sign-offs/{police.id}/reopen", note="Moved north.")
    back = _submit(client, project, "/resurvey", reason="The site moves 20 m north.")

    assert {r.status_code for r in (due, public_note, internal, reopened, back)} == {303}
    found = _fresh(app_session, project)
    police = next(s for s in found.sign_offs if s.owner_name == "Traffic police")
    assert police.due_date.isoformat() == later and police.state is MilestoneState.PENDING
    assert found.status is ProjectStage.SITE_SURVEY
    assert len(found.milestones_of(MilestoneKind.SITE_SURVEY)) == 2
    audiences = {event_text(e): e.audience for e in found.events}
    assert audiences["Works start in spring."] is Audience.PUBLIC
    assert audiences["Budget line 4411."] is Audience.INTERNAL
    assert any("Moved north." in note for note in audiences)

    cancelled = _submit(
        client, project, "/cancel", reason="The street will be rebuilt.", confirm="1"
    )

    assert cancelled.status_code == 303
    found = _fresh(app_session, project)
    assert found.status is ProjectStage.CANCELLED
    assert found.cancel_reason == "The street will be rebuilt."
    assert found.requests[0].status is RequestStatus.UNDER_REVIEW
    page = client.get(_url(project)).get_data(as_text=True)
    assert "Cancelled: The street will be rebuilt." in page and 'class="step step-stopped"' in page
    assert 'id="cancel-form"' not in page and 'id="due-form-' not in page


# Refusals leave nothing behind ---------------------------------------------------------------


def test_bad_dates_and_missing_reasons_are_named_and_change_nothing(client, app_session):
    add_service_area(app_session)
    planner = log_in(client, app_session)
    surveying = _project(app_session, planner, "site_survey")
    coordinating = _project(app_session, planner, "coordination", title="Stop by the pier")
    survey_before = _state(app_session, surveying)
    coordination_before = _state(app_session, coordinating)
    sign_off = coordinating.sign_offs[0]

    refusals = [
        (
            surveying,
            "/survey",
            {"surveyed_on": "25/11/2026", "findings": "Fine."},
            "survey-surveyed_on-error",
            "Give the date as YYYY-MM-DD",
        ),
        (
            surveying,
            "/survey",
            {"surveyed_on": (TODAY + timedelta(days=3)).isoformat(), "findings": "Fine."},
            "survey-surveyed_on-error",
            "That date is still to come",
        ),
        (
            surveying,
            "/survey",
            {"surveyed_on": TODAY.isoformat(), "findings": "  "},
            "survey-findings-error",
            "The summary of the findings is required.",
        ),
        (surveying, "/cancel", {"reason": ""}, "cancel-reason-error", "is required"),
        (coordinating, "/resurvey", {"reason": ""}, "resurvey-reason-error", "is required"),
        (
            coordinating,
            f"/sign-offs/{sign_off.id}/reopen",
            {"note": ""},
            f"reopen-{sign_off.id}-note-error",
            "is required",
        ),
        (
            coordinating,
            f"/milestones/{sign_off.id}/due",
            {"due_date": "soon"},
            f"due-{sign_off.id}-due_date-error",
            "YYYY-MM-DD",
        ),
        (
            coordinating,
            "/launch",
            {"routes": [], "service_start": TODAY.isoformat()},
            "launch-routes-error",
            "Choose at least one route",
        ),
        (coordinating, "/notes", {"text": ""}, "note-text-error", "is required"),
    ]
    for project, tail, fields, error_id, words in refusals:
        sent = _submit(client, project, tail, **fields)
        page = sent.get_data(as_text=True)
        assert sent.status_code == 422, (tail, sent.status_code)
        assert f'id="{error_id}"' in page and words in page, (tail, page[-3000:])

    assert _state(app_session, surveying) == survey_before
    assert _state(app_session, coordinating) == coordination_before


def test_typed_text_is_kept_after_a_refusal(client, app_session):
    add_service_area(app_session)
    planner = log_in(client, app_session)
    project = _project(app_session, planner, "site_survey")

    sent = _submit(client, project, "/survey", surveyed_on="yesterday", findings="Kerb <b>low</b>.")

    page = sent.get_data(as_text=True)
    assert sent.status_code == 422
    assert "Kerb &lt;b&gt;low&lt;/b&gt;." in page and 'value="yesterday"' in page


def test_stale_version_is_refused_with_409_and_the_page_as_it_is_now(client, app_session):
    add_service_area(app_session)
    planner = log_in(client, app_session)
    project = _project(app_session, planner)
    html, token, version = _open(client, project)
    other = add_user(app_session, "planner")
    projects.start_survey(app_session, project.id, int(version), other)
    before = _state(app_session, project)

    sent = client.post(
        _url(project, "/cancel"),
        data={"csrf_token": token, "version": version, "reason": "No budget.", "confirm": "1"},
    )

    page = sent.get_data(as_text=True)
    assert sent.status_code == 409
    assert "This project changed since you opened it" in page
    assert 'id="survey-form"' in page and 'id="start-survey-form"' not in page
    assert _state(app_session, project) == before


def test_refused_stage_moves_answer_409_with_the_reason(client, app_session):
    add_service_area(app_session)
    planner = log_in(client, app_session)
    surveying = _project(app_session, planner, "site_survey")
    coordinating = _project(app_session, planner, "coordination", title="Stop by the pier")
    before = (_state(app_session, surveying), _state(app_session, coordinating))

    too_early = _submit(client, surveying, "/coordination")
    unsigned = _submit(client, coordinating, "/construction/start", started_on=TODAY.isoformat())
    not_built = _submit(client, coordinating, "/in-service")

    assert too_early.status_code == unsigned.status_code == not_built.status_code == 409
    assert "Record the site survey" in too_early.get_data(as_text=True)
    assert (
        "Still waiting for the sign-off of Urban construction, Landscaping, Traffic police, "
        "Bus operator." in unsigned.get_data(as_text=True)
    )
    assert "cannot move to in service" in not_built.get_data(as_text=True)
    assert (_state(app_session, surveying), _state(app_session, coordinating)) == before


def test_a_milestone_of_another_project_is_not_found(client, app_session):
    add_service_area(app_session)
    planner = log_in(client, app_session)
    project = _project(app_session, planner, "coordination")
    other = _project(app_session, planner, "coordination", title="Stop by the pier")
    before = _state(app_session, other)

    sent = _submit(
        client, project, f"/milestones/{other.milestones[0].id}/due", due_date=TODAY.isoformat()
    )

    assert sent.status_code == 404
    assert f"Project {project.id} has no milestone" in sent.get_data(as_text=True)
    assert _state(app_session, other) == before


def test_photos_that_are_not_photos_or_too_big_are_refused(app, client, app_session):
    add_service_area(app_session)
    planner = log_in(client, app_session)
    project = _project(app_session, planner, "site_survey")
    before = _state(app_session, project)
    fields = {"surveyed_on": TODAY.isoformat(), "findings": "Fine."}

    script = _submit(
        client, project, "/survey", **fields, photos=[(io.BytesIO(b"<script>"), "x.png")]
    )
    big = _submit(
        client,
        project,
        "/survey",
        **fields,
        photos=[(io.BytesIO(PNG_PIXEL + b"\x00" * (projects.PHOTO_MAX_BYTES + 1)), "big.png")],
    )

    assert script.status_code == big.status_code == 422
    assert "x.png is not a JPEG, PNG or WebP photo." in script.get_data(as_text=True)
    assert 'id="survey-photos-error"' in script.get_data(as_text=True)
    assert "big.png is over 5 MB." in big.get_data(as_text=True)
    assert _state(app_session, project) == before


def test_an_upload_over_the_survey_limit_answers_413_and_other_forms_keep_theirs(
    app, client, app_session
):
    from transitreq.web.projects import SURVEY_UPLOAD_MAX_BYTES

    add_service_area(app_session)
    planner = log_in(client, app_session)
    project = _project(app_session, planner, "site_survey")
    before = _state(app_session, project)

    huge = _submit(
        client,
        project,
        "/survey",
        surveyed_on=TODAY.isoformat(),
        findings="Fine.",
        photos=[(io.BytesIO(PNG_PIXEL + b"\x00" * SURVEY_UPLOAD_MAX_BYTES), "huge.png")],
    )
    long_note = _submit(
        client, project, "/notes", text="x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    )

    page = huge.get_data(as_text=True)
    assert huge.status_code == 413
    assert "attach at most 10 photos of up to 5 MB each" in page and 'id="survey-form"' in page
    assert long_note.status_code == 413
    assert _state(app_session, project) == before


# Who may do what ----------------------------------------------------------------------------


def test_department_staff_decide_their_own_sign_off_on_their_page(client, app_session):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    project = _project(app_session, planner, "coordination", title="Stop by the pier")
    staff = department_staff(app_session, "Landscaping")
    mine = next(s for s in project.sign_offs if s.owner_name == "Landscaping")
    theirs = next(s for s in project.sign_offs if s.owner_name == "Bus operator")
    log_in_as(client, staff)

    html = client.get("/departments/").get_data(as_text=True)
    token = csrf_token_from(html)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)

    assert "Sign-offs for Landscaping" in html and "Stop by the pier" in html
    assert f'id="sign-off-{mine.id}"' in html and f'id="sign-off-{theirs.id}"' not in html
    assert "Bus operator" not in html and "Traffic police" not in html
    assert "Kerb is wide enough." in html and 'id="map_sites"' in html
    point = RAILWAY_SQUARE
    assert f"{point.y:.6f}, {point.x:.6f}" in html

    missing = client.post(
        f"/departments/sign-offs/{mine.id}",
        data={"csrf_token": token, "version": version, "decision": "changes", "reason": ""},
    )
    assert missing.status_code == 422
    assert f'id="decide-{mine.id}-reason-error"' in missing.get_data(as_text=True)
    unchanged = next(s for s in _fresh(app_session, project).sign_offs if s.id == mine.id)
    assert unchanged.state is MilestoneState.PENDING and unchanged.notes == ""

    asked = client.post(
        f"/departments/sign-offs/{mine.id}",
        data={
            "csrf_token": token,
            "version": version,
            "decision": "changes",
            "reason": "Keep the birch tree.",
        },
    )
    assert asked.status_code == 303
    found = next(s for s in _fresh(app_session, project).sign_offs if s.id == mine.id)
    assert (found.state, found.notes, found.decided_by_user_id) == (
        MilestoneState.CHANGES_REQUESTED,
        "Keep the birch tree.",
        staff.id,
    )
    page = client.get("/departments/").get_data(as_text=True)
    assert "Changes asked" in page and "Keep the birch tree." in page


def test_department_staff_cannot_decide_another_departments_sign_off(client, app_session):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    project = _project(app_session, planner, "coordination")
    theirs = next(s for s in project.sign_offs if s.owner_name == "Bus operator")
    log_in_as(client, department_staff(app_session, "Landscaping"))
    token = csrf_token_from(client.get("/departments/").get_data(as_text=True))
    before = _state(app_session, project)

    sent = client.post(
        f"/departments/sign-offs/{theirs.id}",
        data={"csrf_token": token, "version": str(before[0]), "decision": "approve"},
    )

    assert sent.status_code == 403
    assert "Only staff of the department that owns this sign-off" in sent.get_data(as_text=True)
    assert _state(app_session, project) == before


def test_planners_cannot_decide_sign_offs_and_departments_cannot_plan(client, app_session):
    add_service_area(app_session)
    project = _project(app_session, add_user(app_session, "planner"), "coordination")
    log_in(client, app_session, role="planner")
    token = csrf_token_from(client.get("/planning/projects/").get_data(as_text=True))
    before = _state(app_session, project)

    sent = client.post(
        f"/departments/sign-offs/{project.sign_offs[0].id}",
        data={"csrf_token": token, "version": str(before[0]), "decision": "approve"},
    )
    assert sent.status_code == 403
    assert client.get("/departments/").status_code == 403
    assert _state(app_session, project) == before

    department = add_user(app_session, "department", department="Landscaping")
    client.post("/logout", data={"csrf_token": token})
    log_in_as(client, department)
    assert client.get("/planning/projects/").status_code == 403
    assert client.get(_url(project)).status_code == 403


def test_department_staff_land_on_their_sign_offs_after_logging_in(client, app_session):
    staff = department_staff(app_session, "Traffic police")
    token = csrf_token_from(client.get("/login").get_data(as_text=True))

    response = client.post(
        "/login", data={"email": staff.email, "password": STAFF_PASSWORD, "csrf_token": token}
    )

    assert response.status_code == 303 and response.headers["Location"] == "/departments/"
    page = client.get("/departments/").get_data(as_text=True)
    assert "Sign-offs for Traffic police" in page and "No project needs" in page


def test_sign_offs_are_decided_only_during_coordination(client, app_session):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    project = _project(app_session, planner, "site_survey")
    staff = department_staff(app_session, "Bus operator")
    mine = next(s for s in project.sign_offs if s.owner_name == "Bus operator")
    log_in_as(client, staff)
    html = client.get("/departments/").get_data(as_text=True)
    before = _state(app_session, project)

    sent = client.post(
        f"/departments/sign-offs/{mine.id}",
        data={
            "csrf_token": csrf_token_from(html),
            "version": str(before[0]),
            "decision": "approve",
        },
    )

    assert f'id="decide-form-{mine.id}"' not in html and "this project is site survey" in html
    assert sent.status_code == 409 and "Sign-offs are decided during coordination" in (
        sent.get_data(as_text=True)
    )
    assert _state(app_session, project) == before


def test_survey_photos_are_served_to_planners_and_signing_departments_only(client, app_session):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    project = _project(app_session, planner, "site_survey")
    survey = projects.record_survey(
        app_session,
        project.id,
        _fresh(app_session, project).version,
        planner,
        TODAY,
        "Fine.",
        [projects.PhotoUpload("kerb.png", PNG_PIXEL)],
    )
    url = f"/staff/photos/{survey.photos[0].id}"

    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]

    log_in_as(client, planner)
    served = client.get(url)
    assert served.status_code == 200 and served.data == PNG_PIXEL
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Cache-Control"].startswith("private")
    assert client.get("/staff/photos/999999").status_code == 404

    token = csrf_token_from(client.get("/planning/projects/").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    log_in_as(client, department_staff(app_session, "Landscaping"))
    assert client.get(url).status_code == 200

    token = csrf_token_from(client.get("/departments/").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    log_in_as(client, department_staff(app_session, "Parks"))
    refused = client.get(url)
    assert refused.status_code == 403 and PNG_PIXEL not in refused.data


# The review page leads to the project ---------------------------------------------------------


def test_approving_leads_to_the_new_project_and_the_review_page_links_to_it(client, app_session):
    add_service_area(app_session)
    stop_request = file_request(app_session)
    log_in(client, app_session)
    review = client.get(f"/planning/requests/{stop_request.reference}").get_data(as_text=True)

    sent = client.post(
        f"/planning/requests/{stop_request.reference}/approve",
        data={
            "csrf_token": csrf_token_from(review),
            "version": re.search(r'name="version" value="(\d+)"', review).group(1),
            "coordinates": f"{RAILWAY_SQUARE.y:.7f}, {RAILWAY_SQUARE.x:.7f}",
        },
    )

    app_session.expire_all()
    project = find_by_reference(app_session, stop_request.reference).project
    assert sent.status_code == 303 and sent.headers["Location"] == _url(project)
    landing = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Approved: a stop project is created." in landing and 'id="start-survey-form"' in landing
    review = client.get(f"/planning/requests/{stop_request.reference}").get_data(as_text=True)
    assert f'id="project-link" href="{_url(project)}"' in review


# Pinned when reviewing stop projects (issue 5): each failed before its fix.

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
    log_in_as(client, staff)
    page = client.get("/departments/").get_data(as_text=True)

    response = client.post(
        f"/departments/sign-offs/{TOO_BIG}",
        data={"csrf_token": csrf_token_from(page), "version": "1", "decision": "approve"},
    )

    assert response.status_code == 404


def test_an_oversized_survey_upload_to_a_missing_project_is_413_not_500(client, app_session):
    from transitreq.web.projects import SURVEY_UPLOAD_MAX_BYTES

    add_service_area(app_session)
    log_in_as(client, add_user(app_session, "planner"))
    token = csrf_token_from(client.get("/planning/projects/").get_data(as_text=True))
    response = client.post(
        "/planning/projects/999999/survey",
        data={"csrf_token": token, "findings": "x" * (SURVEY_UPLOAD_MAX_BYTES + 1)},
    )
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
