"""A planner's review page for one request, and the decisions taken on it.

Every decision form carries the request's ``version`` as the planner saw it; a decision on a
request that changed since is refused with 409 and the page shown again as it is now.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from transitreq.errors import DomainError, StaleDecision, ValidationFailed
from transitreq.geo.geojson import as_point
from transitreq.geo.layers import route_lines_in_box, routes_by_id
from transitreq.geo.metric import box_around
from transitreq.services import decisions
from transitreq.services.review import Review, review_of
from transitreq.web.auth import planner_required
from transitreq.web.database import db_session
from transitreq.web.forms import point_from_form
from transitreq.web.map_base import RenderedMap
from transitreq.web.presenters import routes_geojson
from transitreq.web.staff_maps import review_map

bp = Blueprint("review", __name__, url_prefix="/planning/requests")

# How far around the request the mini map reaches, in metres.
MAP_REACH_M = 600


def _map(session: Session, review: Review) -> RenderedMap:
    route_ids = [route.route_id for route in review.evaluation.routes_in_catchment]
    box = box_around(review.point.x, review.point.y, MAP_REACH_M)
    routes = routes_geojson(
        routes_by_id(session, route_ids), route_lines_in_box(session, route_ids, box)
    )
    nearby = []
    for near in review.nearby:
        point = as_point(near.stop_request.location)
        label = (
            f"{near.stop_request.reference}: {near.stop_request.title} "
            f"({near.stop_request.status.label}, {near.distance_m:.0f} m)"
        )
        nearby.append((point.y, point.x, label))
    colour = review.stop_request.status.colour
    return review_map(review.point.y, review.point.x, colour, routes, nearby)


def _page(
    reference: str,
    failed: str | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    session = db_session()
    review = review_of(
        session,
        reference,
        current_app.extensions["transitreq.evaluation_settings"],
        current_app.config["NEARBY_RADIUS_M"],
    )
    return render_template(
        "planning/review.html",
        review=review,
        stop_request=review.stop_request,
        evaluation=review.evaluation,
        settings=current_app.extensions["transitreq.evaluation_settings"],
        map=_map(session, review),
        rejection_reasons=decisions.REJECTION_REASONS,
        failed=failed,
        errors=errors or {},
        message=message,
        form=request.form if failed else {},
    ), status


@bp.get("/<reference>")
@planner_required
def page(reference: str) -> ResponseReturnValue:
    """The evidence, the neighbours, the audit log and the decision forms for one request."""
    return _page(reference)


def _version(form: MultiDict) -> int:
    try:
        return int(form.get("version", ""))
    except ValueError:
        raise ValidationFailed(
            {"version": "The form lost the request's version; reload the page."}
        ) from None


def _decide(
    reference: str,
    form_name: str,
    decide: Callable[[Session, Any], object],
    done: str,
    then: Callable[[Any], str] | None = None,
) -> ResponseReturnValue:
    """Run one decision for the logged-in planner; refusals come back on the page.

    ``then`` names the page to go on to from what the decision made (else this review page).
    """
    try:
        made = decide(db_session(), current_user._get_current_object())
    except StaleDecision as stale:
        return _page(reference, form_name, {}, stale.message, stale.status)
    except DomainError as refusal:
        if refusal.status == 404 and not refusal.fields.keys() - {"reference"}:
            raise
        return _page(reference, form_name, refusal.fields, refusal.message, refusal.status)
    flash(done, "success")
    target = then(made) if then else url_for("review.page", reference=reference)
    return redirect(target, 303)


def _link_radius(form: MultiDict) -> float | None:
    text = form.get("link_radius_m", "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValidationFailed({"link_radius_m": "Give the radius in metres, e.g. 150."}) from None


@bp.post("/<reference>/approve")
@planner_required
def approve(reference: str) -> ResponseReturnValue:
    """Approve at the chosen site (``lat``/``lon`` or typed ``coordinates``), maybe linking
    other requests within ``link_radius_m``."""
    form = request.form

    def decide(session: Session, planner: Any) -> object:
        location = point_from_form(form)
        if location is None:
            raise ValidationFailed({"location": "Place the stop's pin or type its coordinates."})
        return decisions.approve(
            session,
            reference,
            _version(form),
            planner,
            location,
            _link_radius(form),
            form.get("note", ""),
        )

    return _decide(
        reference,
        "approve",
        decide,
        "Approved: a stop project is created. Take it from here to service.",
        lambda project: url_for("projects.project_page", project_id=project.id),
    )


@bp.post("/<reference>/merge")
@planner_required
def merge(reference: str) -> ResponseReturnValue:
    """Merge into the request named by ``into_reference``."""
    form = request.form
    return _decide(
        reference,
        "merge",
        lambda session, planner: decisions.merge(
            session,
            reference,
            _version(form),
            planner,
            form.get("into_reference", ""),
            form.get("note", ""),
        ),
        f"Merged into {form.get('into_reference', '').strip().upper()}.",
    )


@bp.post("/<reference>/reject")
@planner_required
def reject(reference: str) -> ResponseReturnValue:
    """Decline with ``reason_code`` from the list and optional ``text``."""
    form = request.form
    return _decide(
        reference,
        "reject",
        lambda session, planner: decisions.reject(
            session,
            reference,
            _version(form),
            planner,
            form.get("reason_code", ""),
            form.get("text", ""),
        ),
        "Not approved; the resident sees the reason.",
    )


@bp.post("/<reference>/ask")
@planner_required
def ask(reference: str) -> ResponseReturnValue:
    """Ask the resident the ``question``; it shows on their tracking page."""
    form = request.form
    return _decide(
        reference,
        "ask",
        lambda session, planner: decisions.ask_for_information(
            session, reference, _version(form), planner, form.get("question", "")
        ),
        "Question sent: it shows on the resident's tracking page.",
    )


@bp.post("/<reference>/notes")
@planner_required
def note(reference: str) -> ResponseReturnValue:
    """Add an internal ``text`` to the audit log; never shown publicly."""
    form = request.form
    return _decide(
        reference,
        "note",
        lambda session, planner: decisions.add_internal_note(
            session, reference, planner, form.get("text", "")
        ),
        "Internal note added.",
    )
