"""Residents' pages: the map with the request form, confirmation, and the tracking page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from transitreq.errors import DomainError, ValidationFailed
from transitreq.geo.geojson import as_point
from transitreq.models import ServedGroup
from transitreq.services.map_layers import routes_layer
from transitreq.services.overview import city_overview
from transitreq.services.status_rules import SUPPORTABLE
from transitreq.services.stop_requests import find_by_reference, submit_request, support_request
from transitreq.web.database import db_session
from transitreq.web.forms import draft_from_form, request_limits
from transitreq.web.maps import city_map, request_map

bp = Blueprint("public", __name__)


def _home(form=None, errors: dict[str, str] | None = None, status: int = 200):
    overview = city_overview(db_session())
    rendered = city_map(overview.extent, overview.routes, overview.stops, overview.requests)
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
def home():
    """The city map with the stop-request form beside it."""
    return _home()


@bp.post("/requests")
def submit():
    """File a request from the form; on any refusal the form comes back with its messages."""
    try:
        stop_request = submit_request(db_session(), draft_from_form(request.form), request_limits())
    except DomainError as refusal:
        errors = (
            refusal.fields
            if isinstance(refusal, ValidationFailed)
            else {"location": refusal.message}
        )
        return _home(request.form, errors, refusal.status)
    return redirect(url_for("public.submitted", reference=stop_request.reference), 303)


@bp.get("/requests/<reference>/submitted")
def submitted(reference: str):
    """Confirmation with the public reference and the tracking address to keep."""
    stop_request = find_by_reference(db_session(), reference)
    tracking_url = url_for("public.track", reference=stop_request.reference, _external=True)
    return render_template(
        "public/submitted.html", stop_request=stop_request, tracking_url=tracking_url
    )


def _tracking_page(
    reference: str,
    support_errors: dict[str, str] | None = None,
    status: int = 200,
    support_form=None,
):
    session = db_session()
    stop_request = find_by_reference(session, reference)
    point = as_point(stop_request.location)
    rendered = request_map(point.y, point.x, stop_request.status.colour, routes_layer(session))
    return render_template(
        "public/track.html",
        stop_request=stop_request,
        point=point,
        map=rendered,
        supportable=stop_request.status in SUPPORTABLE,
        support_errors=support_errors or {},
        support_form=support_form or {},
    ), status


@bp.get("/requests/<reference>")
def track(reference: str):
    """The public tracking page: status, supporters and the public timeline."""
    return _tracking_page(reference)


@bp.post("/requests/<reference>/support")
def support(reference: str):
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
