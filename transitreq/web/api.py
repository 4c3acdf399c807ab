"""Our JSON API: requests, supports, nearby search, place search and map layers (GeoJSON)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from shapely.geometry import Point
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from transitreq.errors import InvalidCoordinates, ValidationFailed
from transitreq.geo.coordinates import parse_lat_lon_text, point_from_lat_lon
from transitreq.geo.geojson import decimals_for_zoom
from transitreq.geo.layers import (
    points_for_zoom,
    requests_for_zoom,
    requests_in,
    routes_for_zoom,
    routes_in_box,
    routes_with_paths,
    stops_for_zoom,
    stops_in,
)
from transitreq.geo.metric import BoundingBox
from transitreq.i18n import _
from transitreq.models import ProjectStage, StopProject
from transitreq.services.analysis.city import new_stops, service_areas
from transitreq.services.analysis.evaluation import evaluate_site
from transitreq.services.places.search import DEFAULT_LIMIT, MAX_LIMIT, search_places
from transitreq.services.requests.filing import (
    find_by_reference,
    nearby_requests,
    submit_request,
    support_request,
)
from transitreq.services.requests.placement import placement_problem
from transitreq.services.requests.rules import SHOWN
from transitreq.web.app_settings import settings
from transitreq.web.database import db_session
from transitreq.web.forms import draft_from_json, evaluation_query, request_limits
from transitreq.web.layer_cache import cached_layer
from transitreq.web.locale import page_locale
from transitreq.web.map_base import MAX_ZOOM
from transitreq.web.presenters import (
    evaluation_json,
    new_stop_features,
    new_stops_geojson,
    points_for_zoom_geojson,
    public_place,
    public_request,
    request_features,
    requests_geojson,
    routes_geojson,
    service_areas_geojson,
    stop_features,
    stops_geojson,
)

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_NEARBY_RADIUS_M = 2000


def _json_body() -> Any:
    """The parsed body, or a field-named error for a wrong type or malformed JSON."""
    if not request.is_json:
        raise ValidationFailed(
            {"body": _("Send the body as JSON (Content-Type: application/json).")}
        )
    body = request.get_json(silent=True)
    if body is None:
        raise ValidationFailed({"body": _("The body is not valid JSON.")})
    return body


def _radius_m() -> int:
    raw = request.args.get("radius_m", "")
    if not raw:
        return settings().nearby_radius_m
    try:
        radius_m = int(raw)
    except ValueError:
        raise ValidationFailed(
            {"radius_m": _("%(field)s must be a whole number of metres.", field="radius_m")}
        ) from None
    if not 1 <= radius_m <= MAX_NEARBY_RADIUS_M:
        raise ValidationFailed(
            {
                "radius_m": _(
                    "%(field)s must be %(low)d to %(high)d.",
                    field="radius_m",
                    low=1,
                    high=MAX_NEARBY_RADIUS_M,
                )
            }
        )
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
            {
                "bbox": _(
                    "%(field)s must be %(format)s in decimal degrees.",
                    field="bbox",
                    format="min_lon,min_lat,max_lon,max_lat",
                )
            }
        ) from None
    if lower_left.x > upper_right.x or lower_left.y > upper_right.y:
        raise ValidationFailed(
            {"bbox": _("%(field)s must list the south-west corner first.", field="bbox")}
        )
    return BoundingBox(lower_left.x, lower_left.y, upper_right.x, upper_right.y)


def _near() -> Point | None:
    raw = request.args.get("near", "")
    if not raw:
        return None
    try:
        return parse_lat_lon_text(raw, "near")
    except InvalidCoordinates as wrong:
        # The same refusal (swapped, out of range…), named after this parameter.
        raise type(wrong)(wrong.message, "near") from None


def _places_limit() -> int:
    raw = request.args.get("limit", "")
    if not raw:
        return DEFAULT_LIMIT
    # The length first: int() of thousands of digits is refused by Python itself.
    if not (raw.isdecimal() and len(raw) <= len(str(MAX_LIMIT)) and 1 <= int(raw) <= MAX_LIMIT):
        raise ValidationFailed(
            {
                "limit": _(
                    "%(field)s must be a whole number from %(low)d to %(high)d.",
                    field="limit",
                    low=1,
                    high=MAX_LIMIT,
                )
            }
        )
    return int(raw)


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


@bp.get("/places")
def places() -> ResponseReturnValue:
    """Places named like ``q``, from our own data only: stops (same-named platforms as one),
    landmarks of filed requests, service areas, and streets and places once an OpenStreetMap
    extract is loaded. Inside a service area first, then the exact name, names starting with
    ``q``, names where it starts a word, names containing it; then nearest ``near``
    (``lat,lon``, e.g. the map's centre). At most ``limit`` (default 10)."""
    found = search_places(db_session(), request.args.get("q"), _near(), _places_limit())
    return jsonify({"places": [public_place(place) for place in found]})


@bp.post("/requests")
def create_request() -> ResponseReturnValue:
    """File a request from a JSON body (same fields as the form; ``lat``/``lon`` numbers)."""
    draft, parse_errors = draft_from_json(_json_body())
    if not isinstance(draft.reporter_contact, str | None):
        # Validation reads the contact as text; a number or object is named, not a 500.
        parse_errors["reporter_contact"] = _("%(field)s must be text.", field="reporter_contact")
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
    ``notify_progress`` (optional boolean: e-mail me at each milestone; needs an e-mail).
    A contact that already counts gets the same answer, and still counts once."""
    body = _json_body()
    if not isinstance(body, dict):
        raise ValidationFailed({"body": _("The body must be a JSON object.")})
    notify = body.get("notify_progress", False)
    if not isinstance(notify, bool):
        raise ValidationFailed(
            {"notify_progress": _("%(field)s must be true or false.", field="notify_progress")}
        )
    stop_request = support_request(
        db_session(),
        reference,
        body.get("contact", ""),
        body.get("name", ""),
        notify,
        locale=page_locale(),
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
# Without ``zoom``, beyond these many features in the view a layer answers ``truncated`` with
# none, and the map says to zoom in: a whole city's points in one answer would be megabytes.
# With ``zoom`` a point layer is counted per grid cell instead (geo/clusters.py), and its size
# depends on the screen, not on the city.
MAX_LAYER_REQUESTS = 5000
MAX_LAYER_STOPS = 3000
WHOLE_GLOBE = BoundingBox(-180.0, -90.0, 180.0, 90.0)


def _at_most(features: list[Any], limit: int) -> tuple[list[Any], bool]:
    """The features, or none and ``True`` when there are more than ``limit``."""
    return ([], True) if len(features) > limit else (features, False)


def _zoom() -> int | None:
    """The map's zoom (0–``MAX_ZOOM``, a whole number), or None when not given."""
    raw = request.args.get("zoom", "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdecimal() and len(raw) <= 2 and int(raw) <= MAX_ZOOM):
        raise ValidationFailed(
            {
                "zoom": _(
                    "%(field)s must be a whole number from %(low)d to %(high)d.",
                    field="zoom",
                    low=0,
                    high=MAX_ZOOM,
                )
            }
        )
    return int(raw)


@bp.get("/layers/requests")
@cached_layer("requests")
def requests_layer() -> ResponseReturnValue:
    """Requests (all but merged ones) as GeoJSON, optionally only those in ``bbox``; with
    ``zoom``, counted per grid cell where many (bubbles with ``count``), each shown alone where
    it stands alone or when zoomed in to the streets."""
    box, zoom = _bounding_box(), _zoom()
    if zoom is not None:
        points = requests_for_zoom(db_session(), SHOWN, box or WHOLE_GLOBE, zoom)
        return jsonify(points_for_zoom_geojson(points, request_features, decimals_for_zoom(zoom)))
    found, truncated = _at_most(
        requests_in(db_session(), SHOWN, box, MAX_LAYER_REQUESTS + 1), MAX_LAYER_REQUESTS
    )
    return jsonify(requests_geojson(found) | {"truncated": truncated})


@bp.get("/layers/stops")
@cached_layer("stops")
def stops_layer() -> ResponseReturnValue:
    """Existing stops as GeoJSON, optionally only those in ``bbox``; with ``zoom``, counted per
    grid cell where many, as requests are."""
    box, zoom = _bounding_box(), _zoom()
    if zoom is not None:
        points = stops_for_zoom(db_session(), box or WHOLE_GLOBE, zoom)
        return jsonify(points_for_zoom_geojson(points, stop_features, decimals_for_zoom(zoom)))
    found, truncated = _at_most(stops_in(db_session(), box, MAX_LAYER_STOPS + 1), MAX_LAYER_STOPS)
    return jsonify(stops_geojson(found) | {"truncated": truncated})


@bp.get("/layers/routes")
@cached_layer("routes")
def routes_layer() -> ResponseReturnValue:
    """Route geometries as GeoJSON, in their GTFS colours; with ``bbox``, the routes through it
    with their lines cut to it; with ``zoom`` too, each line simplified to what the zoom shows
    (no vertex moved by more than a screen pixel, each part's ends kept) and its coordinates
    rounded to a pixel."""
    box, zoom = _bounding_box(), _zoom()
    if zoom is not None:
        routes, lines = routes_for_zoom(db_session(), box or WHOLE_GLOBE, zoom)
        return jsonify(routes_geojson(routes, lines, decimals_for_zoom(zoom)))
    if box is None:
        return jsonify(routes_geojson(routes_with_paths(db_session())))
    routes, lines = routes_in_box(db_session(), box)
    return jsonify(routes_geojson(routes, lines))


def _new_stops_where(session: Session, condition: ColumnElement[bool]) -> list[StopProject]:
    return new_stops(session, where=condition)


@bp.get("/layers/new-stops")
@cached_layer("new_stops")
def new_stops_layer() -> ResponseReturnValue:
    """Stops being built or in service from residents' requests, optionally only in ``bbox``:
    the operator's feed has them only later. With ``zoom``, counted per cell where many."""
    box, zoom = _bounding_box(), _zoom()
    if zoom is not None:
        points = points_for_zoom(
            db_session(),
            StopProject.location,
            StopProject.id,
            [StopProject.status != ProjectStage.CANCELLED],
            box or WHOLE_GLOBE,
            zoom,
            _new_stops_where,
        )
        return jsonify(points_for_zoom_geojson(points, new_stop_features, decimals_for_zoom(zoom)))
    return jsonify(new_stops_geojson(new_stops(db_session(), box)))


@bp.get("/layers/service-areas")
@cached_layer("service_areas")
def service_areas_layer() -> ResponseReturnValue:
    """The boundaries of the areas where requests are taken."""
    return jsonify(service_areas_geojson(service_areas(db_session())))
