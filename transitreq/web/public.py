"""Residents' pages: the map with the request form, confirmation, and the tracking page."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from transitreq.errors import DomainError, TransitionRefused
from transitreq.geo.geojson import as_point
from transitreq.geo.layers import routes_with_paths
from transitreq.models import ServedGroup
from transitreq.services.decisions import answer_question, latest_decision_note
from transitreq.services.overview import city_overview
from transitreq.services.status_rules import is_supportable
from transitreq.services.stop_requests import find_by_reference, submit_request, support_request
from transitreq.web.database import db_session
from transitreq.web.forms import draft_from_form, request_limits
from transitreq.web.maps import city_map, request_map
from transitreq.web.presenters import (
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


def _tracking_page(
    reference: str,
    support_errors: dict[str, str] | None = None,
    status: int = 200,
    support_form: Mapping[str, str] | None = None,
    answer_errors: dict[str, str] | None = None,
    answer_form: Mapping[str, str] | None = None,
) -> ResponseReturnValue:
    session = db_session()
    stop_request = find_by_reference(session, reference)
    point = as_point(stop_request.location)
    rendered = request_map(
        point.y, point.x, stop_request.status.colour, routes_geojson(routes_with_paths(session))
    )
    return render_template(
        "public/track.html",
        stop_request=stop_request,
        point=point,
        map=rendered,
        served_labels={group.value: group.label for group in ServedGroup},
        supportable=is_supportable(stop_request.status),
        support_errors=support_errors or {},
        support_form=support_form or {},
        answer_errors=answer_errors or {},
        answer_form=answer_form or {},
        decision_note=latest_decision_note(stop_request),
    ), status


@bp.get("/requests/<reference>")
def track(reference: str) -> ResponseReturnValue:
    """The public tracking page: status, supporters and the public timeline."""
    return _tracking_page(reference)


@bp.post("/requests/<reference>/support")
def support(reference: str) -> ResponseReturnValue:
    """Count one more resident behind an existing request."""
    try:
        stop_request = support_request(
            db_session(), reference, request.form.get("contact", ""), request.form.get("name", "")
        )
    except DomainError as refusal:
        if refusal.status == 404:
            raise
        return _tracking_page(
            reference, refusal.fields or {"contact": refusal.message}, refusal.status, request.form
        )
    flash(
        f"Thank you: your support is counted. {stop_request.supporter_count} "
        "resident(s) now support this request.",
        "success",
    )
    return redirect(url_for("public.track", reference=stop_request.reference), 303)


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
        return _tracking_page(
            reference, status=refusal.status, answer_errors=errors, answer_form=request.form
        )
    flash("Thank you: the planners have your answer, and the request is back in review.", "success")
    return redirect(url_for("public.track", reference=reference), 303)
