"""The planners' map data: the review queue with its map features, population and coverage gap.

Every route is for planners (and administrators) only: anonymous callers get 401 JSON, other
staff 403. Each view parses its query string and calls one service.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from shapely.geometry import Point

from transitreq.errors import ValidationFailed
from transitreq.geo.metric import BoundingBox
from transitreq.i18n import _
from transitreq.models import RequestStatus, Role
from transitreq.services.analysis.layers import coverage_gap_layer, population_layer
from transitreq.services.analysis.pin_weighing import weigh_pins, weighing_json
from transitreq.services.analysis.queue import FILTER_LABELS, QueueQuery, review_queue
from transitreq.web.api import _bounding_box
from transitreq.web.app_settings import settings
from transitreq.web.auth import guard_blueprint, planner_required
from transitreq.web.database import db_session
from transitreq.web.input_guard import label_fields
from transitreq.web.presenters import (
    coverage_gap_json,
    population_layer_json,
    review_queue_json,
)

bp = Blueprint("planner_api", __name__, url_prefix="/api/planner")
guard_blueprint(bp, Role.PLANNER, Role.ADMIN)

DEFAULT_PER_PAGE = 50
DEFAULT_GAP_RADIUS_M = 400


def _labelled(field: str) -> str:
    return str(FILTER_LABELS[field])


def _number(name: str, kind: type, default=None, label: str | None = None):
    """The number in query parameter ``name``; errors call it ``label`` (what planners see)."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    field = label or name
    try:
        value = kind(raw)
    except ValueError:
        message = (
            _("“%(label)s” must be a whole number.", label=field)
            if kind is int
            else _("“%(label)s” must be a number.", label=field)
        )
        raise ValidationFailed({name: message}) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValidationFailed({name: _("“%(label)s” must be a finite number.", label=field)})
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
        known = ", ".join(str(status.label) for status in RequestStatus)
        message = _("“%(label)s” must be among: %(known)s.", label=_labelled("status"), known=known)
        raise ValidationFailed({"status": message}) from None


def _text(name: str) -> str:
    value = request.args.get(name, "").strip()[:200]
    if any(character < " " for character in value):
        raise ValidationFailed(
            {
                name: _(
                    "“%(label)s” must be plain text, without control characters.",
                    label=_labelled(name),
                )
            }
        )
    return value


def _bbox() -> BoundingBox | None:
    """The map's view, its errors naming it as planners know it."""
    try:
        return _bounding_box()
    except ValidationFailed as error:
        raise ValidationFailed(
            {"bbox": _("“%(label)s” is not a box on the map.", label=_labelled("bbox"))}
        ) from error


def queue_query() -> QueueQuery:
    """The queue's filters from the query string (checked again by the service)."""
    sort = request.args.get("sort", "").strip() or "-created_at"
    return QueueQuery(
        box=_bbox(),
        statuses=_statuses(),
        district=_text("district") or None,
        min_score=_number("min_score", float, label=_labelled("min_score")),
        max_score=_number("max_score", float, label=_labelled("max_score")),
        text=_text("q"),
        sort=sort.lstrip("-"),
        descending=sort.startswith("-"),
        page=_number("page", int, 1, _labelled("page")),
        per_page=_number("per_page", int, DEFAULT_PER_PAGE, _labelled("per_page")),
        zoom=_number("zoom", int, None, _labelled("zoom")),
        # ``mine=1`` keeps the requests assigned to the planner asking.
        assigned_to=current_user.id if request.args.get("mine") == "1" else None,
    )


@bp.get("/requests")
@planner_required
def requests() -> ResponseReturnValue:
    """The review queue: ``bbox``, ``status`` (comma list), ``district``, ``min_score``,
    ``max_score``, ``q`` (title, description, landmark or reference), ``sort`` (created_at,
    supporters, score or status; ``-`` first for descending), ``page``, ``per_page`` (≤ 200),
    ``zoom`` (the map's). The page of rows for the table, with a total, each row with
    ``suggestion`` (the best suggested-stop site within 300 m of its pin and how many more
    people it newly serves, or null); for the map each match as a GeoJSON point, or counts per
    grid cell when they are more than a thousand."""
    page = review_queue(db_session(), queue_query())
    body = review_queue_json(page, datetime.now(UTC))
    # Each row's pin weighed against the suggested stops (services/analysis/pin_weighing.py).
    pins = [Point(row.lon, row.lat) for row in page.rows]
    for row, weighing in zip(
        body["rows"], weigh_pins(db_session(), pins, _settings()), strict=True
    ):
        row["suggestion"] = weighing_json(weighing)
    return jsonify(body)


label_fields("planner_api.requests", FILTER_LABELS)


def _settings():
    return settings().evaluation


@bp.get("/layers/population")
@planner_required
def population() -> ResponseReturnValue:
    """Population units in ``bbox`` (at most 10 × 10 km) with people per km²; many points come
    summed into grid cells. Optional ``dataset``."""
    layer = population_layer(
        db_session(), _bounding_box(), _settings(), request.args.get("dataset") or None
    )
    return jsonify(population_layer_json(layer.parts, layer.dataset))


def gap_query():
    """The coverage gap's parameters from the query string, for the map layer and the CSV."""
    return coverage_gap_layer(
        db_session(),
        _bounding_box(),
        _number("radius_m", float, DEFAULT_GAP_RADIUS_M),
        _settings(),
        request.args.get("dataset") or None,
        request.args.get("measure", "").strip() or "straight_line",
    )


@bp.get("/layers/coverage-gap")
@planner_required
def coverage_gap() -> ResponseReturnValue:
    """Where people in ``bbox`` (any size; the whole city without one) live beyond
    ``radius_m`` (default 400) of every stop: the uncovered parts of units with the people
    living in them, summed into grid cells when many, and their total in ``properties``; with
    ``measure=walk`` (boxes up to 5 × 5 km), the units no stop reaches on foot."""
    return jsonify(coverage_gap_json(gap_query()))
