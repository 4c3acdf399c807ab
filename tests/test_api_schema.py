"""Property-based tests of the JSON API against its own OpenAPI document (schemathesis).

Schemathesis generates inputs for every documented operation, valid (positive) and invalid
(negative), calls the app in-process (WSGI) on the seeded demo city, and checks that no input
makes the server fail, that every status code is documented and that every body matches its
documented schema. Bounded for CI: a few dozen examples per operation and mode, on each
backend (about half a minute in all).

Schemathesis's own pytest loader for fixtures does not run under pytest 9, so each operation
is one parametrized test that builds its Hypothesis strategy from the served document.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from transitreq.web.openapi import paths

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 30
OPERATIONS = [(method.upper(), path) for path, item in paths().items() for method in item]
# Negative data needs something to break: a query parameter or a body (a bare path string
# cannot be invalid, and /api/layers/routes takes nothing).
OPERATIONS_WITH_INPUT = [
    (method, path)
    for method, path in OPERATIONS
    if "requestBody" in paths()[path][method.lower()]
    or any(p["in"] == "query" for p in paths()[path][method.lower()].get("parameters", []))
]


# Every operation is tried on the seeded demo city.
pytestmark = pytest.mark.demo_city


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


# The WSGI transport asks for gzip as a browser would, and hands the compressed bytes to the
# checks undecoded (a real HTTP client decodes them): compression is tested on its own
# (tests/test_public_map_layers.py).
UNCOMPRESSED = {"Accept-Encoding": "identity"}


def _operation_ids(operations: list[tuple[str, str]]) -> list[str]:
    return [" ".join(operation) for operation in operations]


@pytest.mark.parametrize(
    ("method", "path", "mode"),
    [(*operation, GenerationMode.POSITIVE) for operation in OPERATIONS]
    + [(*operation, GenerationMode.NEGATIVE) for operation in OPERATIONS_WITH_INPUT],
    ids=[f"{name} positive" for name in _operation_ids(OPERATIONS)]
    + [f"{name} negative" for name in _operation_ids(OPERATIONS_WITH_INPUT)],
)
def test_api_keeps_its_documented_promises(api_schema, method, path, mode):
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def calls_keep_promises(case):
        case.call_and_validate(checks=CHECKS, headers=UNCOMPRESSED)

    calls_keep_promises()


def test_a_residents_journey_matches_the_document(api_schema, client):
    """Random inputs rarely file a request; this walks the successful paths on purpose."""

    def call(method: str, path: str, expected_status: int, **parts):
        response = (
            api_schema[path][method]
            .Case(**parts)
            .call_and_validate(checks=CHECKS, headers=UNCOMPRESSED)
        )
        assert response.status_code == expected_status, response.text
        return response

    stop = client.get("/api/layers/stops").get_json()["features"][0]
    lon, lat = stop["geometry"]["coordinates"]
    site = {"lat": lat, "lon": lon}
    call("GET", "/api/requests/nearby", 200, query=site | {"radius_m": 500})
    body = {
        "title": "Stop by the health centre",
        "description": "Patients walk 700 m from the nearest stop.",
        "served_groups": ["health", "elderly"],
        "landmark": "Health centre gate",
        "reporter_contact": "aino@example.org",
        "notify_progress": True,
    }
    filed = call("POST", "/api/requests", 201, body=body | site).json()
    reference = {"reference": filed["reference"]}
    call("GET", "/api/requests/{reference}", 200, path_parameters=reference)
    support = {"contact": "olli@example.org", "name": "Olli"}
    supports = "/api/requests/{reference}/supports"
    call("POST", supports, 201, path_parameters=reference, body=support)
    call("POST", supports, 201, path_parameters=reference, body=support)  # idempotent
    call("GET", "/api/requests/{reference}", 404, path_parameters={"reference": "SR-1999-000001"})
    call("POST", "/api/requests", 413, body=body | site | {"description": "x" * 70_000})
    call("POST", "/api/requests", 422, body=body | {"lat": lon, "lon": lat})
    call("GET", "/api/evaluate", 200, query=site | {"radii": "400,800"})
    bbox = {"bbox": f"{lon - 0.05},{lat - 0.05},{lon + 0.05},{lat + 0.05}"}
    for layer in ("requests", "stops"):
        features = call("GET", f"/api/layers/{layer}", 200, query=bbox).json()["features"]
        assert features, layer
    assert call("GET", "/api/layers/routes", 200).json()["features"]
