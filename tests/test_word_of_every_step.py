"""Residents who asked to be told of progress hear of every public step of their request, not
only the stop project's milestones: a receipt on filing (and on supporting), a planner's
question, a merge (with where to follow it), a refusal (with the public reason).

A real SMTP server receives every message; `flask deliver-mail --once` sends what the steps
queued. The language of each message is tested in tests/test_translations_email.py.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token_from
from tests.factories import (
    RAILWAY_SQUARE,
    add_service_area,
    add_user,
    file_request,
    offset,
)
from tests.smtp_server import PUBLIC_URL, mail_app
from transitreq.services.requests import decisions
from transitreq.services.requests.filing import support_request

UNSUBSCRIBE_LINK = re.compile(r"https://stops\.example/notifications/unsubscribe/\S+")


@pytest.fixture
def app(database_url, tmp_path, inbox):
    app = mail_app(database_url, str(tmp_path / "instance"), inbox.port)
    yield app
    app.extensions["transitreq.engine"].dispose()


def _deliver(app, inbox) -> list:
    """Send what is queued and return the messages that arrived, emptying the inbox."""
    result = app.test_cli_runner().invoke(args=["deliver-mail", "--once"])
    assert result.exit_code == 0, result.output
    messages = list(inbox.messages)
    inbox.clear()
    return messages


def _file_with_the_form(client, **fields):
    page = client.get("/").get_data(as_text=True)
    form = {
        "csrf_token": csrf_token_from(page),
        "title": "A stop by the riverside flats",
        "description": "Older residents walk 700 m to the nearest stop.",
        "served_groups": ["elderly"],
        "landmark": "Footbridge steps",
        "lat": f"{RAILWAY_SQUARE.y:.6f}",
        "lon": f"{RAILWAY_SQUARE.x:.6f}",
        "reporter_name": "Aino",
        **fields,
    }
    return client.post("/requests", data=form)


def test_filing_with_the_box_ticked_sends_a_receipt_with_the_tracking_link(
    app, client, app_session, inbox
):
    add_service_area(app_session)
    filed = _file_with_the_form(client, reporter_contact="Aino@Example.org", notify_progress="on")
    quiet = _file_with_the_form(client, reporter_contact="ville@example.org")
    by_phone = _file_with_the_form(client, reporter_contact="+358 40 123 4567")

    assert [filed.status_code, quiet.status_code, by_phone.status_code] == [303, 303, 303]
    reference = re.search(r"/requests/([A-Z0-9-]+)", filed.headers["Location"]).group(1)
    (receipt,) = _deliver(app, inbox)
    assert receipt["To"] == "aino@example.org"
    assert receipt["Subject"] == f"{reference}: your request is received"
    body = receipt.get_content()
    assert (
        f"we have your request for a bus stop ({reference}, “A stop by the riverside flats”)"
        in (body)
    )
    assert "Planners will review it." in body
    assert f"{PUBLIC_URL}/requests/{reference}" in body
    assert UNSUBSCRIBE_LINK.search(body)


def test_a_supporter_gets_one_receipt_however_often_they_support(app, app_session, inbox):
    add_service_area(app_session)
    filed = file_request(app_session, notify_progress=False)

    for _ in range(3):
        support_request(app_session, filed.reference, "bo@example.org", notify_progress=True)
    support_request(app_session, filed.reference, "cai@example.org")  # did not ask

    (receipt,) = _deliver(app, inbox)
    assert receipt["To"] == "bo@example.org"
    assert receipt["Subject"] == f"{filed.reference}: your support is counted"
    assert f"your support for the bus stop asked for in {filed.reference}" in receipt.get_content()


def test_a_planners_question_goes_to_the_resident_who_filed_and_says_how_to_answer(
    app, app_session, inbox
):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    filed = file_request(app_session, reporter_contact="aino@example.org")
    support_request(app_session, filed.reference, "bo@example.org", notify_progress=True)
    _deliver(app, inbox)

    decisions.ask_for_information(
        app_session, filed.reference, filed.version, planner, "Which side of the river?"
    )

    (question,) = _deliver(app, inbox)
    assert question["To"] == "aino@example.org"
    assert question["Subject"] == f"{filed.reference}: a planner has a question for you"
    body = question.get_content()
    assert "A planner asks: Which side of the river?" in body
    assert "Answer on the tracking page" in body


def test_a_merge_tells_everyone_following_where_the_request_went(app, app_session, inbox):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    kept = file_request(app_session, reporter_contact="dora@example.org")
    merged = file_request(
        app_session, point=offset(RAILWAY_SQUARE, 90, 40), reporter_contact="aino@example.org"
    )
    support_request(app_session, merged.reference, "bo@example.org", notify_progress=True)
    support_request(app_session, merged.reference, "cai@example.org")
    _deliver(app, inbox)

    decisions.merge(app_session, merged.reference, merged.version, planner, kept.reference)

    news = _deliver(app, inbox)
    assert sorted(message["To"] for message in news) == ["aino@example.org", "bo@example.org"]
    for message in news:
        assert message["Subject"] == (
            f"{merged.reference}: your request joins another for the same stop"
        )
        body = message.get_content()
        assert f"Merged into {kept.reference}" in body
        assert f"{PUBLIC_URL}/requests/{kept.reference}" in body
    # From now on they hear of the request they were merged into, as its supporters.
    decisions.approve(app_session, kept.reference, kept.version, planner, RAILWAY_SQUARE)
    approved = _deliver(app, inbox)
    assert sorted(message["To"] for message in approved) == [
        "aino@example.org",
        "bo@example.org",
        "dora@example.org",
    ]
    assert {message["Subject"] for message in approved} == {
        f"{kept.reference}: a new stop is approved"
    }


def test_a_refusal_gives_the_public_reason_and_never_an_internal_note(app, app_session, inbox):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    filed = file_request(app_session, reporter_contact="aino@example.org")
    support_request(app_session, filed.reference, "bo@example.org", notify_progress=True)
    decisions.add_internal_note(app_session, filed.reference, planner, "MARKER internal")
    _deliver(app, inbox)

    decisions.reject(
        app_session,
        filed.reference,
        filed.version,
        planner,
        "too_close_to_existing_stop",
        "The stop at the school is 150 m away.",
    )

    news = _deliver(app, inbox)
    assert sorted(message["To"] for message in news) == ["aino@example.org", "bo@example.org"]
    for message in news:
        assert message["Subject"] == f"{filed.reference}: the request is not approved"
        body = message.get_content()
        assert "Too close to an existing stop. The stop at the school is 150 m away." in body
        assert "MARKER" not in body
