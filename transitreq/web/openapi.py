"""The OpenAPI 3.1 description of our JSON API, served as data and rendered as a docs page.

The document is built from plain dicts here, next to nothing else, so a reader (and the test
that compares it with the app's URL map) sees every path, parameter and response in one place.
Shapes follow ``web/presenters.py`` and the error format of ``web/errors.py``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from transitreq.models import ProjectStage, RequestStatus, ServedGroup
from transitreq.services.evaluation import MAX_RADIUS_M
from transitreq.web.api import MAX_NEARBY_RADIUS_M

# Bumped when a path, parameter or response shape changes in a way clients can notice.
API_VERSION = "1.1.0"

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
    "lat": {"type": "number", "minimum": -90, "maximum": 90},
    "lon": {"type": "number", "minimum": -180, "maximum": 180},
    "tracking_url": {"type": "string", "format": "uri"},
}

_PASSING_ROUTE = _object(
    {
        "route_id": _INTEGER,
        "name": _STRING,
        "short_name": _STRING,
        "colour": _STRING,
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


def _feature_collection(feature: str) -> Schema:
    return _object({"type": {"const": "FeatureCollection"}, "features": _array(_ref(feature))})


SCHEMAS: dict[str, Schema] = {
    "Error": _object(
        {
            "error": _object(
                {
                    "code": {
                        "type": "string",
                        "description": "Stable and machine-readable, e.g. `validation_failed`, "
                        "`swapped_coordinates`, `outside_service_area`, `not_found`, "
                        "`already_supported`, `rate_limited`.",
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
    "PublicRequest": _object(
        _REQUEST_DETAILS
        | {
            "timeline": _array(_ref("TimelineEvent")),
            "project": {"oneOf": [_ref("PublicProject"), {"type": "null"}]},
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
            "catchments": _array(
                _object(
                    {
                        "radius_m": _INTEGER,
                        "population": _nullable("number"),
                        "newly_served": _nullable("number"),
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
                        "trips_per_weekday": _INTEGER,
                        "lat": _NUMBER,
                        "lon": _NUMBER,
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
                "trips_per_weekday": _INTEGER,
            }
        ),
        ["LineString", "MultiLineString"],
    ),
    "RequestLayer": _feature_collection("RequestFeature"),
    "StopLayer": _feature_collection("StopFeature"),
    "RouteLayer": _feature_collection("RouteFeature"),
    "QueueRow": _object(
        {
            "reference": _STRING,
            "title": _STRING,
            "status": {"type": "string", "enum": [status.value for status in RequestStatus]},
            "status_label": _STRING,
            "colour": _STRING,
            "supporters": _INTEGER,
            "score": _nullable("number"),
            "created_at": _DATE_TIME,
            "age_days": _INTEGER,
            "district": _nullable("string"),
            "lat": _NUMBER,
            "lon": _NUMBER,
            "review_url": _STRING,
        }
    ),
    "QueueFeature": _feature(
        _object(
            {
                "reference": _STRING,
                "status": _STRING,
                "colour": _STRING,
                "supporters": _INTEGER,
                "score": _nullable("number"),
            }
        ),
        ["Point"],
    ),
    "ReviewQueue": _object(
        {
            "total": _INTEGER,
            "page": _INTEGER,
            "per_page": _INTEGER,
            "pages": _INTEGER,
            "truncated": _BOOLEAN,
            "rows": _array(_ref("QueueRow")),
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
        }
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
        "`invalid_coordinates`, `swapped_coordinates`, `outside_service_area`)."
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
    "NoServiceArea": _error_response(
        "No service area is loaded yet, so no request can be placed (`no_service_area`)."
    ),
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
        503: "NoServiceArea",
    }
    return {
        str(status): {"$ref": f"#/components/responses/{names[status]}"}
        for status in (*statuses, 429)
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


def _layer(summary: str, schema: str, with_bbox: bool = True) -> Schema:
    return {
        "get": {
            "tags": ["map layers"],
            "summary": summary,
            "operationId": f"layer_{schema.removesuffix('Layer').lower()}s",
            "parameters": [_BBOX] if with_bbox else [],
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
                    "201": _json_response("Counted; the new number of supporters.", "SupportCount"),
                    **_errors(400, 404, 409, 413, 422),
                },
            }
        },
        "/api/evaluate": {
            "get": {
                "tags": ["planning"],
                "summary": "Evaluate a candidate stop site",
                "description": "Population within walking catchments, people newly served, "
                "nearest stops, routes passing, stop spacing, demand, and the score explained.",
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
        "/api/layers/routes": _layer("Routes in their GTFS colours", "RouteLayer", False),
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
                "summary": "The review queue: a page of rows and every match for the map",
                "operationId": "planner_review_queue",
                "parameters": [
                    _PLANNER_BBOX,
                    _query("status", "Comma list of statuses.", _STRING),
                    _query("district", "Name of a service area containing the request.", _STRING),
                    _query("min_score", "Lowest cached score.", _NUMBER),
                    _query("max_score", "Highest cached score.", _NUMBER),
                    _query("q", "Text in title, description, landmark, or a reference.", _STRING),
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
        "/api/planner/layers/coverage-gap": _planner_layer(
            "Coverage gap: people beyond walking distance of every stop",
            "The parts of units in the box farther than `radius_m` from every stop, with the "
            "people living in them; a box over 5 × 5 km is refused (422, field `bbox`).",
            [_query("radius_m", "Walking distance in metres (default 400).", _NUMBER)],
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
    return render_template("api/docs.html")
