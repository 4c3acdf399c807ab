"""The OpenAPI 3.1 description of our JSON API, served as data and rendered as a docs page.

The document is built from plain dicts here, next to nothing else, so a reader (and the test
that compares it with the app's URL map) sees every path, parameter and response in one place.
Shapes follow ``web/presenters.py`` and the error format of ``web/errors.py``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from transitreq.models import PlaceKind, ProjectStage, RequestStatus, ServedGroup
from transitreq.services.analysis.evaluation import MAX_RADIUS_M
from transitreq.services.places.search import DEFAULT_LIMIT, MAX_LIMIT, MAX_QUERY_CHARS
from transitreq.services.requests.photo_files import PHOTO_MAX_SIDE_PX
from transitreq.web.api import MAX_NEARBY_RADIUS_M
from transitreq.web.planner_messages import planner_messages

# Bumped when a path, parameter or response shape changes in a way clients can notice.
API_VERSION = "1.2.0"

bp = Blueprint("api_docs", __name__, url_prefix="/api")

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(type_name: str, **extra: Any) -> Schema:
    return {"type": [type_name, "null"], **extra}


def _object(properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


def _array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


_INTEGER = {"type": "integer"}
_NUMBER = {"type": "number"}
_STRING = {"type": "string"}
_BOOLEAN = {"type": "boolean"}
_DATE_TIME = {"type": "string", "format": "date-time"}

_REQUEST_SUMMARY = {
    "reference": {"type": "string", "examples": ["SR-2026-000123"]},
    "title": _STRING,
    "status": {"type": "string", "enum": [status.value for status in RequestStatus]},
    "status_label": _STRING,
    "colour": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
    "supporters": {"type": "integer", "minimum": 0},
    "supportable": _BOOLEAN,
    "created_at": _DATE_TIME,
    "is_demo": _BOOLEAN,
}
_REQUEST_DETAILS = _REQUEST_SUMMARY | {
    "description": _STRING,
    "served_groups": _array(_STRING),
    "landmark": _STRING,
    "media_urls": _array({"type": "string", "format": "uri"}),
    "lat": {"type": "number", "minimum": -90, "maximum": 90},
    "lon": {"type": "number", "minimum": -180, "maximum": 180},
    "tracking_url": {"type": "string", "format": "uri"},
}

_MODE = {
    "type": "string",
    "description": "The mode of a GTFS route_type: bus, trolleybus, tram, metro, rail, ferry, "
    "cable_tram, aerial_lift, funicular, monorail or other.",
}
_PASSING_ROUTE = _object(
    {
        "route_id": _INTEGER,
        "name": _STRING,
        "short_name": _STRING,
        "colour": _STRING,
        "mode": _MODE,
        "distance_m": _NUMBER,
        "trips_per_weekday": _INTEGER,
    }
)


def _feature(properties: Schema, geometry_types: list[str]) -> Schema:
    """A GeoJSON Feature (RFC 7946) whose geometry is one of ``geometry_types``."""
    return _object(
        {
            "type": {"const": "Feature"},
            "id": _STRING,
            "geometry": _object(
                {
                    "type": {"type": "string", "enum": geometry_types},
                    "coordinates": {"type": "array"},
                }
            ),
            "properties": properties,
        },
        required=["type", "geometry", "properties"],
    )


def _feature_collection(feature: str, truncated: bool = False, clustered: bool = False) -> Schema:
    """A layer's FeatureCollection; a point layer asked with ``zoom`` also holds bubbles
    (``ClusterFeature``) and says how many points the box holds."""
    items = {"anyOf": [_ref(feature), _ref("ClusterFeature")]} if clustered else _ref(feature)
    properties: dict[str, Schema] = {
        "type": {"const": "FeatureCollection"},
        "features": _array(items),
    }
    if truncated:
        properties["truncated"] = {
            "type": "boolean",
            "description": "Without `zoom`: true when the box holds too many features to send: "
            "`features` is then empty, and a map should ask the reader to zoom in.",
        }
    if clustered:
        properties["total"] = {
            "type": "integer",
            "description": "With `zoom`: how many points the box holds (the features shown "
            "alone plus every bubble's `count`).",
        }
        properties["clustered"] = {
            "type": "boolean",
            "description": "With `zoom`: true when some features are bubbles of several points.",
        }
    return _object(properties, required=["type", "features"])


SCHEMAS: dict[str, Schema] = {
    "Error": _object(
        {
            "error": _object(
                {
                    "code": {
                        "type": "string",
                        "description": "Stable and machine-readable, e.g. `validation_failed`, "
                        "`swapped_coordinates`, `outside_service_area`, `not_found`, "
                        "`not_supportable`, `rate_limited`.",
                    },
                    "message": {"type": "string", "description": "For people, in plain words."},
                    "fields": {
                        "type": "object",
                        "additionalProperties": _STRING,
                        "description": "What is wrong with each named field.",
                    },
                    "field": {"type": "string", "description": "The first field named."},
                },
                required=["code", "message", "fields"],
            )
        }
    ),
    "TimelineEvent": _object(
        {
            "kind": _STRING,
            "from_status": _nullable("string"),
            "to_status": _nullable("string"),
            "title": _STRING,
            "text": {"type": "string", "description": "The step in words, as residents read it."},
            "source": {"type": "string", "enum": ["request", "project"]},
            "note": _nullable("string"),
            "at": _DATE_TIME,
        }
    ),
    "PublicProject": _object(
        {
            "stage": {"type": "string", "enum": [stage.value for stage in ProjectStage]},
            "stage_label": _STRING,
            "launch_routes": _array(_STRING),
            "service_start_date": {"type": ["string", "null"], "format": "date"},
            "service_summary": _nullable("string"),
            "cancel_reason": _nullable("string"),
        }
    ),
    "PublicPhoto": {
        **_object(
            {
                "url": {"type": "string", "format": "uri"},
                "width": {"type": "integer", "minimum": 1},
                "height": {"type": "integer", "minimum": 1},
            }
        ),
        "description": "A photo of the spot the resident attached, once a planner published "
        f"it: a JPEG re-encoded without its location or other metadata, at most "
        f"{PHOTO_MAX_SIDE_PX} pixels a side.",
    },
    "PublicRequest": _object(
        _REQUEST_DETAILS
        | {
            "timeline": _array(_ref("TimelineEvent")),
            "project": {"oneOf": [_ref("PublicProject"), {"type": "null"}]},
            "photos": _array(_ref("PublicPhoto")),
        },
    ),
    "NearbyRequest": _object(_REQUEST_DETAILS | {"distance_m": {"type": "number", "minimum": 0}}),
    "NearbyRequests": _object(
        {
            "radius_m": _INTEGER,
            "placement": _object(
                {"ok": _BOOLEAN, "message": _nullable("string")},
            ),
            "requests": _array(_ref("NearbyRequest")),
        }
    ),
    "Place": _object(
        {
            "name": {"type": "string", "description": "As its source spells it."},
            "kind": {
                "type": "string",
                "enum": [kind.value for kind in PlaceKind],
                "description": "`stop` (same-named platforms standing together as one, at "
                "their centroid), `landmark` (named in a filed request, at its pin), `area` (a "
                "service area), `street` or `place` (from an OpenStreetMap extract).",
            },
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "lon": {"type": "number", "minimum": -180, "maximum": 180},
            "inside_service_area": {
                "type": "boolean",
                "description": "False for a place where no request can be filed.",
            },
        }
    ),
    "Places": _object({"places": _array(_ref("Place"))}),
    "NewRequest": {
        **_object(
            {
                "title": {"type": "string", "description": "Up to TITLE_MAX_CHARS characters."},
                "description": _STRING,
                "served_groups": _array(
                    {"type": "string", "enum": [group.value for group in ServedGroup]}
                ),
                "landmark": _STRING,
                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                "lon": {"type": "number", "minimum": -180, "maximum": 180},
                "reporter_name": {"type": "string", "description": "Never shown publicly."},
                "reporter_contact": {
                    "type": "string",
                    "description": "E-mail or phone; never shown publicly.",
                },
                "notify_progress": _BOOLEAN,
            },
            required=["title", "description", "lat", "lon"],
        ),
        "examples": [
            {
                "title": "Stop by the health centre",
                "description": "Patients walk 700 m from the nearest stop.",
                "served_groups": ["health", "elderly"],
                "landmark": "Health centre gate",
                "lat": 60.171,
                "lon": 24.943,
                "reporter_contact": "aino@example.org",
                "notify_progress": True,
            }
        ],
    },
    "NewSupport": _object(
        {
            "contact": {
                "type": "string",
                "description": "E-mail or phone: each person counts once.",
            },
            "name": _STRING,
            "notify_progress": {
                "type": "boolean",
                "default": False,
                "description": "E-mail the contact at each public milestone of the stop; "
                "needs an e-mail contact.",
            },
        },
        required=["contact"],
    ),
    "SupportCount": _object({"reference": _STRING, "supporters": _INTEGER}),
    "Evaluation": _object(
        {
            "lat": _NUMBER,
            "lon": _NUMBER,
            "metric_srid": _INTEGER,
            "placement_problem": _nullable("string"),
            "population_dataset": _nullable("string"),
            "street_network": _nullable(
                "string",
                description="The street network walking catchments were measured on; null "
                "when none covers the site (then every catchment is a straight-line one).",
            ),
            "catchments": _array(
                _object(
                    {
                        "radius_m": _INTEGER,
                        "population": _nullable("number"),
                        "newly_served": _nullable("number"),
                        "already_served_by": _array(
                            _object({"mode": _MODE, "population": _NUMBER})
                        ),
                        "measure": {
                            "type": "string",
                            "enum": ["straight_line", "walk"],
                            "description": "straight_line: within a circle of radius_m, "
                            "polygons weighted by their area inside; walk: within radius_m "
                            "along the walkable streets, links to them included, polygons "
                            "counted whole by their centroid.",
                        },
                        "area": {
                            "type": ["object", "null"],
                            "description": "For a walk: the reachable streets, buffered, as a "
                            "GeoJSON Polygon or MultiPolygon (WGS 84), to draw; null for a "
                            "circle or when the site is farther than 100 m from every street.",
                        },
                    }
                )
            ),
            "nearest_stops": _array(
                _object(
                    {
                        "stop_id": _INTEGER,
                        "name": _STRING,
                        "code": _nullable("string"),
                        "distance_m": _NUMBER,
                        "routes": _array(_STRING),
                        "modes": _array(_MODE),
                        "trips_per_weekday": _INTEGER,
                        "lat": _NUMBER,
                        "lon": _NUMBER,
                        "walk_m": _nullable(
                            "number",
                            description="Metres on foot along the streets, when a street "
                            "network covers the site and the stop.",
                        ),
                    }
                )
            ),
            "routes_in_catchment": _array(_PASSING_ROUTE),
            "routes_passing_by": _array(_PASSING_ROUTE),
            "spacing": _array(
                _object(
                    {
                        "route_id": _INTEGER,
                        "previous_stop": _nullable("string"),
                        "previous_m": _nullable("number"),
                        "next_stop": _nullable("string"),
                        "next_m": _nullable("number"),
                    }
                )
            ),
            "too_close_to_a_stop": _BOOLEAN,
            "demand": _object(
                {
                    "radius_m": _NUMBER,
                    "requests": _INTEGER,
                    "supporters": _INTEGER,
                    "residents": _INTEGER,
                }
            ),
            "score": _object(
                {
                    "total": _NUMBER,
                    "terms": _array(
                        _object(
                            {
                                "name": _STRING,
                                "label": _STRING,
                                "value": _NUMBER,
                                "full_at": _NUMBER,
                                "weight": _NUMBER,
                                "points": _NUMBER,
                            }
                        )
                    ),
                    "spacing_penalty_applied": _BOOLEAN,
                    "formula": _STRING,
                }
            ),
        }
    ),
    "RequestFeature": _feature(_object(_REQUEST_SUMMARY), ["Point"]),
    "StopFeature": _feature(
        _object(
            {
                "name": _STRING,
                "code": _nullable("string"),
                "routes": _array(_STRING),
                "modes": _array(_MODE),
                "trips_per_weekday": _INTEGER,
            }
        ),
        ["Point"],
    ),
    "RouteFeature": _feature(
        _object(
            {
                "name": _STRING,
                "short_name": _nullable("string"),
                "colour": _STRING,
                "mode": _MODE,
                "trips_per_weekday": _INTEGER,
            }
        ),
        ["LineString", "MultiLineString"],
    ),
    "NewStopFeature": _feature(
        {"allOf": [_object({"name": _STRING}), _ref("PublicProject")]}, ["Point"]
    ),
    "ServiceAreaFeature": _feature(_object({"name": _STRING}), ["Polygon", "MultiPolygon"]),
    "ClusterFeature": _feature(
        _object(
            {
                "cluster": {"const": True},
                "count": {"type": "integer", "minimum": 2},
                "bounds": {
                    **_array(_NUMBER),
                    "minItems": 4,
                    "maxItems": 4,
                    "description": "The box its points span, `min_lon,min_lat,max_lon,max_lat`: "
                    "what a click on the bubble zooms to.",
                },
            }
        ),
        ["Point"],
    ),
    "RequestLayer": _feature_collection("RequestFeature", truncated=True, clustered=True),
    "StopLayer": _feature_collection("StopFeature", truncated=True, clustered=True),
    "RouteLayer": _feature_collection("RouteFeature"),
    "NewStopLayer": _feature_collection("NewStopFeature", clustered=True),
    "ServiceAreaLayer": _feature_collection("ServiceAreaFeature"),
    "QueueRow": _object(
        {
            "reference": _STRING,
            "title": _STRING,
            "text": {"type": "string", "description": "The step in words, as residents read it."},
            "status": {"type": "string", "enum": [status.value for status in RequestStatus]},
            "status_label": _STRING,
            "colour": _STRING,
            "supporters": _INTEGER,
            "score": _nullable("number"),
            "created_at": _DATE_TIME,
            "age_days": _INTEGER,
            "district": _nullable("string"),
            "assignee": _nullable("string"),
            "lat": _NUMBER,
            "lon": _NUMBER,
            "review_url": _STRING,
            "suggestion": {
                "oneOf": [{"type": "null"}, _ref("PinWeighing")],
                "description": "The best suggested-stop site within 300 m of the pin, or null.",
            },
        }
    ),
    "PinWeighing": _object(
        {
            "lat": _NUMBER,
            "lon": _NUMBER,
            "distance_m": _NUMBER,
            "route": _STRING,
            "newly_served": {"type": "number", "description": "People the site newly serves."},
            "pin_newly_served": {"type": "number", "description": "People the pin would."},
            "difference": {
                "type": "number",
                "description": "How many more people the site newly serves (negative: fewer).",
            },
            "radius_m": _INTEGER,
            "measure": {"type": "string", "enum": ["straight_line", "walk"]},
        }
    ),
    "SuggestedStopFeature": _feature(
        _object(
            {
                "rank": _INTEGER,
                "newly_served": {
                    "type": "number",
                    "description": "People newly served beyond the stops ranked above.",
                },
                "newly_served_alone": {
                    "type": "number",
                    "description": "People it newly serves alone (GET /api/evaluate's figure).",
                },
                "route_id": _nullable("integer"),
                "route": _STRING,
                "radius_m": _INTEGER,
                "measure": _STRING,
                "method": _STRING,
                "run_id": _INTEGER,
            }
        ),
        ["Point"],
    ),
    "SuggestionRun": _object(
        {
            "run_id": _INTEGER,
            "reused": {"type": "boolean", "description": "Answered from a stored run."},
            "count": _INTEGER,
            "radius_m": _INTEGER,
            "measure": {"type": "string", "enum": ["straight_line", "walk"]},
            "method": {"type": "string", "enum": ["exact", "greedy"]},
            "gap": {
                "type": "number",
                "description": "Share by which the answer may fall short of the optimum.",
            },
            "newly_served": _NUMBER,
            "greedy_newly_served": _NUMBER,
            "upper_bound": _NUMBER,
            "candidate_count": _INTEGER,
            "population_dataset": _nullable("string"),
            "seconds": _NUMBER,
            "created_at": _STRING,
            "suggestions": _feature_collection("SuggestedStopFeature"),
        }
    ),
    "QueueFeature": _feature(
        _object(
            {
                "status": _STRING,
                "colour": _STRING,
                "supporters": _INTEGER,
                "score": _nullable("number"),
                "count": {
                    "type": "integer",
                    "description": "Clusters only: how many matches lie in the grid cell.",
                },
            },
            required=[],
        ),
        ["Point"],
    ),
    "ReviewQueue": _object(
        {
            "total": _INTEGER,
            "page": _INTEGER,
            "per_page": _INTEGER,
            "pages": _INTEGER,
            "rows": _array(_ref("QueueRow")),
            "map": {
                "type": "string",
                "enum": ["points", "clusters"],
                "description": "points: one feature per match, its id the reference (up to "
                "1,000); clusters: one feature per grid cell with its count.",
            },
            "cell_deg": _nullable("number"),
            "features": _feature_collection("QueueFeature"),
        }
    ),
    "PopulationFeature": _feature(
        _object(
            {
                "kind": {"type": "string", "enum": ["polygon", "point", "cell"]},
                "population": _NUMBER,
                "area_km2": _NUMBER,
                "people_per_km2": _nullable("number"),
            }
        ),
        ["Polygon", "MultiPolygon", "Point"],
    ),
    "PopulationLayer": _object(
        {
            "type": {"const": "FeatureCollection"},
            "features": _array(_ref("PopulationFeature")),
            "dataset": _nullable("string"),
            "total_population": _NUMBER,
            # The coverage gap's summary (not on the density layer).
            "properties": _object(
                {
                    "dataset": _nullable("string"),
                    "total_population": _NUMBER,
                    "radius_m": _nullable("number"),
                    "measure": _nullable("string"),
                    "aggregated": _BOOLEAN,
                    "cell_side_m": _nullable("integer"),
                }
            ),
        },
        ["type", "features", "dataset", "total_population"],
    ),
}


def _error_response(description: str) -> Schema:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }


RESPONSES: dict[str, Schema] = {
    "BadRequest": _error_response("The request could not be understood."),
    "NotFound": _error_response("No request has this reference (`not_found`)."),
    "Conflict": _error_response(
        "Already supported by this contact, or the request is closed to support."
    ),
    "TooLarge": _error_response("The body is larger than MAX_CONTENT_LENGTH."),
    "Invalid": _error_response(
        "A field is missing or malformed; `fields` names each one (`validation_failed`, "
        "`invalid_coordinates`, `swapped_coordinates`, `outside_service_area`). Any parameter, "
        "path segment or JSON string holding a NUL byte, another control character or a "
        "bidirectional control (U+202E…) is refused this way, on every operation."
    ),
    "RateLimited": {
        **_error_response("Too many requests from this address (`rate_limited`)."),
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    },
    "Unavailable": {
        **_error_response(
            "The service cannot answer just now: the database is unreachable "
            "(`database_unavailable`, nothing was saved; try again after `Retry-After` "
            "seconds), or no service area is loaded yet so no request can be placed "
            "(`no_service_area`)."
        ),
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait (when the database is unreachable).",
                "schema": {"type": "integer"},
            }
        },
    },
}


def _json_response(description: str, schema: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _errors(*statuses: int) -> dict[str, Schema]:
    names = {
        400: "BadRequest",
        404: "NotFound",
        409: "Conflict",
        413: "TooLarge",
        422: "Invalid",
        429: "RateLimited",
        503: "Unavailable",
    }
    # Any operation may meet unsafe text (422), too many calls (429) or an unreachable
    # database (503).
    return {
        str(status): {"$ref": f"#/components/responses/{names[status]}"}
        for status in sorted({*statuses, 422, 429, 503})
    }


def _query(name: str, description: str, schema: Schema, required: bool = False) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


_LAT = _query(
    "lat",
    "Latitude, decimal degrees (WGS 84).",
    {"type": "number", "minimum": -90, "maximum": 90},
    True,
)
_LON = _query(
    "lon",
    "Longitude, decimal degrees (WGS 84).",
    {"type": "number", "minimum": -180, "maximum": 180},
    True,
)
_BBOX = _query(
    "bbox",
    "Only features inside `min_lon,min_lat,max_lon,max_lat` (decimal degrees).",
    {"type": "string", "examples": ["24.90,60.15,24.98,60.19"]},
)
_REFERENCE = {
    "name": "reference",
    "in": "path",
    "required": True,
    "description": "The public reference of a request.",
    "schema": {"type": "string", "examples": ["SR-2026-000123"]},
}


def _json_body(schema: str) -> Schema:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


_ZOOM = _query(
    "zoom",
    "The map's zoom (0 to 19, Web Mercator, 256-pixel tiles). Point layers then count their "
    "points per grid cell (a cell about 64 pixels wide): a cell of several is one bubble "
    "(`ClusterFeature`), a cell of one is the point itself, and from zoom 16 a box of at most "
    "500 points is sent point by point. Routes are simplified so that no line moves by more "
    "than a pixel (each part's ends kept). Coordinates are rounded to what the zoom shows.",
    {"type": "integer", "minimum": 0, "maximum": 19},
)
_LAYER_CACHING = (
    " Answers carry a weak `ETag` (it changes when the layer's data does) and "
    "`Cache-Control`; a request with `If-None-Match` naming the current tag gets `304 Not "
    "Modified` and no body."
)


def _layer(summary: str, schema: str, with_bbox: bool = True) -> Schema:
    return {
        "get": {
            "tags": ["map layers"],
            "summary": summary,
            "description": _LAYER_CACHING.strip(),
            "operationId": f"layer_{schema.removesuffix('Layer').lower()}s",
            "parameters": [_BBOX, _ZOOM] if with_bbox else [],
            "responses": {
                "200": _json_response("A GeoJSON FeatureCollection.", schema),
                **(_errors(422) if with_bbox else _errors()),
            },
        }
    }


def paths() -> dict[str, Schema]:
    return {
        "/api/requests/nearby": {
            "get": {
                "tags": ["requests"],
                "summary": "Requests near a point, nearest first",
                "description": "Also says whether a request could be filed there (`placement`).",
                "operationId": "nearby_requests",
                "parameters": [
                    _LAT,
                    _LON,
                    _query(
                        "radius_m",
                        "Search radius in metres (default NEARBY_RADIUS_M).",
                        {"type": "integer", "minimum": 1, "maximum": MAX_NEARBY_RADIUS_M},
                    ),
                ],
                "responses": {
                    "200": _json_response("Requests within the radius.", "NearbyRequests"),
                    **_errors(422),
                },
            }
        },
        "/api/places": {
            "get": {
                "tags": ["requests"],
                "summary": "Find a place by name, to place a pin there",
                "description": "Searches our own data only (no outside geocoder): stops, "
                "landmarks of filed requests, service areas, and streets and places once an "
                "OpenStreetMap extract is loaded. Accents, case and punctuation are ignored "
                "(`consolacao` finds `Consolação`); Chinese, Japanese and Korean names are "
                "found by any run of their characters. Best first: inside a service area, "
                "then the exact name, names starting with `q`, names where it starts a word, "
                "names containing it; then nearest `near`.",
                "operationId": "find_places",
                "parameters": [
                    _query(
                        "q",
                        "Part of the name, as typed.",
                        {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS},
                        True,
                    ),
                    _query(
                        "near",
                        "Rank places nearer this `lat,lon` first (default: the middle of the "
                        "service areas).",
                        {"type": "string", "examples": ["60.1699,24.9384"]},
                    ),
                    _query(
                        "limit",
                        f"How many places at most (default {DEFAULT_LIMIT}).",
                        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                    ),
                ],
                "responses": {
                    "200": _json_response("The places found, best first.", "Places"),
                    **_errors(422),
                },
            }
        },
        "/api/requests": {
            "post": {
                "tags": ["requests"],
                "summary": "File a stop request",
                "operationId": "file_request",
                "requestBody": _json_body("NewRequest"),
                "responses": {
                    "201": {
                        **_json_response("Filed; `Location` is its address.", "PublicRequest"),
                        "headers": {"Location": {"schema": {"type": "string"}}},
                    },
                    **_errors(400, 413, 422, 503),
                },
            }
        },
        "/api/requests/{reference}": {
            "get": {
                "tags": ["requests"],
                "summary": "A request's public details and timeline",
                "description": "`photos` lists only the photos a planner has published; the "
                "others answer 404 to anyone not logged in as a planner.",
                "operationId": "get_request",
                "parameters": [_REFERENCE],
                "responses": {
                    "200": _json_response("The request.", "PublicRequest"),
                    **_errors(404),
                },
            }
        },
        "/api/requests/{reference}/supports": {
            "post": {
                "tags": ["requests"],
                "summary": "Support a request instead of filing a duplicate",
                "operationId": "support_request",
                "parameters": [_REFERENCE],
                "requestBody": _json_body("NewSupport"),
                "responses": {
                    "201": _json_response(
                        "Counted (a contact already counted is answered the same, and still "
                        "counts once); the number of supporters.",
                        "SupportCount",
                    ),
                    **_errors(400, 404, 409, 413, 422),
                },
            }
        },
        "/api/evaluate": {
            "get": {
                "tags": ["planning"],
                "summary": "Evaluate a candidate stop site",
                "description": "Population within walking catchments, people newly served, "
                "nearest stops, routes passing, stop spacing, demand, and the score explained. "
                "Each catchment is measured within a straight-line circle and, when an "
                "imported street network covers the site, along the streets too (`measure`); "
                "the score then uses the walk.",
                "operationId": "evaluate_site",
                "parameters": [
                    _LAT,
                    _LON,
                    _query(
                        "radii",
                        f"One to four catchment radii in metres, 1 to {MAX_RADIUS_M}, comma "
                        "separated (default CATCHMENT_RADII_M).",
                        {"type": "string", "examples": ["400,800"]},
                    ),
                    _query(
                        "dataset",
                        "A population dataset's name (default: the one imported last).",
                        _STRING,
                    ),
                ],
                "responses": {
                    "200": _json_response("The evaluation.", "Evaluation"),
                    **_errors(422),
                },
            }
        },
        "/api/layers/requests": _layer("Requests (all but merged ones)", "RequestLayer"),
        "/api/layers/stops": _layer("Existing stops", "StopLayer"),
        "/api/layers/routes": _layer(
            "Routes in their GTFS colours (with `bbox`, cut to it)", "RouteLayer"
        ),
        "/api/layers/new-stops": _layer(
            "New stops from residents' requests, planned or in service", "NewStopLayer"
        ),
        "/api/layers/service-areas": _layer(
            "Boundaries of the areas where requests are taken", "ServiceAreaLayer", False
        ),
        **_planner_paths(),
    }


_PLANNERS_ONLY = {
    "401": _error_response("Not logged in (`login_required`)."),
    "403": _error_response("Logged in without the planner or admin role (`forbidden`)."),
}
_PLANNER_BBOX = _query(
    "bbox", "The map's box, `min_lon,min_lat,max_lon,max_lat` (decimal degrees).", _STRING
)


def _planner_layer(summary: str, description: str, extra: list[Schema]) -> Schema:
    return {
        "get": {
            "tags": ["planning"],
            "summary": summary,
            "description": description,
            "operationId": "planner_" + summary.split()[0].lower(),
            "parameters": [
                _PLANNER_BBOX,
                *extra,
                _query("dataset", "A population dataset's name (default: the one here).", _STRING),
            ],
            "responses": {
                "200": _json_response("A GeoJSON FeatureCollection.", "PopulationLayer"),
                **_PLANNERS_ONLY,
                **_errors(422),
            },
        }
    }


def _planner_paths() -> dict[str, Schema]:
    """The planners' map data (web/planner_api.py): logged-in planners and admins only."""
    return {
        "/api/planner/requests": {
            "get": {
                "tags": ["planning"],
                "summary": "The review queue: a page of rows, and the map's matches or clusters",
                "operationId": "planner_review_queue",
                "parameters": [
                    _PLANNER_BBOX,
                    _query("status", "Comma list of statuses.", _STRING),
                    _query("district", "Name of a service area containing the request.", _STRING),
                    _query("min_score", "Lowest cached score.", _NUMBER),
                    _query("max_score", "Highest cached score.", _NUMBER),
                    _query("q", "Text in title, description, landmark, or a reference.", _STRING),
                    _query(
                        "mine", "`1`: only the requests assigned to the planner asking.", _STRING
                    ),
                    _query(
                        "sort",
                        "created_at, supporters, score or status; `-` first for descending "
                        "(default `-created_at`).",
                        _STRING,
                    ),
                    _query("page", "Page number from 1.", {"type": "integer", "minimum": 1}),
                    _query(
                        "per_page",
                        "Rows per page.",
                        {"type": "integer", "minimum": 1, "maximum": 200},
                    ),
                    _query(
                        "zoom",
                        "The map's zoom level (0–22): the grid cells when matches are many.",
                        {"type": "integer", "minimum": 0, "maximum": 22},
                    ),
                ],
                "responses": {
                    "200": _json_response("The queue.", "ReviewQueue"),
                    **_PLANNERS_ONLY,
                    **_errors(422),
                },
            }
        },
        "/api/planner/layers/population": _planner_layer(
            "Population density in the map's box",
            "Units with people per km² (points summed into grid cells when many); a box over "
            "10 × 10 km is refused (422, field `bbox`).",
            [],
        ),
        "/api/planner/suggestions": {
            "get": {
                "tags": ["planning"],
                "summary": "Suggested stops: the new stops that together newly serve the most",
                "description": "The `count` sites along the routes new stops serve that "
                "together newly serve the most people within `radius_m` (each person once; no two "
                "closer than the minimum stop spacing along a route they share; on foot where a "
                "street network is loaded), ranked: each feature's `newly_served` is what it adds "
                "to those above it, so the figures add up to the total. Solved exactly (HiGHS) "
                "when the instance allows, greedily otherwise (`method`, `gap`); stored and "
                "reused until the stops, routes, population or streets change.",
                "operationId": "planner_suggestions",
                "parameters": [
                    _query(
                        "count",
                        "How many stops (1–100).",
                        {"type": "integer", "minimum": 1, "maximum": 100},
                        required=True,
                    ),
                    _query(
                        "radius_m",
                        "Catchment radius in metres (50–2000, default 400).",
                        {"type": "integer", "minimum": 50, "maximum": 2000},
                    ),
                    _PLANNER_BBOX,
                    _query("within", "Stay within the service area of this name.", _STRING),
                    _query("dataset", "A population dataset's name.", _STRING),
                ],
                "responses": {
                    "200": _json_response("The ranked suggestions.", "SuggestionRun"),
                    **_PLANNERS_ONLY,
                    **_errors(422),
                },
            }
        },
        "/api/planner/layers/coverage-gap": _planner_layer(
            "Coverage gap: people beyond walking distance of every stop",
            "The parts of units in the box farther than `radius_m` from every stop, with the "
            "people living in them, read from the stored coverage: any box, and the whole city "
            "when `bbox` is left out. More than 1,500 points or 2,000 polygon parts come summed "
            "into grid cells (`kind` `cell`). Besides `dataset` and `total_population`, the "
            "collection carries `properties`: `total_population` (everyone beyond reach in the "
            "box), `radius_m`, `measure`, `aggregated` (true when summed into cells) and "
            "`cell_side_m`. With a stale store, boxes up to 5 × 5 km are measured afresh and "
            "larger ones answer 503 `coverage_not_stored`. With `measure=walk` (boxes up to "
            "5 × 5 km, else 422 field `bbox`), the whole units (polygons by their centroid) no "
            "stop reaches within a `radius_m` walk along the streets; 422 (field `measure`) "
            "where no street network covers the box.",
            [
                _query("radius_m", "Walking distance in metres (default 400).", _NUMBER),
                _query(
                    "measure",
                    "straight_line (default): circles around the stops; walk: along the streets.",
                    {"type": "string", "enum": ["straight_line", "walk"]},
                ),
            ],
        ),
    }


