"""Stop projects: the list with overdue flags, and the page where planners record milestones.

Every form carries the project's ``version`` as the planner saw it: a change based on a project
that moved on since is refused with 409 and the page shown again as it is now. Every other
refusal comes back on the page as a form message with its status (422, 409, 404); success is a
flash and a 303 back to the page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from transitreq.errors import DomainError, UnknownReference, ValidationFailed
from transitreq.geo.geojson import as_point
from transitreq.geo.layers import route_lines_in_box, routes_by_id
from transitreq.geo.metric import box_around
from transitreq.models import Milestone, ProjectStage, Role
from transitreq.services import project_overview, projects, sign_offs
from transitreq.services.project_overview import LAUNCH_REACH_M, ProjectPage
from transitreq.services.project_settings import local_today
from transitreq.services.projects import MAX_PHOTOS_PER_SURVEY, PHOTO_MAX_BYTES, PhotoUpload
from transitreq.web.auth import guard_blueprint
from transitreq.web.database import db_session
from transitreq.web.map_base import RenderedMap
from transitreq.web.presenters import routes_geojson
from transitreq.web.staff_maps import project_map

bp = Blueprint("projects", __name__, url_prefix="/planning/projects")
guard_blueprint(bp, Role.PLANNER, Role.ADMIN)

# The list shows overdue projects first, so the first page is the one that needs attention.
PROJECTS_PER_PAGE = 50
MIB = 1024 * 1024
# The survey form alone may carry every photo a survey allows, plus its few text fields; every
# other body keeps the app's MAX_CONTENT_LENGTH.
SURVEY_UPLOAD_MAX_BYTES = MAX_PHOTOS_PER_SURVEY * PHOTO_MAX_BYTES + MIB
TOO_LARGE_MESSAGE = (
    f"The upload is larger than {SURVEY_UPLOAD_MAX_BYTES // MIB} MB: attach at most "
    f"{MAX_PHOTOS_PER_SURVEY} photos of up to {PHOTO_MAX_BYTES // MIB} MB each. Nothing was saved."
)
STAGE_LABELS = {stage.value: stage.label for stage in ProjectStage}

Action = Callable[[Session, Any, int, MultiDict], object]


def _is_planner() -> bool:
    return current_user.is_authenticated and current_user.is_planner


def allow_photo_uploads() -> None:
    """Raise the body limit for a planner's survey form only.

    Registered on the app ahead of CSRF protection, which reads the form (and so the whole
    body) before any blueprint's own hooks run; strangers keep the small limit.
    """
    if request.endpoint == "projects.record_survey" and _is_planner():
        request.max_content_length = SURVEY_UPLOAD_MAX_BYTES


def _today() -> date:
    return local_today(db_session())


@bp.get("/")
def project_list() -> ResponseReturnValue:
    """Every project, filtered by ``stage`` and ``overdue=1``; overdue ones first."""
    stage_text = request.args.get("stage", "")
    stage = ProjectStage(stage_text) if stage_text in STAGE_LABELS else None
    overdue_only = request.args.get("overdue") == "1"
    rows = project_overview.project_rows(db_session(), _today(), stage, overdue_only)
    pages = max(1, -(-len(rows) // PROJECTS_PER_PAGE))
    # A page number that is not one (typed or stale) shows the nearest page there is.
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    first = (page - 1) * PROJECTS_PER_PAGE
    return render_template(
        "planning/projects.html",
        rows=rows[first : first + PROJECTS_PER_PAGE],
        total=len(rows),
        page=page,
        pages=pages,
        stages=list(ProjectStage),
        stage=stage,
        overdue_only=overdue_only,
    )


def _map(session: Session, page: ProjectPage) -> RenderedMap:
    route_ids = [choice.route_id for choice in page.nearby_routes]
    box = box_around(page.point.x, page.point.y, LAUNCH_REACH_M)
    routes = routes_geojson(
        routes_by_id(session, route_ids), route_lines_in_box(session, route_ids, box)
    )
    linked = []
    for stop_request in page.project.requests:
        point = as_point(stop_request.location)
        linked.append((point.y, point.x, f"{stop_request.reference}: {stop_request.title}"))
    return project_map(page.point.y, page.point.x, LAUNCH_REACH_M, routes, linked)


def _page(
    project_id: int,
    failed: str | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
    form: MultiDict | dict | None = None,
) -> ResponseReturnValue:
    session = db_session()
    srid = current_app.extensions["transitreq.evaluation_settings"].metric_srid
    page = project_overview.project_page(session, project_id, _today(), srid)
    return render_template(
        "planning/project.html",
        page=page,
        project=page.project,
        map=_map(session, page),
        stage_labels=STAGE_LABELS,
        today=_today(),
        max_photos=MAX_PHOTOS_PER_SURVEY,
        photo_max_mb=PHOTO_MAX_BYTES // MIB,
        launch_reach_m=LAUNCH_REACH_M,
        failed=failed,
        errors=errors or {},
        message=message,
        form=form if form is not None else (request.form if failed else {}),
    ), status


@bp.get("/<int:project_id>")
def project_page(project_id: int) -> ResponseReturnValue:
    """The project's progress, map, milestones, the steps its stage allows and its audit log."""
    return _page(project_id)


