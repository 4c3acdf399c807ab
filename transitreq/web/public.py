"""Residents' pages: the map with the request form, confirmation, and the tracking page with
its forms (support, answer a question, feedback on the finished stop)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from transitreq.errors import DomainError, TransitionRefused
from transitreq.geo.geojson import as_point
from transitreq.geo.layers import routes_with_paths
from transitreq.models import RequestStatus, ServedGroup
from transitreq.services.decisions import answer_question, latest_decision_note
from transitreq.services.feedback import (
    FEEDBACK_MAX_CHARS,
    FeedbackClosed,
    leave_feedback,
    published_feedback,
)
from transitreq.services.overview import city_overview
from transitreq.services.project_settings import local_today
from transitreq.services.status_rules import is_supportable
from transitreq.services.stop_requests import find_by_reference, submit_request, support_request
from transitreq.services.tracking import project_progress, public_timeline
from transitreq.web.database import db_session
from transitreq.web.forms import draft_from_form, request_limits
from transitreq.web.maps import city_map, request_map
from transitreq.web.presenters import (
    new_stops_geojson,
    requests_geojson,
    routes_geojson,
    stops_geojson,
    tracking_url,
)

bp = Blueprint("public", __name__)


def _home(
    form: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    overview = city_overview(db_session())
    rendered = city_map(
        overview.extent,
        routes_geojson(overview.routes),
        stops_geojson(overview.stops),
        requests_geojson(overview.requests),
        new_stops_geojson(overview.new_stops),
    )
    return render_template(
        "public/home.html",
        map=rendered,
        overview=overview,
        served_groups=list(ServedGroup),
        form=form or {},
        errors=errors or {},
        limits=request_limits(),
    ), status


@bp.get("/")
def home() -> ResponseReturnValue:
    """The city map with the stop-request form beside it."""
    return _home()


@bp.post("/requests")
def submit() -> ResponseReturnValue:
    """File a request from the form; on any refusal the form comes back with its messages."""
    draft, parse_errors = draft_from_form(request.form)
    try:
        stop_request = submit_request(db_session(), draft, request_limits(), parse_errors)
    except DomainError as refusal:
        return _home(request.form, refusal.fields or {"location": refusal.message}, refusal.status)
    return redirect(url_for("public.submitted", reference=stop_request.reference), 303)


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
    rendered = request_map(
        point.y, point.x, stop_request.status.colour, routes_geojson(routes_with_paths(session))
    )
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
        )
    except DomainError as refusal:
        return _refused(reference, "support", refusal)
    flash(
        f"Thank you: your support is counted. {stop_request.supporter_count} "
        "resident(s) now support this request.",
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
    flash("Thank you: your message will appear here once a planner has read it.", "success")
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
    flash("Thank you: the planners have your answer, and the request is back in review.", "success")
    return redirect(url_for("public.track", reference=reference), 303)
