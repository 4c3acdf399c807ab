"""Residents support a nearby request instead of filing a duplicate; each person counts once."""

from __future__ import annotations

import pytest

from tests.factories import add_service_area, file_request, row_counts
from transitreq.errors import NotSupportable, UnknownReference, ValidationFailed
from transitreq.models import Audience, RequestStatus
from transitreq.services.requests.filing import support_request
from transitreq.services.requests.rules import move


def test_resident_supports_existing_request(session):
    add_service_area(session)
    filed = file_request(session)

    supported = support_request(session, filed.reference, "Bo@Example.org ", "Bo")

    assert supported.supporter_count == 1
    assert supported.supports[0].contact == "bo@example.org"
    # The audit log records it; the public timeline stays about the request's progress.
    assert [(event.kind, event.audience) for event in supported.events] == [
        ("submitted", Audience.PUBLIC),
        ("supported", Audience.INTERNAL),
    ]
    assert [event.kind for event in supported.public_events] == ["submitted"]


@pytest.mark.parametrize(
    ("first", "again"),
    [
        ("bo@example.org", "BO@example.ORG"),
        ("+358 40 123 4567", "+358-40-1234567"),
        ("(040) 123 4567", "040.123.4567"),
    ],
)
def test_same_person_supporting_twice_counts_once_and_is_told_nothing_new(session, first, again):
    """Pins a leak: a second support used to answer 409 "already supports", which told anyone
    whether a contact backed the request. Now it answers like the first, and writes nothing."""
    add_service_area(session)
    filed = file_request(session)
    support_request(session, filed.reference, first)
    before = row_counts(session)

    repeated = support_request(session, filed.reference, again)

    assert repeated.supporter_count == 1
    assert row_counts(session) == before


def test_reporter_already_counts_and_supporting_own_request_changes_nothing(session):
    add_service_area(session)
    filed = file_request(session, reporter_contact="aino@example.org")
    repeated = support_request(session, filed.reference, "AINO@example.org")
    assert repeated.reference == filed.reference
    assert row_counts(session)["supports"] == 0


@pytest.mark.parametrize("contact", ["", "   ", "nobody", "12", "a@b", "x" * 300 + "@example.org"])
def test_support_needs_a_usable_contact(session, contact):
    add_service_area(session)
    filed = file_request(session)
    with pytest.raises(ValidationFailed) as refusal:
        support_request(session, filed.reference, contact)
    assert "contact" in refusal.value.fields
    assert row_counts(session)["supports"] == 0


def test_unknown_reference_is_reported(session):
    with pytest.raises(UnknownReference) as refusal:
        support_request(session, "SR-2026-999999", "bo@example.org")
    assert refusal.value.status == 404
    assert refusal.value.fields.keys() == {"reference"}


def test_rejected_request_takes_no_more_supporters(session):
    add_service_area(session)
    filed = file_request(session)
    move(session, filed, RequestStatus.REJECTED, actor="planner", note="Too close to a stop.")
    session.commit()
    with pytest.raises(NotSupportable):
        support_request(session, filed.reference, "bo@example.org")
    assert row_counts(session)["supports"] == 0


def test_two_supports_from_one_contact_at_once_count_once(session, engine):
    """The check in Python can race; the database's unique constraint has the last word."""
    from transitreq.db import make_sessionmaker
    from transitreq.services.requests.filing import find_by_reference

    add_service_area(session)
    filed = file_request(session)
    stale = find_by_reference(session, filed.reference)
    assert stale.supports == []  # loaded before the other support arrives
    other_session = make_sessionmaker(engine)()
    support_request(other_session, filed.reference, "twin@example.org")
    other_session.close()

    support_request(session, filed.reference, "twin@example.org")
    assert row_counts(session)["supports"] == 1


@pytest.mark.parametrize(
    ("contact", "name", "field"),
    [
        ("bo\x00@example.org", "", "contact"),
        ("bo@example.org", "Bo\ud800", "name"),
        ("bo@example.org", "B" * 101, "name"),
    ],
)
def test_support_with_unusable_text_names_the_field(session, contact, name, field):
    add_service_area(session)
    filed = file_request(session)
    with pytest.raises(ValidationFailed) as refusal:
        support_request(session, filed.reference, contact, name)
    assert field in refusal.value.fields
    assert row_counts(session)["supports"] == 0


@pytest.mark.parametrize(
    ("region", "first", "again"),
    [
        ("FI", "0401234567", "+358401234567"),
        ("FI", "+358 40 123 4567", "(040) 123-4567"),
        ("CN", "138 1234 5678", "+86 13812345678"),
        ("BR", "(11) 98765-4321", "+55 11 98765 4321"),
    ],
)
def test_one_phone_number_in_national_and_international_form_counts_once(
    session, region, first, again
):
    """Pins 0401234567 and +358401234567 counting as two supporters."""
    from transitreq.config import default_settings
    from transitreq.services.context import SETTINGS_KEY

    session.info[SETTINGS_KEY] = default_settings(PHONE_DEFAULT_REGION=region)
    add_service_area(session)
    filed = file_request(session, reporter_contact=first)
    assert filed.reporter_contact.startswith("+")
    repeated = support_request(session, filed.reference, again)
    assert repeated.supporter_count == 0
    assert row_counts(session)["supports"] == 0


def test_without_a_region_numbers_with_their_country_code_still_match(session):
    add_service_area(session)
    filed = file_request(session, reporter_contact="+358 40 123 4567")
    assert filed.reporter_contact == "+358401234567"
    support_request(session, filed.reference, "+358-40-1234567")
    assert row_counts(session)["supports"] == 0


def test_a_number_stored_before_the_region_was_set_is_still_recognised(session):
    from transitreq.config import default_settings
    from transitreq.services.context import SETTINGS_KEY

    add_service_area(session)
    filed = file_request(session, reporter_contact="040 123 4567")
    assert filed.reporter_contact == "0401234567"
    session.info[SETTINGS_KEY] = default_settings(PHONE_DEFAULT_REGION="FI")
    support_request(session, filed.reference, "+358 40 123 4567")
    assert row_counts(session)["supports"] == 0


def test_a_region_that_is_no_country_stops_the_app_at_start(tmp_path):
    from transitreq import create_app

    with pytest.raises(ValueError, match="PHONE_DEFAULT_REGION 'XX' is not a country code"):
        create_app(
            {"PHONE_DEFAULT_REGION": "xx", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
            instance_path=str(tmp_path),
        )
