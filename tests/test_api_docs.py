"""The OpenAPI document describes exactly the API the app serves, and its docs page works
from the app's own files."""

from __future__ import annotations

import re

from tests.factories import ANY_ABSOLUTE_URL_IN_CODE, EXTERNAL_ASSET
from transitreq.web.openapi import API_VERSION

_IGNORED_METHODS = {"HEAD", "OPTIONS"}
_HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


def _served_operations(app) -> set[tuple[str, str]]:
    """(path in OpenAPI notation, method) for every /api/ route but the docs' own."""
    operations = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint.startswith("api_docs."):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - _IGNORED_METHODS:
            operations.add((path, method.lower()))
    return operations


def _documented_operations(document) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in _HTTP_METHODS
    }


def test_every_api_route_is_documented_and_nothing_else(app, client):
    document = client.get("/api/openapi.json").get_json()
    assert _documented_operations(document) == _served_operations(app)


def test_document_names_its_version_server_and_error_shape(client):
    response = client.get("/api/openapi.json", base_url="https://stops.example.org")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    assert document["info"]["version"] == API_VERSION
    assert document["servers"] == [{"url": "https://stops.example.org"}]
    error = document["components"]["schemas"]["Error"]["properties"]["error"]
    assert set(error["required"]) == {"code", "message", "fields"}


def test_every_operation_documents_its_refusals(client):
    document = client.get("/api/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "429" in responses, (method, path)
            assert any(status.startswith("2") for status in responses), (method, path)
            if "{reference}" in path:
                assert "404" in responses, (method, path)
            if method == "post":
                assert {"413", "422"} <= set(responses), (method, path)
    supports = document["paths"]["/api/requests/{reference}/supports"]["post"]["responses"]
    assert "409" in supports
    rate_limited = document["components"]["responses"]["RateLimited"]
    assert "Retry-After" in rate_limited["headers"]


def test_every_reference_resolves(client):
    document = client.get("/api/openapi.json").get_json()
    text = str(document)
    for section, name in re.findall(r"#/components/(\w+)/(\w+)", text):
        assert name in document["components"][section], name


def test_docs_page_loads_only_the_apps_own_assets(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "swagger-ui-bundle.js" in html
    assert 'data-spec-url="/api/openapi.json"' in html
    assert not EXTERNAL_ASSET.findall(html)
    assert not ANY_ABSOLUTE_URL_IN_CODE.findall(html)
    # No inline script: the page works under the Content-Security-Policy without a nonce.
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html)
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any(asset.endswith("swagger-ui.css") for asset in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
