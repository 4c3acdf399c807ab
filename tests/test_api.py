"""The JSON API: files, supports and finds requests; every error is JSON naming the field."""

from __future__ import annotations

import json

import pytest

from tests.factories import RAILWAY_SQUARE, add_service_area, file_request, offset, row_counts
from transitreq.services.requests.filing import support_request

VALID_BODY = {
    "title": "Stop by the library",
    "description": "The library has no stop within 700 m.",
    "served_groups": ["elderly", "school"],
    "landmark": "Central library",
    "lat": RAILWAY_SQUARE.y,
    "lon": RAILWAY_SQUARE.x,
    "reporter_name": "Eero Private",
    "reporter_contact": "eero.private@example.org",
    "notify_progress": True,
}


def _post(client, url, body, **kwargs):
    return client.post(url, data=json.dumps(body), content_type="application/json", **kwargs)


def test_request_filed_over_json_is_public_without_personal_data(client, app_session):
    add_service_area(app_session)
    response = _post(client, "/api/requests", VALID_BODY)

    assert response.status_code == 201
    body = response.get_json()
    assert body["reference"].startswith("SR-")
    assert response.headers["Location"].endswith(f"/api/requests/{body['reference']}")
    assert (body["lat"], body["lon"]) == (RAILWAY_SQUARE.y, RAILWAY_SQUARE.x)
    assert body["status"] == "submitted"
    assert [event["kind"] for event in body["timeline"]] == ["submitted"]
    public = client.get(f"/api/requests/{body['reference']}").get_data(as_text=True)
    for private in ("Eero Private", "eero.private@example.org", "reporter"):
        assert private not in response.get_data(as_text=True)
        assert private not in public


@pytest.mark.parametrize(
    ("raw_body", "content_type", "field"),
    [
        ('{"title": "unclosed', "application/json", "body"),
        ("[1, 2, 3]", "application/json", "body"),
        ("title=x", "application/x-www-form-urlencoded", "body"),
        ('{"lat": NaN, "lon": 24.94}', "application/json", "lat"),
        ('{"lat": 60.17, "lon": Infinity}', "application/json", "lon"),
        ('{"lat": "60.17", "lon": 24.94, "title": 5}', "application/json", "title"),
        ('{"served_groups": "elderly"}', "application/json", "served_groups"),
        ('{"notify_progress": "yes"}', "application/json", "notify_progress"),
        ('{"lat": 1e999, "lon": 24.94}', "application/json", "lat"),
        ('{"lat": ' + "1" * 400 + ', "lon": 24.94}', "application/json", "lat"),
        ('{"lat": 60.17, "lon": 24.94, "title": "\\u0000x"}', "application/json", "title"),
        ('{"lat": 60.17, "lon": 24.94, "title": "\\ud800"}', "application/json", "title"),
    ],
)
def test_malformed_bodies_get_json_errors_naming_the_field(
    client, app_session, raw_body, content_type, field
):
    add_service_area(app_session)
    response = client.post("/api/requests", data=raw_body, content_type=content_type)
    assert response.status_code in (400, 422)
    error = response.get_json()["error"]
    assert field in error["fields"]
    assert error["message"]
    assert row_counts(app_session)["stop_requests"] == 0


@pytest.mark.parametrize(
    ("changes", "code", "status"),
    [
        ({"lat": 61.5, "lon": 23.8}, "outside_service_area", 422),
        ({"lat": RAILWAY_SQUARE.x, "lon": RAILWAY_SQUARE.y}, "swapped_coordinates", 422),
        ({"description": "z" * 2001}, "validation_failed", 422),
        ({"title": ""}, "validation_failed", 422),
    ],
)
def test_refusals_are_json_with_code_and_nothing_written(
    client, app_session, changes, code, status
):
    add_service_area(app_session)
    response = _post(client, "/api/requests", VALID_BODY | changes)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert row_counts(app_session)["stop_requests"] == 0


def test_oversized_payload_is_refused_before_parsing(client, app_session, app):
    add_service_area(app_session)
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = _post(client, "/api/requests", VALID_BODY | {"description": "x" * (limit + 10)})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"
    assert row_counts(app_session)["stop_requests"] == 0


def test_unknown_reference_is_json_404(client):
    response = client.get("/api/requests/SR-2026-424242")
    assert response.status_code == 404
    assert response.get_json()["error"]["fields"] == {
        "reference": response.get_json()["error"]["message"]
    }
    assert client.get("/api/requests/not-a-reference").status_code == 404


