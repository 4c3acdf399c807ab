"""Open311 GeoReport v2: other civic apps file and follow stop requests, in JSON and in XML.

The conformance checks are written from the standard's text (http://wiki.open311.org/GeoReport_v2):
field names and types per resource, date-times in ISO 8601 with a zone, errors as a list of
``{code, description}``, and every resource in both formats.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import select, text

from tests.conftest import reconfigure
from tests.factories import (
    RAILWAY_SQUARE,
    add_service_area,
    add_user,
    approve_request,
    count_queries,
    file_request,
    geodesic_m,
    row_counts,
    take_to_stage,
)
from transitreq import create_app
from transitreq.models import ApiClient, RequestStatus, ServedGroup, StopRequest
from transitreq.services.requests.open311 import issue_api_key
from transitreq.services.requests.rules import move

BASE = "/open311/v2"
FORMATS = ("json", "xml")
REFERENCE = re.compile(r"^SR-\d{4}-\d{6}$")
PRIVATE = ("Liisa", "Privatus", "liisa.private@example.org", "358401234567", "Aino Virtanen")
VALID = {
    "service_code": "BUS_STOP_REQUEST",
    "lat": str(RAILWAY_SQUARE.y),
    "long": str(RAILWAY_SQUARE.x),
    "description": "The library has no stop within 700 m; older readers walk there in winter.",
    "attribute[served][]": ["elderly", "school"],
    "attribute[landmark]": "Central library",
    "email": "Liisa.Private@example.org",
    "first_name": "Liisa",
    "last_name": "Privatus",
    "phone": "+358 40 123 4567",
    "device_id": "device-123",
    "account_id": "account-9",
    "media_url": "https://photos.example.org/stop.jpg",
}
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)


def _post(client, fmt="json", **changes):
    data = {key: value for key, value in (VALID | changes).items() if value is not None}
    return client.post(f"{BASE}/requests.{fmt}", data=data)


def _xml(response) -> ElementTree.Element:
    assert response.content_type == "text/xml; charset=utf-8"
    assert response.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ElementTree.fromstring(response.data)


def _json(response):
    assert response.content_type == "application/json; charset=utf-8"
    return response.get_json()


def _records(response, fmt: str, root: str, item: str) -> list[dict]:
    """A list response as dicts of text (XML) or values (JSON), after checking the XML shape."""
    if fmt == "json":
        body = _json(response)
        assert isinstance(body, list)
        return body
    tree = _xml(response)
    assert tree.tag == root
    assert {child.tag for child in tree} <= {item}
    return [{child.tag: child.text for child in element} for element in tree]


def _errors(response, fmt: str) -> list[dict]:
    records = _records(response, fmt, "errors", "error")
    assert records, "an error response lists at least one error"
    for record in records:
        assert set(record) == {"code", "description"}
        assert int(record["code"]) == response.status_code
        assert record["description"]
    return records


def _iso_with_zone(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    assert moment.tzinfo is not None, f"{value} has no zone"
    return moment


def _age(session, stop_request: StopRequest, days: int) -> None:
    """Pretend the request was filed ``days`` ago."""
    stop_request.created_at = datetime.now(UTC) - timedelta(days=days)
    session.commit()


# --- discovery and services ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_v2_endpoint_and_both_formats(client, fmt):
    response = client.get(f"{BASE}/discovery.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        body = _json(response)
        endpoint = body["endpoints"][0]
        formats = endpoint["formats"]
    else:
        tree = _xml(response)
        assert tree.tag == "discovery"
        body = {child.tag: child.text for child in tree}
        endpoints = tree.find("endpoints")
        assert [child.tag for child in endpoints] == ["endpoint"]
        element = endpoints.find("endpoint")
        endpoint = {child.tag: child.text for child in element}
        formats = [child.text for child in element.find("formats")]
        assert {child.tag for child in element.find("formats")} == {"format"}
    _iso_with_zone(body["changeset"])
    assert body["contact"] and body["key_service"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://transitreq.test/open311/v2"
    assert endpoint["type"] == "production"
    _iso_with_zone(endpoint["changeset"])
    assert sorted(formats) == ["application/json", "text/xml"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_lists_bus_stop_requests(client, fmt):
    response = client.get(f"{BASE}/services.{fmt}")
    assert response.status_code == 200
    [service] = _records(response, fmt, "services", "service")
    assert set(service) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    assert service["service_code"] == "BUS_STOP_REQUEST"
    assert service["service_name"] == "Bus stop request"
    assert service["metadata"] in (True, "true")
    assert service["type"] == "realtime"
    assert service["group"] == "Public transport"
    assert "bus" in service["keywords"]
    assert service["description"]


def _definition(response, fmt: str) -> tuple[str, list[dict]]:
    if fmt == "json":
        body = _json(response)
        return body["service_code"], body["attributes"]
    tree = _xml(response)
    assert tree.tag == "service_definition"
    assert [child.tag for child in tree.find("attributes")] == ["attribute"] * 3
    attributes = []
    for element in tree.find("attributes"):
        attribute = {child.tag: child.text for child in element if child.tag != "values"}
        values = element.find("values")
        if values is not None:
            attribute["values"] = [
                {child.tag: child.text for child in value} for value in values.findall("value")
            ]
        attributes.append(attribute)
    return tree.findtext("service_code"), attributes


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_describes_the_request_attributes(client, fmt):
    response = client.get(f"{BASE}/services/BUS_STOP_REQUEST.{fmt}")
    assert response.status_code == 200
    service_code, attributes = _definition(response, fmt)
    assert service_code == "BUS_STOP_REQUEST"
    by_code = {attribute["code"]: attribute for attribute in attributes}
    assert list(by_code) == ["served", "landmark", "title"]
    expected = {"served": "multivaluelist", "landmark": "string", "title": "string"}
    for order, (code, datatype) in enumerate(expected.items(), start=1):
        attribute = by_code[code]
        for key in ("variable", "code", "datatype", "required", "order", "description"):
            assert key in attribute
        assert attribute["datatype"] == datatype
        assert attribute["variable"] in (True, "true")
        assert attribute["required"] in (False, "false")
        assert int(attribute["order"]) == order
        assert attribute["description"]
    assert by_code["served"]["values"] == [
        {"key": group.value, "name": group.label} for group in ServedGroup
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_code_is_a_404_error_list(client, fmt):
    response = client.get(f"{BASE}/services/POTHOLE.{fmt}")
    assert response.status_code == 404
    [error] = _errors(response, fmt)
    assert "POTHOLE" in error["description"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/services.csv", 404),
        ("get", "/requests.html", 404),
        ("get", "/discovery", 404),
        ("get", "/no-such-thing.json", 404),
        ("post", "/services.json", 405),
        ("post", "/tokens/SR-2026-000001.json", 405),
    ],
)
def test_unknown_resources_and_formats_answer_with_the_error_list(client, method, path, status):
    response = getattr(client, method)(BASE + path)
    assert response.status_code == status
    _errors(response, "json")


# --- filing -------------------------------------------------------------------------------


def test_civic_app_files_a_request_that_is_stored_with_its_details(client, app_session):
    add_service_area(app_session)
    response = _post(client)

    assert response.status_code == 201
    [receipt] = _json(response)
    assert set(receipt) == {"service_request_id", "token", "service_notice", "account_id"}
    reference = receipt["service_request_id"]
    assert REFERENCE.match(reference)
    assert receipt["token"] == reference
    assert receipt["account_id"] is None
    assert reference in receipt["service_notice"]

    stored = app_session.scalars(select(StopRequest)).one()
    assert stored.reference == reference
    assert geodesic_m(to_shape(stored.location), RAILWAY_SQUARE) < 1.0
    assert stored.served_groups == ["elderly", "school"]
    assert stored.landmark == "Central library"
    assert stored.description == VALID["description"]
    assert stored.title == VALID["description"][:120]
    assert stored.reporter_name == "Liisa Privatus"
    assert stored.reporter_contact == "liisa.private@example.org"
    assert stored.status is RequestStatus.SUBMITTED
    [found] = _json(client.get(f"{BASE}/requests/{reference}.json"))
    assert found["media_url"] == VALID["media_url"]
    assert found["address"] == "Central library"


def test_filing_in_xml_answers_with_service_requests(client, app_session):
    add_service_area(app_session)
    response = _post(client, "xml", **{"attribute[title]": "Library stop", "email": None})

    assert response.status_code == 201
    tree = _xml(response)
    assert tree.tag == "service_requests"
    [request] = tree
    assert request.tag == "request"
    assert {child.tag for child in request} == {
        "service_request_id",
        "token",
        "service_notice",
        "account_id",
    }
    assert REFERENCE.match(request.findtext("service_request_id"))
    assert request.find("account_id").text is None
    stored = app_session.scalars(select(StopRequest)).one()
    assert stored.title == "Library stop"
    # Without an e-mail, the phone number is the private contact.
    assert stored.reporter_contact == "+358401234567"


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"service_code": None}, "service_code"),
        ({"service_code": "POTHOLE"}, "service_code"),
        ({"lat": None, "long": None}, "lat"),
        ({"lat": None, "long": None, "address_string": "Mannerheimintie 1"}, "address_string"),
        ({"lat": "61.5", "long": "23.8"}, "outside the service area"),
        ({"lat": str(RAILWAY_SQUARE.x), "long": str(RAILWAY_SQUARE.y)}, "swapped"),
        ({"lat": "NaN"}, "lat"),
        ({"lat": "1e999"}, "lat"),
        ({"long": "east"}, "long"),
        ({"description": None}, "description"),
        ({"description": "z" * 2001}, "description"),
        ({"attribute[served][]": ["pets"]}, "attribute[served]"),
        ({"attribute[title]": "t" * 121}, "attribute[title]"),
        ({"email": "not an address"}, "email"),
        ({"first_name": "x" * 101}, "first_name"),
        ({"media_url": "javascript:alert(1)"}, "media_url"),
        ({"media_url": "https://photos.example.org/" + "a" * 500}, "media_url"),
        ({"media_url": "ftp://photos.example.org/stop.jpg"}, "media_url"),
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_refused_requests_get_400_naming_the_parameter_and_store_nothing(
    client, app_session, changes, named, fmt
):
    add_service_area(app_session)
    response = _post(client, fmt, **changes)

    assert response.status_code == 400
    descriptions = " ".join(error["description"] for error in _errors(response, fmt))
    assert named in descriptions
    assert row_counts(app_session)["stop_requests"] == 0


def test_every_problem_is_listed_at_once(client, app_session):
    add_service_area(app_session)
    response = _post(client, service_code=None, description=None, media_url="nope")
    descriptions = [error["description"] for error in _errors(response, "json")]
    assert sorted(text.split(":")[0] for text in descriptions) == [
        "description",
        "media_url",
        "service_code",
    ]


@pytest.mark.parametrize(
    "data",
    [
        {"lat": "60.17\x00", "long": "24.94"},
        {"description": "\x00\x1b[31m", "lat": "60.17", "long": "24.94"},
        {"attribute[served][]": "\x01<&>"},
        {"jurisdiction_id": "x" * 5000},
    ],
)
def test_malformed_input_never_gives_a_500(client, app_session, data):
    add_service_area(app_session)
    for fmt in FORMATS:
        response = client.post(f"{BASE}/requests.{fmt}", data=data)
        assert response.status_code == 400
        _errors(response, fmt)
    garbled = client.post(
        f"{BASE}/requests.xml",
        data=b"service_code=%ff%fe&description=%ed%a0%80&lat=%&long=\xff",
        content_type="application/x-www-form-urlencoded",
    )
    assert garbled.status_code == 400
    _errors(garbled, "xml")


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_oversized_body_is_a_413_error_list(client, app_session, fmt):
    response = _post(client, fmt, description="x" * 70_000)
    assert response.status_code == 413
    _errors(response, fmt)
    assert row_counts(app_session)["stop_requests"] == 0


def test_text_with_markup_travels_escaped_in_xml(client, app_session):
    add_service_area(app_session)
    description = 'Stop "A" & <b>bold</b> ]]> plans'
    reference = _json(_post(client, description=description))[0]["service_request_id"]
    tree = _xml(client.get(f"{BASE}/requests/{reference}.xml"))
    assert tree.find("request").findtext("description") == description


# --- API keys ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_required_api_key_is_checked_against_hashed_non_revoked_keys(app, client, app_session, fmt):
    reconfigure(app, OPEN311_REQUIRE_API_KEY=True)
    add_service_area(app_session)
    key = issue_api_key(app_session, "Helsinki Feedback")
    revoked = issue_api_key(app_session, "Retired app")
    retired = app_session.scalars(select(ApiClient).where(ApiClient.name == "Retired app")).one()
    retired.revoked_at = datetime.now(UTC)
    app_session.commit()

    for api_key in (None, "guessed-key", revoked):
        response = _post(client, fmt, api_key=api_key)
        assert response.status_code == 403
        [error] = _errors(response, fmt)
        assert "api_key" in error["description"]
    assert row_counts(app_session)["stop_requests"] == 0

    assert _post(client, fmt, api_key=key).status_code == 201


def test_api_key_is_optional_unless_configured(client, app_session):
    add_service_area(app_session)
    assert _post(client, api_key="anything").status_code == 201


def test_cli_issues_a_key_once_and_stores_only_its_hash(app, client, app_session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-api-key", "Helsinki Feedback"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert len(key) >= 32

    [(name, key_hash)] = app_session.execute(text("SELECT name, key_hash FROM api_clients")).all()
    assert name == "Helsinki Feedback"
    assert re.fullmatch(r"[0-9a-f]{64}", key_hash)
    assert key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in key_hash

    reconfigure(app, OPEN311_REQUIRE_API_KEY=True)
    add_service_area(app_session)
    assert _post(client, api_key=key).status_code == 201

    again = runner.invoke(args=["create-api-key", "Helsinki Feedback"])
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_cli_revokes_a_key_and_the_client_is_refused_from_then_on(app, client, app_session):
    runner = app.test_cli_runner()
    key = runner.invoke(args=["create-api-key", "Old kiosk app"]).output.strip().splitlines()[-1]
    reconfigure(app, OPEN311_REQUIRE_API_KEY=True)
    add_service_area(app_session)
    assert _post(client, api_key=key).status_code == 201

    revoked = runner.invoke(args=["revoke-api-key", "Old kiosk app"])
    assert revoked.exit_code == 0, revoked.output
    assert "The key of Old kiosk app is revoked since" in revoked.output
    refused = _post(client, api_key=key)
    assert refused.status_code == 403
    # The client's record stays, for the audit trail; an unknown name is an error.
    [(revoked_at,)] = app_session.execute(text("SELECT revoked_at FROM api_clients")).all()
    assert revoked_at is not None
    unknown = runner.invoke(args=["revoke-api-key", "Nobody"])
    assert unknown.exit_code == 1 and "No client is named 'Nobody'" in unknown.output


# --- reading requests ----------------------------------------------------------------------


def _check_request_fields(record: dict, fmt: str) -> None:
    """One request, field by field, as the standard defines it."""
    assert tuple(record) == REQUEST_FIELDS
    assert REFERENCE.match(record["service_request_id"])
    assert record["status"] in ("open", "closed")
    assert record["service_code"] == "BUS_STOP_REQUEST"
    assert record["service_name"] == "Bus stop request"
    assert record["agency_responsible"] == "Transit planning office"
    assert record["status_notes"] and record["service_notice"]
    _iso_with_zone(record["requested_datetime"])
    _iso_with_zone(record["updated_datetime"])
    empty = None
    for key in ("expected_datetime", "address_id", "zipcode"):
        assert record[key] is empty
    lat, long = float(record["lat"]), float(record["long"])
    if fmt == "json":
        assert isinstance(record["lat"], float) and isinstance(record["long"], float)
    assert geodesic_m(RAILWAY_SQUARE, type(RAILWAY_SQUARE)(long, lat)) < 1.0


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_reads_field_by_field_without_personal_data(client, app_session, fmt):
    add_service_area(app_session)
    filed = file_request(app_session)
    _post(client)

    one = client.get(f"{BASE}/requests/{filed.reference}.{fmt}")
    many = client.get(f"{BASE}/requests.{fmt}")
    for response in (one, many):
        assert response.status_code == 200
        for record in _records(response, fmt, "service_requests", "request"):
            _check_request_fields(record, fmt)
    [record] = _records(one, fmt, "service_requests", "request")
    assert record["status"] == "open"
    assert record["status_notes"] == "Submitted: Request received."
    assert record["address"] == "Kaisaniemi park gate"
    assert record["media_url"] is None
    assert len(_records(many, fmt, "service_requests", "request")) == 2


def test_personal_data_appears_in_no_open311_response(client, app_session):
    add_service_area(app_session)
    file_request(app_session)
    reference = _json(_post(client))[0]["service_request_id"]
    paths = [
        "/discovery",
        "/services",
        "/services/BUS_STOP_REQUEST",
        "/requests",
        f"/requests/{reference}",
        f"/tokens/{reference}",
        f"/requests?service_request_id={reference},SR-2026-000001",
    ]
    for fmt in FORMATS:
        for path in paths:
            base, _, query = path.partition("?")
            response = client.get(f"{BASE}{base}.{fmt}?{query}")
            assert response.status_code == 200, path
            body = response.get_data(as_text=True)
            for private in PRIVATE + ("reporter", "private"):
                assert private.lower() not in body.lower(), (path, fmt, private)
        body = _post(client, fmt).get_data(as_text=True)
        for private in PRIVATE:
            assert private.lower() not in body.lower()


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_and_token_are_404_error_lists(client, app_session, fmt):
    for path in ("/requests/SR-2026-999999", "/tokens/SR-2026-999999", "/requests/nonsense"):
        response = client.get(f"{BASE}{path}.{fmt}")
        assert response.status_code == 404
        _errors(response, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_token_leads_to_the_request(client, app_session, fmt):
    add_service_area(app_session)
    token = _json(_post(client))[0]["token"]
    response = client.get(f"{BASE}/tokens/{token}.{fmt}")
    assert response.status_code == 200
    assert _records(response, fmt, "service_requests", "request") == [
        {"service_request_id": token, "token": token}
    ]


def _ids(client, query: str, fmt: str = "json") -> list[str]:
    response = client.get(f"{BASE}/requests.{fmt}?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [
        record["service_request_id"]
        for record in _records(response, fmt, "service_requests", "request")
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_filter_by_ids_status_and_dates(client, app_session, fmt):
    add_service_area(app_session)
    recent = file_request(app_session)
    rejected = file_request(app_session)
    move(app_session, rejected, RequestStatus.REJECTED, actor="planner", note="Too close.")
    app_session.commit()
    old = file_request(app_session)
    _age(app_session, old, days=120)

    # Default window: the last 90 days, newest first.
    assert _ids(client, "", fmt) == [rejected.reference, recent.reference]
    assert _ids(client, "status=open", fmt) == [recent.reference]
    assert _ids(client, "status=closed", fmt) == [rejected.reference]
    assert _ids(client, "status=open,closed", fmt) == [rejected.reference, recent.reference]
    assert _ids(client, "service_code=BUS_STOP_REQUEST", fmt) == [
        rejected.reference,
        recent.reference,
    ]
    assert _ids(client, "service_code=POTHOLE", fmt) == []
    # Given ids override every other filter, the old request included.
    wanted = f"{old.reference}, {recent.reference.lower()},SR-2026-999999,nonsense"
    assert _ids(client, f"service_request_id={wanted}&status=closed", fmt) == [
        recent.reference,
        old.reference,
    ]
    since = (datetime.now(UTC) - timedelta(days=200)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _ids(client, f"start_date={since}", fmt) == [
        rejected.reference,
        recent.reference,
        old.reference,
    ]
    until = (datetime.now(UTC) - timedelta(days=100)).isoformat()
    assert _ids(client, f"start_date={since}&end_date={until.replace('+', '%2B')}", fmt) == [
        old.reference
    ]
    # A date-time without a zone is UTC; a plain date is its midnight.
    naive_since = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert len(_ids(client, f"start_date={naive_since}", fmt)) == 2
    assert _ids(client, "end_date=2001-01-01", fmt) == []


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("start_date=yesterday", "start_date"),
        ("end_date=2026-13-45", "end_date"),
        ("start_date=2026-11-01T00:00:00Z&end_date=2026-10-01T00:00:00Z", "end_date"),
        ("status=pending", "status"),
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_query_parameters_get_400_naming_them(client, app_session, query, named, fmt):
    response = client.get(f"{BASE}/requests.{fmt}?{query}")
    assert response.status_code == 400
    [error] = _errors(response, fmt)
    assert error["description"].startswith(named)


def test_jurisdiction_id_is_checked_when_configured(app, client, app_session):
    assert client.get(f"{BASE}/services.json?jurisdiction_id=anything").status_code == 200
    reconfigure(app, OPEN311_JURISDICTION_ID="helsinki.fi")
    assert client.get(f"{BASE}/services.json?jurisdiction_id=helsinki.fi").status_code == 200
    assert client.get(f"{BASE}/services.json").status_code == 200
    response = client.get(f"{BASE}/services.xml?jurisdiction_id=espoo.fi")
    assert response.status_code == 404
    _errors(response, "xml")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_client_over_its_rate_limit_gets_the_error_list_with_retry_after(
    database_url, tmp_path, fmt
):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "tests-only-secret",
            "SERVER_NAME": "transitreq.test",
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_DEFAULT": "2 per minute",
        },
        instance_path=str(tmp_path / "instance"),
    )
    client = app.test_client()
    for _ in range(2):
        assert client.get(f"{BASE}/services.{fmt}").status_code == 200
    response = client.get(f"{BASE}/services.{fmt}")
    app.extensions["transitreq.engine"].dispose()

    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    [error] = _errors(response, fmt)
    assert "Retry-After" in error["description"]


# --- the round trip -----------------------------------------------------------------------


def test_request_filed_through_open311_is_followed_through_a_planner_decision(client, app_session):
    add_service_area(app_session)
    reference = _json(_post(client))[0]["service_request_id"]

    layer = client.get("/api/layers/requests").get_json()
    assert reference in [feature["id"] for feature in layer["features"]]

    stop_request = app_session.scalars(select(StopRequest)).one()
    move(
        app_session,
        stop_request,
        RequestStatus.UNDER_REVIEW,
        actor="planner",
        note="A planner is looking at this request.",
    )
    app_session.commit()
    [record] = _json(client.get(f"{BASE}/requests.json"))
    assert (record["status"], record["status_notes"]) == (
        "open",
        "Under review: A planner is looking at this request.",
    )

    move(
        app_session,
        stop_request,
        RequestStatus.REJECTED,
        actor="planner",
        note="A stop 150 m away already serves this street.",
    )
    app_session.commit()
    [record] = _json(client.get(f"{BASE}/requests.json"))
    assert record["status"] == "closed"
    assert record["status_notes"] == "Not approved: A stop 150 m away already serves this street."
    assert _iso_with_zone(record["updated_datetime"]) >= _iso_with_zone(
        record["requested_datetime"]
    )
    tree = _xml(client.get(f"{BASE}/requests/{reference}.xml"))
    assert tree.find("request").findtext("status") == "closed"


def test_updated_datetime_moves_with_every_public_step_of_the_stop_project(client, app_session):
    """Pins pollers missing changes: updated_datetime stood still while the stop project went
    through its public steps, so clients such as FixMyStreet never read them."""
    from geoalchemy2.shape import to_shape as point_of

    from tests.factories import add_user, take_to_stage
    from transitreq.services.requests import decisions

    add_service_area(app_session)
    reference = _json(_post(client))[0]["service_request_id"]
    planner = add_user(app_session, "planner")

    def updated() -> datetime:
        [record] = _json(client.get(f"{BASE}/requests/{reference}.json"))
        return _iso_with_zone(record["updated_datetime"])

    filed_at = updated()
    stop_request = app_session.scalars(select(StopRequest)).one()
    # A supporter is not a public change of the request: the time stays.
    client.post(f"/api/requests/{reference}/supports", json={"contact": "bo@example.org"})
    assert updated() == filed_at
    project = decisions.approve(
        app_session, reference, stop_request.version, planner, point_of(stop_request.location)
    )
    approved_at = updated()
    assert approved_at >= filed_at
    take_to_stage(app_session, project, planner, "site_survey")
    app_session.refresh(project)
    public_project_steps = [
        event.created_at for event in project.events if event.audience.value == "public"
    ]
    assert updated() == max(public_project_steps).replace(microsecond=0)


def test_every_media_url_a_client_sends_is_kept(client, app_session):
    add_service_area(app_session)
    links = ["https://photos.example.org/a.jpg", "https://photos.example.org/b.jpg"]
    reference = _json(_post(client, media_url=links))[0]["service_request_id"]
    stored = app_session.scalars(select(StopRequest)).one()
    assert stored.media_urls == links
    [record] = _json(client.get(f"{BASE}/requests/{reference}.json"))
    assert record["media_url"] == links[0]
    assert client.get(f"/api/requests/{reference}").get_json()["media_urls"] == links


def test_a_client_with_its_own_key_has_its_own_limit_not_the_residents_one(database_url, tmp_path):
    """Pins 25 keyed POSTs from one server getting 14 accepted then 429: the civic app shared
    the residents' 20-writes-per-minute allowance of its address."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "tests-only-secret",
            "SERVER_NAME": "transitreq.test",
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_WRITES": "3 per minute",
            "OPEN311_KEY_RATELIMIT": "5 per hour",
        },
        instance_path=str(tmp_path / "instance"),
    )
    session = app.extensions["transitreq.sessionmaker"]()
    try:
        add_service_area(session)
        key = issue_api_key(session, "Helsinki Feedback")
        other_key = issue_api_key(session, "Another app")
        client = app.test_client()
        server = {"REMOTE_ADDR": "203.0.113.9"}

        def post(**changes):
            data = {name: value for name, value in (VALID | changes).items() if value is not None}
            return client.post(f"{BASE}/requests.json", data=data, environ_base=server)

        keyed = [post(api_key=key).status_code for _ in range(6)]
        assert keyed == [201] * 5 + [429]
        # Another app on the same server counts on its own key; residents there on their own.
        assert post(api_key=other_key).status_code == 201
        anonymous = [post().status_code for _ in range(4)]
        assert anonymous == [201, 201, 201, 429]
        # A key that is not valid gets no allowance of its own.
        assert post(api_key="guessed").status_code == 429
    finally:
        session.close()
        app.extensions["transitreq.engine"].dispose()


# Pinned when reviewing stop projects (issue 5): each failed before its fix.


def _open311_list_queries(app, client, app_session, planner, projects_wanted: int) -> int:
    existing = len(re.findall(r"service_request_id", client.get("/open311/v2/requests.json").text))
    for _ in range(projects_wanted - existing):
        take_to_stage(app_session, approve_request(app_session, planner), planner, "construction")
    counted, stop = count_queries(app.extensions["transitreq.engine"])
    try:
        response = client.get("/open311/v2/requests.json")
    finally:
        stop()
    assert response.status_code == 200
    assert len(response.json) == projects_wanted
    return len(counted)


def test_open311_list_reads_stop_projects_in_a_fixed_number_of_queries(app, client, app_session):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")

    few = _open311_list_queries(app, client, app_session, planner, 2)
    many = _open311_list_queries(app, client, app_session, planner, 7)

    assert many == few
