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
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from transitreq.errors import DomainError, UnknownReference, ValidationFailed
from transitreq.geo.geojson import as_point
from transitreq.i18n import _, lazy_gettext
from transitreq.models import Milestone, ProjectStage, Role
from transitreq.services.context import local_today
from transitreq.services.projects import overview as project_overview
from transitreq.services.projects import sign_offs
from transitreq.services.projects import stages as projects
from transitreq.services.projects.advance import advance_due_projects
from transitreq.services.projects.overview import LAUNCH_REACH_M, ProjectPage
from transitreq.services.projects.stages import (
    MAX_PHOTOS_PER_SURVEY,
    PHOTO_MAX_BYTES,
    PhotoUpload,
)
from transitreq.services.versioned import note_text
from transitreq.web.app_settings import settings
from transitreq.web.auth import guard_blueprint
from transitreq.web.database import db_session
from transitreq.web.map_base import MapMark, MapShell
from transitreq.web.staff_maps import project_map

bp = Blueprint("projects", __name__, url_prefix="/planning/projects")
guard_blueprint(bp, Role.PLANNER, Role.ADMIN)

# The list shows overdue projects first, so the first page is the one that needs attention.
PROJECTS_PER_PAGE = 50
MIB = 1024 * 1024
# The survey form alone may carry every photo a survey allows, plus its few text fields; every
# other body keeps the app's MAX_CONTENT_LENGTH.
SURVEY_UPLOAD_MAX_BYTES = MAX_PHOTOS_PER_SURVEY * PHOTO_MAX_BYTES + MIB
STAGES = frozenset(stage.value for stage in ProjectStage)

Action = Callable[[Session, Any, int, MultiDict], object]
# The project page's fields by their labels, for the error summary that links to each message.
FIELD_LABELS = {
    "reason": lazy_gettext("Reason"),
    "finished_on": lazy_gettext("Finished on"),
    "started_on": lazy_gettext("Started on"),
    "routes": lazy_gettext("Routes"),
    "service_start": lazy_gettext("Service starts on"),
    "text": lazy_gettext("Note"),
    "findings": lazy_gettext("Summary of the findings"),
    "photos": lazy_gettext("Photos"),
    "public_note": lazy_gettext("Note to residents"),
    "surveyed_on": lazy_gettext("Surveyed on"),
    "due_date": lazy_gettext("Due date"),
    "note": lazy_gettext("Note to residents"),
    "confirm": lazy_gettext("Confirm"),
}


def too_large_message() -> str:
    """What a planner reads when a survey's upload is over the limit, in their language."""
    return _(
        "The upload is larger than %(total)s MB: attach at most %(photos)s photos of up to "
        "%(each)s MB each. Nothing was saved.",
        total=SURVEY_UPLOAD_MAX_BYTES // MIB,
        photos=MAX_PHOTOS_PER_SURVEY,
        each=PHOTO_MAX_BYTES // MIB,
    )


def _is_planner() -> bool:
    return current_user.is_authenticated and current_user.is_planner


def allow_photo_uploads() -> None:
    """Raise the body limit for a planner's survey form only.

    Registered on the app ahead of CSRF protection, which reads the form (and so the whole
    body) before any blueprint's own hooks run; strangers keep the small limit.
    """
    if request.endpoint == "projects.record_survey" and _is_planner():
        request.max_content_length = SURVEY_UPLOAD_MAX_BYTES


@bp.before_app_request
def advance_on_first_view() -> None:
    """The first page (or API answer) after a first day of service puts the stop in service
    before anything is read, so nobody sees it planned on the day it opened, cron or not.

    Residents' writes (a filing, a support: anonymous POSTs, hundreds a second at peak) do not
    look: they read no project, and the next page anyone opens does. Staff writes do, as a
    decision may act on the project. A database that cannot answer is left to the view, whose
    error page says so.
    """
    if request.endpoint in (None, "static"):
        return
    if request.method not in ("GET", "HEAD") and not current_user.is_authenticated:
        return
    session = db_session()
    try:
        advance_due_projects(session)
    except SQLAlchemyError:
        current_app.logger.warning("could not advance due stop projects", exc_info=True)
        try:
            session.rollback()
        except SQLAlchemyError:
            session.invalidate()


def _today() -> date:
    return local_today(db_session())


@bp.get("/")
def project_list() -> ResponseReturnValue:
    """Every project, filtered by ``stage`` and ``overdue=1``; overdue ones first."""
    stage_text = request.args.get("stage", "")
    stage = ProjectStage(stage_text) if stage_text in STAGES else None
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


