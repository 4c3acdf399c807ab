"""Our JSON API: requests, supports, nearby search and map layers (GeoJSON)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from transitreq.errors import InvalidCoordinates, ValidationFailed
from transitreq.geo.coordinates import point_from_lat_lon
from transitreq.geo.layers import requests_in, routes_with_paths, stops_in
from transitreq.geo.metric import BoundingBox
from transitreq.models import RequestStatus
from transitreq.services.evaluation import evaluate_site
from transitreq.services.placement import placement_problem
from transitreq.services.stop_requests import (
    find_by_reference,
    nearby_requests,
    submit_request,
    support_request,
)
from transitreq.web.database import db_session
from transitreq.web.forms import draft_from_json, evaluation_query, request_limits
from transitreq.web.presenters import (
    evaluation_json,
    public_request,
    requests_geojson,
    routes_geojson,
    stops_geojson,
)

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_NEARBY_RADIUS_M = 2000


def _json_body() -> Any:
    """The parsed body, or a field-named error for a wrong type or malformed JSON."""
    if not request.is_json:
        raise ValidationFailed({"body": "Send the body as JSON (Content-Type: application/json)."})
    body = request.get_json(silent=True)
    if body is None:
        raise ValidationFailed({"body": "The body is not valid JSON."})
    return body


def _radius_m() -> int:
    raw = request.args.get("radius_m", "")
    if not raw:
        return current_app.config["NEARBY_RADIUS_M"]
    try:
        radius_m = int(raw)
    except ValueError:
        raise ValidationFailed({"radius_m": "radius_m must be a whole number of metres."}) from None
    if not 1 <= radius_m <= MAX_NEARBY_RADIUS_M:
        raise ValidationFailed({"radius_m": f"radius_m must be 1 to {MAX_NEARBY_RADIUS_M}."})
    return radius_m


def _bounding_box() -> BoundingBox | None:
    raw = request.args.get("bbox", "")
    if not raw:
        return None
    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in raw.split(","))
        lower_left = point_from_lat_lon(min_lat, min_lon)
        upper_right = point_from_lat_lon(max_lat, max_lon)
    except (ValueError, InvalidCoordinates):
        raise ValidationFailed(
            {"bbox": "bbox must be min_lon,min_lat,max_lon,max_lat in decimal degrees."}
        ) from None
    if lower_left.x > upper_right.x or lower_left.y > upper_right.y:
        raise ValidationFailed({"bbox": "bbox must list the south-west corner first."})
    return BoundingBox(lower_left.x, lower_left.y, upper_right.x, upper_right.y)


@bp.get("/requests/nearby")
def nearby() -> ResponseReturnValue:
    """Requests within ``radius_m`` (default 300) of ``lat``/``lon``, nearest first.

    Also says whether a new request could be filed there (``placement``), so the form can warn
    before it is sent.
    """
    point = point_from_lat_lon(request.args.get("lat"), request.args.get("lon"))
    radius_m = _radius_m()
    session = db_session()
    problem = placement_problem(session, point)
    found = [
        public_request(item.stop_request, with_timeline=False)
        | {
            "distance_m": round(item.distance_m, 1),
        }
        for item in nearby_requests(session, point, radius_m)
    ]
    return jsonify(
        {
            "radius_m": radius_m,
            "placement": {"ok": problem is None, "message": problem},
            "requests": found,
        }
    )


@bp.post("/requests")
def create_request() -> ResponseReturnValue:
    """File a request from a JSON body (same fields as the form; ``lat``/``lon`` numbers)."""
    draft, parse_errors = draft_from_json(_json_body())
    if not isinstance(draft.reporter_contact, str | None):
        # Validation reads the contact as text; a number or object is named, not a 500.
        parse_errors["reporter_contact"] = "reporter_contact must be text."
        draft = replace(draft, reporter_contact="")
    stop_request = submit_request(db_session(), draft, request_limits(), parse_errors)
    response = jsonify(public_request(stop_request))
    response.headers["Location"] = url_for("api.get_request", reference=stop_request.reference)
    return response, 201


@bp.get("/requests/<reference>")
def get_request(reference: str) -> ResponseReturnValue:
    """One request's public details and timeline."""
    return jsonify(public_request(find_by_reference(db_session(), reference)))


@bp.post("/requests/<reference>/supports")
def create_support(reference: str) -> ResponseReturnValue:
    """Support a request: ``contact`` (e-mail or phone, required), ``name`` (optional) and
    ``notify_progress`` (optional boolean: e-mail me at each milestone; needs an e-mail)."""
    body = _json_body()
    if not isinstance(body, dict):
        raise ValidationFailed({"body": "The body must be a JSON object."})
    notify = body.get("notify_progress", False)
    if not isinstance(notify, bool):
        raise ValidationFailed({"notify_progress": "notify_progress must be true or false."})
    stop_request = support_request(
        db_session(), reference, body.get("contact", ""), body.get("name", ""), notify
    )
    return jsonify(
        {"reference": stop_request.reference, "supporters": stop_request.supporter_count}
    ), 201


@bp.get("/evaluate")
def evaluate() -> ResponseReturnValue:
    """Evaluate a candidate stop site at ``lat``/``lon``.

    Optional: ``radii`` (catchments in metres, e.g. ``400,800``) and ``dataset`` (a population
    dataset's name; default the latest one with people near the site).
    """
    query = evaluation_query(request.args)
    evaluation = evaluate_site(db_session(), query.point, query.settings, query.dataset)
    return jsonify(evaluation_json(evaluation))


# Merged requests live on in the request they were merged into.
_MAPPED_STATUSES = tuple(status for status in RequestStatus if status is not RequestStatus.MERGED)


@bp.get("/layers/requests")
def requests_layer() -> ResponseReturnValue:
    """Requests (all but merged ones) as GeoJSON, optionally only those in ``bbox``."""
    return jsonify(requests_geojson(requests_in(db_session(), _MAPPED_STATUSES, _bounding_box())))


@bp.get("/layers/stops")
def stops_layer() -> ResponseReturnValue:
    """Existing stops as GeoJSON, optionally only those in ``bbox``."""
    return jsonify(stops_geojson(stops_in(db_session(), _bounding_box())))


@bp.get("/layers/routes")
def routes_layer() -> ResponseReturnValue:
    """Route geometries as GeoJSON, in their GTFS colours."""
    return jsonify(routes_geojson(routes_with_paths(db_session())))
