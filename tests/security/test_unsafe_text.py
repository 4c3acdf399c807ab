"""NUL bytes, other control characters and bidirectional controls are refused on every way in,
with 422 naming the field, before anything is stored or queried.

Pins two findings: a NUL byte in ``dataset`` (``/api/evaluate``, ``/api/planner/layers/*``) or
``district`` (the dashboard) answered 500 (PostgreSQL refuses NUL in text), and U+202E RIGHT-TO-
LEFT OVERRIDE was stored and shown in titles, making them read backwards.
"""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token_from
from tests.factories import RAILWAY_SQUARE, add_service_area, file_request, log_in, row_counts
from transitreq.text_rules import BIDI_CONTROLS, text_problem

UNSAFE = {
    "NUL": "\x00",
    "bell": "\x07",
    "right-to-left override": "\u202e",
    "first strong isolate": "\u2068",
    "right-to-left mark": "\u200f",
}
LAT, LON = RAILWAY_SQUARE.y, RAILWAY_SQUARE.x


@pytest.fixture(params=list(UNSAFE.values()), ids=list(UNSAFE))
def unsafe(request) -> str:
    return request.param


def _refused(response, field: str) -> None:
    assert response.status_code == 422, (response.status_code, response.get_data(as_text=True))
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert field in error["fields"], error


def test_every_bidi_control_and_control_character_is_named():
    for character in BIDI_CONTROLS:
        assert "direction" in text_problem(f"a{character}b")
    assert "control character (U+0000" in text_problem("a\x00b")
    assert text_problem("line one\nline two", multiline=True) is None
    assert text_problem("中文 العربية עברית Töölö 🚌") is None


def test_query_parameters_are_refused_before_any_query(client, app_session, unsafe):
    add_service_area(app_session)
    log_in(client, app_session, "planner")
    box = "24.93,60.16,24.95,60.17"
    for url, field in (
        (f"/api/evaluate?lat={LAT}&lon={LON}&dataset=x{unsafe}", "dataset"),
        (f"/api/planner/layers/population?bbox={box}&dataset=x{unsafe}", "dataset"),
        (f"/api/planner/layers/coverage-gap?bbox={box}&dataset=x{unsafe}", "dataset"),
        (f"/api/planner/requests?q=x{unsafe}", "q"),
        (f"/api/requests/nearby?lat={LAT}{unsafe}&lon={LON}", "lat"),
    ):
        _refused(client.get(url), field)
    page = client.get(f"/planning/dashboard/?district=x{unsafe}")
    assert page.status_code == 422
    assert "district" in page.get_data(as_text=True)


def test_path_segments_are_refused(client, app_session, unsafe):
    response = client.get(f"/api/requests/SR-2026-000001{unsafe}")
    _refused(response, "reference")


def test_json_strings_and_keys_are_refused_at_any_depth(client, app_session, unsafe):
    add_service_area(app_session)
    body = {
        "lat": LAT,
        "lon": LON,
        "title": f"Stop{unsafe} at the clinic",
        "description": "Patients walk far.",
        "served_groups": ["elderly"],
    }
    _refused(client.post("/api/requests", json=body), "title")
    nested = body | {"title": "Stop at the clinic", "served_groups": ["elderly", f"x{unsafe}"]}
    _refused(client.post("/api/requests", json=nested), "served_groups[1]")
    assert row_counts(app_session)["stop_requests"] == 0


def test_the_residents_form_is_refused_and_nothing_is_stored(client, app_session, unsafe):
    add_service_area(app_session)
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    response = client.post(
        "/requests",
        data={
            "csrf_token": token,
            "lat": str(LAT),
            "lon": str(LON),
            "title": f"Stop{unsafe} at the clinic",
            "description": "Patients walk far.",
            "served_groups": ["elderly"],
        },
    )
    assert response.status_code == 422
    assert "title" in response.get_data(as_text=True)
    assert row_counts(app_session)["stop_requests"] == 0


def test_open311_is_refused_in_its_own_error_format(client, app_session, unsafe):
    add_service_area(app_session)
    response = client.post(
        "/open311/v2/requests.json",
        data={
            "service_code": "BUS_STOP_REQUEST",
            "lat": str(LAT),
            "long": str(LON),
            "description": f"Patients{unsafe} walk far.",
            "email": "open311@example.org",
        },
    )
    assert response.status_code == 400
    assert response.get_json()[0]["description"].startswith("description")
    assert row_counts(app_session)["stop_requests"] == 0


def test_supports_and_answers_are_refused(client, app_session, unsafe):
    add_service_area(app_session)
    filed = file_request(app_session)
    _refused(
        client.post(
            f"/api/requests/{filed.reference}/supports",
            json={"contact": "bo@example.org", "name": f"Bo{unsafe}"},
        ),
        "name",
    )
    assert row_counts(app_session)["supports"] == 0