def openapi_document(server_url: str) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document, with ``server_url`` as the one server."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "transitreq API",
            "version": API_VERSION,
            "description": "Request bus stops, support requests already filed, follow them, "
            "read the map layers and evaluate candidate sites. Errors always have one shape "
            "(`Error`). Requests are rate limited per client address; over the limit the "
            "answer is 429 with `Retry-After`.",
        },
        "servers": [{"url": server_url}],
        "tags": [
            {"name": "requests", "description": "Residents' stop requests and their support."},
            {"name": "planning", "description": "Evidence for planners."},
            {"name": "map layers", "description": "GeoJSON for maps."},
        ],
        "paths": paths(),
        "components": {"schemas": SCHEMAS, "responses": RESPONSES},
    }


@bp.get("/openapi.json")
def document() -> ResponseReturnValue:
    """This API's OpenAPI document, with this host as its server."""
    return jsonify(openapi_document(request.url_root.rstrip("/")))


@bp.get("/docs")
def docs() -> ResponseReturnValue:
    """The document rendered for people (Swagger UI, served from our own static folder)."""
    # Only the sentences of the page's own script, written into its element.
    messages = {key: text for key, text in planner_messages().items() if key.startswith("api_docs")}
    return render_template("api/docs.html", api_docs_messages=messages)
