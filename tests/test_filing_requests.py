"""Residents file stop requests; every refusal explains itself and writes nothing."""

from __future__ import annotations

import math

import pytest
from geoalchemy2.shape import to_shape
from shapely.geometry import Point

from tests.factories import (
    RAILWAY_SQUARE,
    add_service_area,
    draft,
    file_request,
    geodesic_m,
    row_counts,
)
from transitreq.config import default_settings
from transitreq.errors import (
    InvalidCoordinates,
    NoServiceArea,
    OutsideServiceArea,
    SwappedCoordinates,
    UnknownReference,
    ValidationFailed,
)
from transitreq.geo.coordinates import point_from_lat_lon
from transitreq.models import Audience, RequestStatus
from transitreq.services.requests.filing import (
    find_by_reference,
    submit_request,
)


def test_resident_files_request_and_gets_public_reference(session):
    add_service_area(session)
    filed = file_request(session, served_groups=["workplace", "elderly", "elderly"])

    found = find_by_reference(session, filed.reference)
    assert found.id == filed.id
    assert filed.reference == f"SR-{filed.created_at.year}-{filed.id:06d}"
    assert found.status is RequestStatus.SUBMITTED
    # Ticked groups come back in the form's order, once each.
    assert found.served_groups == ["elderly", "workplace"]
    assert geodesic_m(to_shape(found.location), RAILWAY_SQUARE) < 0.01
    assert [(event.kind, event.audience) for event in found.events] == [
        ("submitted", Audience.PUBLIC)
    ]
    assert found.reporter_contact == "aino@example.org"


def test_reference_lookup_is_case_insensitive_and_rejects_wrong_year(session):
    add_service_area(session)
    filed = file_request(session)
    assert find_by_reference(session, filed.reference.lower()).id == filed.id
    wrong_year = f"SR-{filed.created_at.year - 1}-{filed.id:06d}"
    with pytest.raises(UnknownReference, match="No stop request has the reference"):
        find_by_reference(session, wrong_year)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"description": ""}, "description"),
        ({"point": None}, "location"),
        ({"description": "x" * 2001}, "description"),
        ({"title": "t" * 121}, "title"),
        ({"served_groups": ["pets"]}, "served_groups"),
        ({"reporter_contact": "not-a-contact"}, "reporter_contact"),
        ({"reporter_contact": "", "notify_progress": True}, "reporter_contact"),
    ],
)
def test_invalid_fields_are_named_and_nothing_is_written(session, overrides, field):
    add_service_area(session)
    before = row_counts(session)
    with pytest.raises(ValidationFailed) as refusal:
        file_request(session, **overrides)
    assert field in refusal.value.fields
    assert row_counts(session) == before


def test_all_missing_fields_are_reported_at_once(session):
    add_service_area(session)
    with pytest.raises(ValidationFailed) as refusal:
        file_request(session, title="", description="", point=None)
    assert set(refusal.value.fields) == {"title", "description", "location"}


def test_over_long_description_message_says_the_limit(session):
    add_service_area(session)
    with pytest.raises(ValidationFailed) as refusal:
        submit_request(
            session,
            draft(description="y" * 51),
            default_settings(DESCRIPTION_MAX_CHARS=50).requests,
        )
    assert "51 characters" in refusal.value.fields["description"]
    assert "50" in refusal.value.fields["description"]


def test_pin_outside_service_area_is_refused(session):
    add_service_area(session)
    before = row_counts(session)
    with pytest.raises(OutsideServiceArea) as refusal:
        file_request(session, point=Point(25.20, 60.30))
    assert refusal.value.fields == {"location": refusal.value.message}
    assert "outside the service area" in refusal.value.message
    assert row_counts(session) == before


def test_swapped_latitude_and_longitude_are_recognised(session):
    add_service_area(session)
    before = row_counts(session)
    swapped = Point(RAILWAY_SQUARE.y, RAILWAY_SQUARE.x)  # lon=60.17, lat=24.94
    with pytest.raises(SwappedCoordinates) as refusal:
        file_request(session, point=swapped)
    assert "swapped" in refusal.value.message
    assert f"{RAILWAY_SQUARE.y:.6f}, {RAILWAY_SQUARE.x:.6f}" in refusal.value.message
    assert row_counts(session) == before


def test_no_service_area_loaded_means_no_request_is_taken(session):
    with pytest.raises(NoServiceArea):
        file_request(session)
    assert row_counts(session)["stop_requests"] == 0


@pytest.mark.parametrize(
    ("lat", "lon", "field", "words"),
    [
        (math.nan, 24.94, "lat", "finite"),
        (60.17, math.inf, "lon", "finite"),
        ("nan", "24.94", "lat", "finite"),
        (None, 24.94, "lat", "missing"),
        ("sixty", 24.94, "lat", "number"),
        (True, 24.94, "lat", "number"),
        (91.0, 24.94, "lat", "did you mean 24.94, 91.0"),
        (10**400, 24.94, "lat", "number"),
        (-95.0, 200.0, "lat", "between -90 and 90"),
        (60.17, 181.0, "lon", "between -180 and 180"),
    ],
)
def test_impossible_coordinates_are_refused_with_the_field(lat, lon, field, words):
    with pytest.raises(InvalidCoordinates) as refusal:
        point_from_lat_lon(lat, lon)
    assert field in refusal.value.fields
    assert words in refusal.value.message


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "Stop\x00here"}, "title"),
        ({"title": "Stop \ud800 here"}, "title"),
        ({"description": "Line one\x1b[31m"}, "description"),
        ({"landmark": "Gate\x07"}, "landmark"),
        ({"reporter_name": "Aino\x00"}, "reporter_name"),
        ({"reporter_contact": "aino\x00@example.org"}, "reporter_contact"),
    ],
)
def test_text_no_database_can_carry_is_refused_on_both_backends(session, overrides, field):
    add_service_area(session)
    with pytest.raises(ValidationFailed) as refusal:
        file_request(session, **overrides)
    assert field in refusal.value.fields
    assert row_counts(session)["stop_requests"] == 0


def test_line_breaks_in_the_description_are_kept(session):
    add_service_area(session)
    filed = file_request(session, description="First reason.\nSecond reason.\r\n\tThird.")
    assert find_by_reference(session, filed.reference).description.count("\n") == 2


def test_timestamps_are_utc_aware_on_both_backends(session):
    add_service_area(session)
    filed = file_request(session)
    session.expire_all()
    found = find_by_reference(session, filed.reference)
    assert found.created_at.utcoffset().total_seconds() == 0
    assert found.events[0].created_at.tzinfo is not None


# Pinned when reviewing stop projects (issue 5): each failed before its fix.


def test_a_contact_that_would_address_two_people_is_refused(session):
    """ "a,b@example.org" is one contact to us but two recipients to a mail server."""
    from transitreq.errors import ValidationFailed
    from transitreq.services.requests.contacts import normalise_contact

    for contact in ("a,b@example.org", "a;b@example.org", "Ann <ann@example.org>", '"a"@b.org'):
        with pytest.raises(ValidationFailed, match="is not an e-mail address"):
            normalise_contact(contact)
    assert normalise_contact("Ann.Lee+bus@Example.org") == "ann.lee+bus@example.org"