def _map(page: ProjectPage) -> MapShell:
    """The site and the requests it answers; the lines come for the view as JSON."""
    linked = []
    for stop_request in page.project.requests:
        point = as_point(stop_request.location)
        label = _(
            "%(reference)s: %(title)s", reference=stop_request.reference, title=stop_request.title
        )
        linked.append(MapMark(point.y, point.x, label, "linked-request"))
    return project_map(page.point.y, page.point.x, LAUNCH_REACH_M, linked)


def _page(
    project_id: int,
    failed: str | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
    form: MultiDict | dict | None = None,
) -> ResponseReturnValue:
    session = db_session()
    srid = settings().evaluation.metric_srid
    page = project_overview.project_page(session, project_id, _today(), srid)
    errors = dict(errors or {})
    # Each refusal once: beside its field (linked from the summary at the top) when the form
    # has that field, else at the top (a stale form, a stage that forbids the step).
    beside = {name: words for name, words in errors.items() if name in FIELD_LABELS}
    if errors:
        message = " ".join(w for n, w in errors.items() if n not in FIELD_LABELS) or None
    return render_template(
        "planning/project.html",
        page=page,
        project=page.project,
        map=_map(page),
        # Named per request: the reader's language.
        stage_labels={stage.value: stage.label for stage in ProjectStage},
        today=_today(),
        max_photos=MAX_PHOTOS_PER_SURVEY,
        photo_max_mb=PHOTO_MAX_BYTES // MIB,
        launch_reach_m=LAUNCH_REACH_M,
        failed=failed,
        errors=beside,
        labels=FIELD_LABELS,
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
            {"version": _("The form lost the project's version; reload the page.")}
        ) from None


def _date(form: MultiDict, field: str, *, required: bool = True) -> date | None:
    text = form.get(field, "").strip()
    if not text:
        if required:
            raise ValidationFailed({field: _("Give the date.")})
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            {field: _("Give the date as YYYY-MM-DD, e.g. %(example)s.", example="2026-11-25")}
        ) from None


def _milestone_of(session: Session, project_id: int, milestone_id: int) -> int:
    """``milestone_id``, once it is known to belong to the project whose page sent the form."""
    milestone = session.get(Milestone, milestone_id)
    if milestone is None or milestone.project_id != project_id:
        raise UnknownReference(
            _(
                "Project %(project)s has no milestone number %(milestone)s.",
                project=project_id,
                milestone=milestone_id,
            ),
            "milestone",
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
        _("The site survey has begun."),
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
        _("The survey is recorded."),
    )


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> ResponseReturnValue:
    """A survey upload over the limit: the page again, saying what the limit is."""
    project_id = (request.view_args or {}).get("project_id")
    if request.endpoint == "projects.record_survey" and _is_planner() and project_id is not None:
        try:
            message = too_large_message()
            return _page(project_id, "survey", {"photos": message}, message, 413, {})
        except UnknownReference:
            pass  # an error handler cannot raise again; the plain page says what went wrong
    message = _("What was sent is too large.")
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
        _("The departments are asked for their sign-off."),
    )


@bp.post("/<int:project_id>/resurvey")
def resurvey(project_id: int) -> ResponseReturnValue:
    """Back to site survey from coordination, with a public ``reason``."""
    return _act(
        project_id,
        "resurvey",
        lambda s, user, v, f: projects.resurvey(s, project_id, v, user, f.get("reason", "")),
        _("The project is back in site survey."),
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
        _("The department is asked to decide again."),
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
        _("Construction has started."),
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
        _("Construction is finished."),
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
        _("The launch is planned."),
    )


@bp.post("/<int:project_id>/in-service")
def put_in_service(project_id: int) -> ResponseReturnValue:
    """Open the stop: linked requests are completed; optional public ``note``."""
    return _act(
        project_id,
        "service",
        lambda s, user, v, f: projects.put_in_service(s, project_id, v, user, f.get("note", "")),
        _("The stop is in service."),
    )


def _confirmed_reason(form: MultiDict) -> str:
    """Cancelling asks first: the box ticked (no script needed); a missing reason is said at
    the same time, so the planner fixes both in one go."""
    reason = form.get("reason", "")
    if form.get("confirm") == "1":
        return reason
    errors = {"confirm": _("Tick “Yes, cancel this project” to go ahead.")}
    try:
        note_text(reason, "reason", _("The public reason"), required=True)
    except ValidationFailed as missing:
        errors.update(missing.fields)
    raise ValidationFailed(errors)


@bp.post("/<int:project_id>/cancel")
def cancel(project_id: int) -> ResponseReturnValue:
    """Stop the project with a public ``reason``; linked requests go back to review."""
    return _act(
        project_id,
        "cancel",
        lambda s, user, v, f: projects.cancel(s, project_id, v, user, _confirmed_reason(f)),
        _("The project is cancelled."),
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
        _("The due date is changed."),
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
        _("The note is added."),
    )
