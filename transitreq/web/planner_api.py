"""The planners' map data: the review queue with its map features, population and coverage gap.

Every route is for planners (and administrators) only: anonymous callers get 401 JSON, other
staff 403. Each view parses its query string and calls one service.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from transitreq.errors import ValidationFailed
from transitreq.models import RequestStatus, Role
from transitreq.services.review_queue import (
    QueueQuery,
    coverage_gap_layer,
    population_layer,
    review_queue,
)
from transitreq.web.api import _bounding_box
from transitreq.web.auth import guard_blueprint, planner_required
from transitreq.web.database import db_session
from transitreq.web.presenters import population_layer_json, review_queue_json

bp = Blueprint("planner_api", __name__, url_prefix="/api/planner")
guard_blueprint(bp, Role.PLANNER, Role.ADMIN)

DEFAULT_PER_PAGE = 50
DEFAULT_GAP_RADIUS_M = 400


def _number(name: str, kind: type, default=None):
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ValidationFailed({name: f"{name} must be a number."}) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValidationFailed({name: f"{name} must be a finite number."})
    return value


def _statuses() -> tuple[RequestStatus, ...]:
    # A comma list (the map's script), or the parameter repeated (a plain form's checkboxes).
    names = [
        part.strip()
        for value in request.args.getlist("status")
        for part in value.split(",")
        if part.strip()
    ]
    try:
        return tuple(RequestStatus(name) for name in names)
    except ValueError:
        known = ", ".join(status.value for status in RequestStatus)
        raise ValidationFailed({"status": f"status must be a comma list of {known}."}) from None


def _text(name: str) -> str:
    value = request.args.get(name, "").strip()[:200]
    if any(character < " " for character in value):
        raise ValidationFailed({name: f"{name} must be plain text."})
    return value


def queue_query() -> QueueQuery:
    """The queue's filters from the query string (checked again by the service)."""
    sort = request.args.get("sort", "").strip() or "-created_at"
    return QueueQuery(
        box=_bounding_box(),
        statuses=_statuses(),
        district=_text("district") or None,
        min_score=_number("min_score", float),
        max_score=_number("max_score", float),
        text=_text("q"),
        sort=sort.lstrip("-"),
        descending=sort.startswith("-"),
        page=_number("page", int, 1),
        per_page=_number("per_page", int, DEFAULT_PER_PAGE),
    )


@bp.get("/requests")
@planner_required
def requests() -> ResponseReturnValue:
    """The review queue: ``bbox``, ``status`` (comma list), ``district``, ``min_score``,
    ``max_score``, ``q`` (title, description, landmark or reference), ``sort`` (created_at,
    supporters, score or status; ``-`` first for descending), ``page``, ``per_page`` (≤ 200).
    The page of rows for the table and every match as GeoJSON for the map."""
    page = review_queue(db_session(), queue_query())
    return jsonify(review_queue_json(page, datetime.now(UTC)))


def _settings():
    return current_app.extensions["transitreq.evaluation_settings"]


@bp.get("/layers/population")
@planner_required
def population() -> ResponseReturnValue:
    """Population units in ``bbox`` (at most 10 × 10 km) with people per km²; many points come
    summed into grid cells. Optional ``dataset``."""
    layer = population_layer(
        db_session(), _bounding_box(), _settings(), request.args.get("dataset") or None
    )
    return jsonify(population_layer_json(layer.parts, layer.dataset))


@bp.get("/layers/coverage-gap")
@planner_required
def coverage_gap() -> ResponseReturnValue:
    """Where people in ``bbox`` (at most 5 × 5 km) live beyond ``radius_m`` (default 400) of
    every stop: the uncovered parts of units with the people living in them."""
    layer = coverage_gap_layer(
        db_session(),
        _bounding_box(),
        _number("radius_m", float, DEFAULT_GAP_RADIUS_M),
        _settings(),
        request.args.get("dataset") or None,
    )
    return jsonify(population_layer_json(layer.parts, layer.dataset))
