"""Residents' pages: the map with the request form, confirmation, and the tracking page with
its forms (support, answer a question, feedback on the finished stop)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from transitreq.errors import DomainError, TransitionRefused
from transitreq.geo.geojson import as_point
from transitreq.i18n import _, ngettext
from transitreq.models import RequestStatus, ServedGroup
from transitreq.services.analysis.city import city_overview
from transitreq.services.context import local_today
from transitreq.services.requests.decisions import answer_question, latest_decision_note
from transitreq.services.requests.feedback import (
    FEEDBACK_MAX_CHARS,
    FeedbackClosed,
    leave_feedback,
    published_feedback,
)
from transitreq.services.requests.filing import find_by_reference, submit_request, support_request
from transitreq.services.requests.photo_files import MAX_REQUEST_PHOTOS, REQUEST_PHOTO_MAX_BYTES
from transitreq.services.requests.photos import published_photos
from transitreq.services.requests.rules import is_supportable
from transitreq.services.requests.tracking import project_progress, public_timeline
from transitreq.web.database import db_session
from transitreq.web.form_messages import request_form_config
from transitreq.web.forms import draft_from_form, request_limits
from transitreq.web.locale import page_locale
from transitreq.web.maps import city_map, request_map
from transitreq.web.place_search import place_search_config
from transitreq.web.presenters import tracking_url
from transitreq.web.request_photos import photos_over_limit, too_large_message

bp = Blueprint("public", __name__)


def _home(
    form: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    photos_sent: bool = False,
) -> ResponseReturnValue:
    """The map and form; ``photos_sent`` says files came with a form sent back, which no
    browser lets a page fill in again."""
    overview = city_overview(db_session())
    return render_template(
        "public/home.html",
        map=city_map(overview.extent),
        place_search=place_search_config(),
        request_form=request_form_config(),
        overview=overview,
        served_groups=list(ServedGroup),
        form=form or {},
        errors=errors or {},
        limits=request_limits(),
        max_photos=MAX_REQUEST_PHOTOS,
        photo_max_mb=REQUEST_PHOTO_MAX_BYTES // (1024 * 1024),
        photos_sent=photos_sent,
    ), status


@bp.get("/")
def home() -> ResponseReturnValue:
    """The city map with the stop-request form beside it."""
    return _home()


@bp.post("/requests")
def submit() -> ResponseReturnValue:
    """File a request from the form, with up to three ``photos`` of the spot; on any refusal
    the form comes back with its messages and nothing is written."""
    draft, parse_errors = draft_from_form(request.form, request.files)
    try:
        stop_request = submit_request(db_session(), draft, request_limits(), parse_errors)
    except DomainError as refusal:
        errors = refusal.fields or {"location": refusal.message}
        return _home(request.form, errors, refusal.status, photos_sent=bool(draft.photos))
    return redirect(url_for("public.submitted", reference=stop_request.reference), 303)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> ResponseReturnValue:
    """Photos too large together: the request form again, saying what fits (nothing of the
    body was read, so nothing typed can be kept). Any other body too large: the error page."""
    if request.endpoint == "public.submit" and photos_over_limit():
        return _home({}, {"photos": too_large_message()}, 413, photos_sent=True)
    message = _("What was sent is too large.")
    return render_template("errors/error.html", status=413, message=message), 413


@bp.get("/requests/<reference>/submitted")
def submitted(reference: str) -> ResponseReturnValue:
    """Confirmation with the public reference and the tracking address to keep."""
    stop_request = find_by_reference(db_session(), reference)
    return render_template(
        "public/submitted.html",
        stop_request=stop_request,
        tracking_url=tracking_url(stop_request.reference),
    )


# The forms of the tracking page; a refused one comes back with its messages and what was typed.
TRACKING_FORMS = ("support", "answer", "feedback")


def _tracking_page(
    reference: str,
    failed: str | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    session = db_session()
    stop_request = find_by_reference(session, reference)
    point = as_point(stop_request.location)
    rendered = request_map(point.y, point.x, stop_request.status.colour)
    project = stop_request.project
    return render_template(
        "public/track.html",
        stop_request=stop_request,
        point=point,
        map=rendered,
        served_labels={group.value: group.label for group in ServedGroup},
        supportable=is_supportable(stop_request.status),
        errors={name: dict(errors or {}) if name == failed else {} for name in TRACKING_FORMS},
        forms={name: request.form if name == failed else {} for name in TRACKING_FORMS},
        decision_note=latest_decision_note(stop_request),
        timeline=public_timeline(stop_request),
        progress=project_progress(project, local_today(session)) if project else None,
        feedback=published_feedback(session, project.id) if project else [],
        feedback_open=stop_request.status is RequestStatus.COMPLETED,
        feedback_max_chars=FEEDBACK_MAX_CHARS,
        photos=published_photos(stop_request),
    ), status


def _refused(reference: str, form_name: str, refusal: DomainError) -> ResponseReturnValue:
    """A form's refusal shown on the tracking page; an unknown request is the 404 page."""
    if refusal.status == 404 and not refusal.fields.keys() - {"reference"}:
        raise refusal
    fields = refusal.fields or {"reference": refusal.message}
    return _tracking_page(reference, form_name, fields, refusal.status)