def _version(form: MultiDict) -> int:
    try:
        return int(form.get("version", ""))
    except ValueError:
        raise ValidationFailed(
            {"version": "The form lost the project's version; reload the page."}
        ) from None


def _date(form: MultiDict, field: str, *, required: bool = True) -> date | None:
    text = form.get(field, "").strip()
    if not text:
        if required:
            raise ValidationFailed({field: "Give the date."})
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed({field: "Give the date as YYYY-MM-DD, e.g. 2026-11-25."}) from None


def _milestone_of(session: Session, project_id: int, milestone_id: int) -> int:
    """``milestone_id``, once it is known to belong to the project whose page sent the form."""
    milestone = session.get(Milestone, milestone_id)
    if milestone is None or milestone.project_id != project_id:
        raise UnknownReference(
            f"Project {project_id} has no milestone number {milestone_id}.", "milestone"
        )
    return milestone_id


def _act(project_id: int, form_name: str, action: Action, done: str) -> ResponseReturnValue:
    """Run one change for the logged-in planner; refusals come back on the page."""
    form = request.form
    try:
        action(db_session(), current_user._get_current_object(), _version(form), form)
    except DomainError as refusal:
        if refusal.status == 404 and "project" in refusal.fields:
            raise
        return _page(project_id, form_name, refusal.fields, refusal.message, refusal.status)
    flash(done, "success")
    return redirect(url_for("projects.project_page", project_id=project_id), 303)


@bp.post("/<int:project_id>/survey/start")
def start_survey(project_id: int) -> ResponseReturnValue:
    """Begin the site survey, with an optional public ``note``."""
    return _act(
        project_id,
        "start-survey",
        lambda s, user, v, f: projects.start_survey(s, project_id, v, user, f.get("note", "")),
        "The site survey has begun.",
    )


def _photos() -> list[PhotoUpload]:
    """The files chosen in ``photos``; a browser sends one empty part when none was chosen."""
    return [
        PhotoUpload(upload.filename or "photo", upload.read())
        for upload in request.files.getlist("photos")
        if upload.filename
    ]


@bp.post("/<int:project_id>/survey")
def record_survey(project_id: int) -> ResponseReturnValue:
    """``surveyed_on``, ``findings`` (staff only), optional ``public_note`` and ``photos``."""
    return _act(
        project_id,
        "survey",
        lambda s, user, v, f: projects.record_survey(
            s,
            project_id,
            v,
            user,
            _date(f, "surveyed_on"),
            f.get("findings", ""),
            _photos(),
            f.get("public_note", ""),
        ),
        "The survey is recorded.",
    )


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> ResponseReturnValue:
    """A survey upload over the limit: the page again, saying what the limit is."""
    project_id = (request.view_args or {}).get("project_id")
    if request.endpoint == "projects.record_survey" and _is_planner() and project_id is not None:
        try:
            return _page(
                project_id, "survey", {"photos": TOO_LARGE_MESSAGE}, TOO_LARGE_MESSAGE, 413, {}
            )
        except UnknownReference:
            pass  # an error handler cannot raise again; the plain page says what went wrong
    message = "What was sent is too large."
    return render_template("errors/error.html", status=413, message=message), 413