def test_support_over_json_counts_once(client, app_session):
    add_service_area(app_session)
    filed = file_request(app_session)
    url = f"/api/requests/{filed.reference}/supports"

    first = _post(client, url, {"contact": "kaija@example.org", "name": "Kaija"})
    again = _post(client, url, {"contact": " KAIJA@example.org"})

    assert first.status_code == 201
    assert first.get_json() == {"reference": filed.reference, "supporters": 1}
    # Idempotent: the same answer again, revealing nothing about who supports what.
    assert (again.status_code, again.get_json()) == (201, first.get_json())
    assert client.get(f"/api/requests/{filed.reference}").get_json()["supporters"] == 1


def test_nearby_lists_requests_and_warns_outside_the_area(client, app_session):
    add_service_area(app_session)
    near = file_request(app_session, point=offset(RAILWAY_SQUARE, 90, 150))
    file_request(app_session, point=offset(RAILWAY_SQUARE, 0, 450))

    inside = client.get(f"/api/requests/nearby?lat={RAILWAY_SQUARE.y}&lon={RAILWAY_SQUARE.x}")
    outside = client.get("/api/requests/nearby?lat=61.5&lon=23.8")

    body = inside.get_json()
    assert body["placement"] == {"ok": True, "message": None}
    assert [item["reference"] for item in body["requests"]] == [near.reference]
    assert body["requests"][0]["distance_m"] == pytest.approx(150, abs=0.1)
    assert "reporter_contact" not in body["requests"][0]
    assert outside.get_json()["placement"]["ok"] is False
    assert "outside" in outside.get_json()["placement"]["message"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lat=nan&lon=24.9", "lat"),
        ("lat=60.1", "lon"),
        ("lat=60.1&lon=24.9&radius_m=99999", "radius_m"),
        ("lat=60.1&lon=24.9&radius_m=ten", "radius_m"),
    ],
)
def test_nearby_rejects_bad_parameters(client, query, field):
    response = client.get(f"/api/requests/nearby?{query}")
    assert response.status_code in (400, 422)
    assert field in response.get_json()["error"]["fields"]


def test_layers_are_geojson_filtered_by_bounding_box(client, app_session):
    add_service_area(app_session)
    west = file_request(app_session, point=offset(RAILWAY_SQUARE, 270, 2000))
    east = file_request(app_session, point=offset(RAILWAY_SQUARE, 90, 2000))

    everything = client.get("/api/layers/requests").get_json()
    east_only = client.get(
        f"/api/layers/requests?bbox={RAILWAY_SQUARE.x},60.1,24.99,60.2"
    ).get_json()

    assert everything["type"] == "FeatureCollection"
    assert {feature["id"] for feature in everything["features"]} == {west.reference, east.reference}
    assert [feature["id"] for feature in east_only["features"]] == [east.reference]
    assert east_only["features"][0]["geometry"]["type"] == "Point"
    bad = client.get("/api/layers/requests?bbox=24.99,60.2,24.9,60.1")
    assert bad.status_code == 422
    assert bad.get_json()["error"]["field"] == "bbox"


def test_support_with_non_text_values_names_the_field(client, app_session):
    add_service_area(app_session)
    filed = file_request(app_session)
    url = f"/api/requests/{filed.reference}/supports"
    assert _post(client, url, {"contact": 5}).get_json()["error"]["field"] == "contact"
    assert (
        _post(client, url, {"contact": "a@b.org", "name": ["x"]}).get_json()["error"]["field"]
        == "name"
    )
    bad = client.post(
        url, data='{"contact": "\\ud800@example.org"}', content_type="application/json"
    )
    assert bad.status_code == 422


def test_no_page_or_layer_carries_names_or_contacts(client, app_session):
    add_service_area(app_session)
    filed = file_request(
        app_session, reporter_name="Rauha Private", reporter_contact="rauha.private@example.org"
    )
    support_request(app_session, filed.reference, "supporter.private@example.org", "Sulo Private")
    bodies = [
        client.get("/").get_data(as_text=True),
        client.get(f"/requests/{filed.reference}").get_data(as_text=True),
        client.get("/api/layers/requests").get_data(as_text=True),
        client.get(f"/api/requests/{filed.reference}").get_data(as_text=True),
        client.get(f"/api/requests/nearby?lat={RAILWAY_SQUARE.y}&lon={RAILWAY_SQUARE.x}").get_data(
            as_text=True
        ),
    ]
    for body in bodies:
        for private in ("Rauha", "rauha.private", "supporter.private", "Sulo"):
            assert private not in body