@bp.get("/requests/<reference>")
def track(reference: str) -> ResponseReturnValue:
    """The public tracking page: status, supporters, the stop project's progress and the
    public timeline, and residents' published feedback once the stop is in service."""
    return _tracking_page(reference)


@bp.post("/requests/<reference>/support")
def support(reference: str) -> ResponseReturnValue:
    """Count one more resident behind an existing request, maybe e-mailing them its progress."""
    form = request.form
    try:
        stop_request = support_request(
            db_session(),
            reference,
            form.get("contact", ""),
            form.get("name", ""),
            notify_progress=form.get("notify_progress") in ("on", "1", "true", "yes"),
            locale=page_locale(),
        )
    except DomainError as refusal:
        return _refused(reference, "support", refusal)
    flash(
        ngettext(
            "Thank you: your support is counted. %(num)d resident now supports this request.",
            "Thank you: your support is counted. %(num)d residents now support this request.",
            stop_request.supporter_count,
        ),
        "success",
    )
    return redirect(url_for("public.track", reference=stop_request.reference), 303)


@bp.post("/requests/<reference>/feedback")
def feedback(reference: str) -> ResponseReturnValue:
    """Feedback or thanks on a stop in service; shown once a planner has read it."""
    try:
        leave_feedback(
            db_session(), reference, request.form.get("body", ""), request.form.get("name", "")
        )
    except FeedbackClosed:
        # No feedback form is on the page of a request not completed: the error page says why.
        raise
    except DomainError as refusal:
        return _refused(reference, "feedback", refusal)
    flash(_("Thank you: your message will appear here once a planner has read it."), "success")
    return redirect(url_for("public.track", reference=reference, _anchor="feedback"), 303)


@bp.post("/requests/<reference>/answer")
def answer(reference: str) -> ResponseReturnValue:
    """The resident answers a planner's question, with the contact they filed the request with."""
    try:
        answer_question(
            db_session(), reference, request.form.get("contact", ""), request.form.get("answer", "")
        )
    except TransitionRefused as refusal:
        # Answered already, or decided meanwhile: the form is gone, so say it above the page.
        flash(refusal.message, "error")
        return redirect(url_for("public.track", reference=reference), 303)
    except DomainError as refusal:
        if refusal.status == 404:
            raise
        errors = refusal.fields or {"answer": refusal.message}
        return _tracking_page(reference, "answer", errors, refusal.status)
    flash(
        _("Thank you: the planners have your answer, and the request is back in review."), "success"
    )
    return redirect(url_for("public.track", reference=reference), 303)