@bp.post("/<int:project_id>/coordination")
def start_coordination(project_id: int) -> ResponseReturnValue:
    """Ask the departments for their sign-off, with an optional public ``note``."""
    return _act(
        project_id,
        "coordination",
        lambda s, user, v, f: projects.start_coordination(
            s, project_id, v, user, f.get("note", "")
        ),
        "The departments are asked for their sign-off.",
    )


@bp.post("/<int:project_id>/resurvey")
def resurvey(project_id: int) -> ResponseReturnValue:
    """Back to site survey from coordination, with a public ``reason``."""
    return _act(
        project_id,
        "resurvey",
        lambda s, user, v, f: projects.resurvey(s, project_id, v, user, f.get("reason", "")),
        "The project is back in site survey.",
    )


@bp.post("/<int:project_id>/sign-offs/<int:milestone_id>/reopen")
def reopen_sign_off(project_id: int, milestone_id: int) -> ResponseReturnValue:
    """Ask a department to decide again, saying in ``note`` what changed."""
    return _act(
        project_id,
        f"reopen-{milestone_id}",
        lambda s, user, v, f: sign_offs.reopen_sign_off(
            s, _milestone_of(s, project_id, milestone_id), v, user, f.get("note", "")
        ),
        "The department is asked to decide again.",
    )


@bp.post("/<int:project_id>/construction/start")
def start_construction(project_id: int) -> ResponseReturnValue:
    """Construction began on ``started_on``; optional public ``note``."""
    return _act(
        project_id,
        "construction-start",
        lambda s, user, v, f: projects.start_construction(
            s, project_id, v, user, _date(f, "started_on"), f.get("note", "")
        ),
        "Construction has started.",
    )


@bp.post("/<int:project_id>/construction/finish")
def finish_construction(project_id: int) -> ResponseReturnValue:
    """Construction finished on ``finished_on``; optional public ``note``."""
    return _act(
        project_id,
        "construction-finish",
        lambda s, user, v, f: projects.finish_construction(
            s, project_id, v, user, _date(f, "finished_on"), f.get("note", "")
        ),
        "Construction is finished.",
    )


@bp.post("/<int:project_id>/launch")
def set_launch(project_id: int) -> ResponseReturnValue:
    """The ``routes`` that will call and the ``service_start`` date; optional public ``note``."""
    return _act(
        project_id,
        "launch",
        lambda s, user, v, f: projects.set_launch(
            s,
            project_id,
            v,
            user,
            f.getlist("routes"),
            _date(f, "service_start"),
            f.get("note", ""),
        ),
        "The launch is planned.",
    )


@bp.post("/<int:project_id>/in-service")
def put_in_service(project_id: int) -> ResponseReturnValue:
    """Open the stop: linked requests are completed; optional public ``note``."""
    return _act(
        project_id,
        "service",
        lambda s, user, v, f: projects.put_in_service(s, project_id, v, user, f.get("note", "")),
        "The stop is in service.",
    )


@bp.post("/<int:project_id>/cancel")
def cancel(project_id: int) -> ResponseReturnValue:
    """Stop the project with a public ``reason``; linked requests go back to review."""
    return _act(
        project_id,
        "cancel",
        lambda s, user, v, f: projects.cancel(s, project_id, v, user, f.get("reason", "")),
        "The project is cancelled.",
    )


@bp.post("/<int:project_id>/milestones/<int:milestone_id>/due")
def set_due_date(project_id: int, milestone_id: int) -> ResponseReturnValue:
    """Reschedule a milestone to ``due_date`` (empty: no due date)."""
    return _act(
        project_id,
        f"due-{milestone_id}",
        lambda s, user, v, f: projects.set_due_date(
            s,
            _milestone_of(s, project_id, milestone_id),
            v,
            user,
            _date(f, "due_date", required=False),
        ),
        "The due date is changed.",
    )


@bp.post("/<int:project_id>/notes")
def add_note(project_id: int) -> ResponseReturnValue:
    """A note: ``audience=public`` shows it on residents' timelines, else staff only."""
    return _act(
        project_id,
        "note",
        lambda s, user, _v, f: projects.add_project_note(
            s, project_id, user, f.get("text", ""), f.get("audience") == "public"
        ),
        "The note is added.",
    )
