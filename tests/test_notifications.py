"""Residents who asked to be told of progress get an e-mail at each public milestone.

Every test here runs a real SMTP server (aiosmtpd) on 127.0.0.1 and reads what it received:
who got which message, what it says, and that the link in it unsubscribes. Web requests and
services only queue; `flask deliver-mail --once` (or its old name `send-notifications`) sends.
How delivery copes with a failing server is in tests/test_mail_delivery.py.
"""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token_from
from tests.factories import (
    RAILWAY_SQUARE,
    add_route,
    add_service_area,
    add_user,
    approve_request,
    department_staff,
    file_request,
    log_in,
    offset,
    take_to_stage,
    version_of,
)
from tests.smtp_server import PUBLIC_URL, SilentServer, mail_app
from transitreq.errors import StaleDecision, TransitionRefused, ValidationFailed
from transitreq.models import OutboundEmail, StopRequest, Support, utc_now
from transitreq.services.mail import notifications
from transitreq.services.projects import sign_offs
from transitreq.services.projects import stages as projects
from transitreq.services.requests import decisions
from transitreq.services.requests.filing import find_by_reference, support_request

UNSUBSCRIBE_LINK = re.compile(r"https://stops\.example(/notifications/unsubscribe/\S+)")


@pytest.fixture
def app(database_url, tmp_path, inbox):
    """The suite's app, sending mail to the test's SMTP server; ``client`` and ``app_session``
    use this one in this module."""
    app = mail_app(database_url, str(tmp_path / "instance"), inbox.port)
    yield app
    app.extensions["transitreq.engine"].dispose()


def _send_notifications(app, command: tuple[str, ...] = ("deliver-mail", "--once")) -> str:
    result = app.test_cli_runner().invoke(args=list(command))
    assert result.exit_code == 0, result.output
    return result.output


def _outbox(session) -> list[OutboundEmail]:
    session.expire_all()
    return list(session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))


def _deliver_receipts(app, inbox) -> None:
    """Send what filing and supporting queued (receipts), so a test reads only what follows."""
    _send_notifications(app)
    inbox.clear()


def _unsent(session) -> list[OutboundEmail]:
    return [message for message in _outbox(session) if message.sent_at is None]


def _approve_with_the_form(client, reference: str, note: str = ""):
    review = client.get(f"/planning/requests/{reference}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', review).group(1)
    return client.post(
        f"/planning/requests/{reference}/approve",
        data={
            "csrf_token": csrf_token_from(review),
            "version": version,
            "coordinates": f"{RAILWAY_SQUARE.y:.7f}, {RAILWAY_SQUARE.x:.7f}",
            "link_radius_m": "",
            "note": note,
        },
    )


def _support_with_the_form(client, reference: str, **fields):
    page = client.get(f"/requests/{reference}").get_data(as_text=True)
    return client.post(
        f"/requests/{reference}/support", data={"csrf_token": csrf_token_from(page), **fields}
    )


def test_approval_on_the_review_form_emails_the_residents_who_asked(
    app, client, app_session, inbox
):
    add_service_area(app_session)
    filed = file_request(app_session, reporter_contact="aino@example.org", notify_progress=True)
    ticked = _support_with_the_form(
        client, filed.reference, contact="Bo@Example.org", notify_progress="on"
    )
    assert ticked.status_code == 303
    _deliver_receipts(app, inbox)
    log_in(client, app_session)

    approved = _approve_with_the_form(client, filed.reference, note="Works start in May.")

    assert approved.status_code == 303
    # The approval only queued them; the planner's request never talks to the mail server.
    assert inbox.envelopes == []
    assert "Sent 2," in _send_notifications(app)
    assert inbox.recipients == ["aino@example.org", "bo@example.org"]
    for message in inbox.messages:
        assert message["Subject"] == f"{filed.reference}: a new stop is approved"
        assert message["From"] == "Transit planning office <stops@city.example>"
        body = message.get_content()
        assert "A new stop is planned here. Works start in May." in body
        assert f"{PUBLIC_URL}/requests/{filed.reference}" in body
        assert UNSUBSCRIBE_LINK.search(body)
    assert all(outbound.sent_at is not None for outbound in _outbox(app_session))


def test_each_address_that_asked_is_written_to_once_and_nobody_else(app, app_session, inbox):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    first = file_request(app_session, reporter_contact="aino@example.org", notify_progress=True)
    quiet = file_request(
        app_session,
        point=offset(RAILWAY_SQUARE, 90, 60),
        reporter_contact="ville@example.org",
        notify_progress=False,
    )
    by_phone = file_request(
        app_session,
        point=offset(RAILWAY_SQUARE, 0, 60),
        reporter_contact="+358 40 123 4567",
        notify_progress=True,
    )
    support_request(app_session, first.reference, "bo@example.org", notify_progress=True)
    support_request(app_session, first.reference, "cai@example.org")  # did not ask
    support_request(app_session, quiet.reference, "aino@example.org", notify_progress=True)
    support_request(app_session, by_phone.reference, "dora@example.org", notify_progress=True)
    # A phone supporter marked for news (as an import might): still no e-mail to a phone.
    app_session.add(Support(request=quiet, contact="0401234567", notify_progress=True))
    app_session.commit()
    _deliver_receipts(app, inbox)
    notifications.unsubscribe(app_session, "dora@example.org")
    app_session.commit()

    decisions.approve(
        app_session, first.reference, first.version, planner, RAILWAY_SQUARE, link_radius_m=150
    )
    assert inbox.envelopes == []  # a service call queues; delivery is `flask deliver-mail`'s
    output = _send_notifications(app, ("send-notifications",))  # the old name still works

    assert "Sent 2" in output
    assert inbox.recipients == ["aino@example.org", "bo@example.org"]
    for message in inbox.messages:
        assert message["Subject"] == f"{first.reference}: a new stop is approved"


def test_unsubscribe_link_asks_first_and_then_stops_every_progress_email(
    app, client, app_session, inbox
):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    project = approve_request(app_session, planner, reporter_contact="aino@example.org")
    reference = project.requests[0].reference
    support_request(app_session, reference, "bo@example.org", notify_progress=True)
    projects.start_survey(app_session, project.id, version_of(app_session, project), planner)
    _send_notifications(app)
    (latest,) = [m for m in inbox.to("aino@example.org") if "site survey" in m["Subject"]]
    link = UNSUBSCRIBE_LINK.search(latest.get_content()).group(1)

    asked = client.get(link)

    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert 'id="unsubscribe-form"' in page and "a…@example.org" in page
    app_session.expire_all()
    assert find_by_reference(app_session, reference).notify_progress is True

    done = client.post(link, data={"csrf_token": csrf_token_from(page)})

    assert done.status_code == 200
    assert "It was following 1 request." in done.get_data(as_text=True)
    app_session.expire_all()
    assert find_by_reference(app_session, reference).notify_progress is False
    inbox.clear()
    projects.record_survey(
        app_session, project.id, version_of(app_session, project), planner, utc_now().date(), "Ok."
    )
    projects.start_coordination(app_session, project.id, version_of(app_session, project), planner)
    _send_notifications(app)
    # Survey done and coordination: two milestones, both to the supporter only.
    assert inbox.recipients == ["bo@example.org", "bo@example.org"]
    again = client.post(link, data={"csrf_token": csrf_token_from(page)})
    assert "was not getting progress e-mails" in again.get_data(as_text=True)


@pytest.mark.parametrize("damage", ["flip_last", "other_key", "garbage"])
def test_tampered_unsubscribe_link_is_a_clear_404(client, app_session, damage):
    add_service_area(app_session)
    file_request(app_session, reporter_contact="aino@example.org", notify_progress=True)
    token = notifications.unsubscribe_token("tests-only-secret", "aino@example.org")
    token = {
        "flip_last": token[:-1] + ("A" if token[-1] != "A" else "B"),
        "other_key": notifications.unsubscribe_token("someone-else", "aino@example.org"),
        "garbage": "not-a-token",
    }[damage]
    csrf = csrf_token_from(client.get("/").get_data(as_text=True))

    for response in (
        client.get(f"/notifications/unsubscribe/{token}"),
        client.post(f"/notifications/unsubscribe/{token}", data={"csrf_token": csrf}),
    ):
        assert response.status_code == 404
        assert "This unsubscribe link is not valid" in response.get_data(as_text=True)
    app_session.expire_all()
    assert app_session.scalar(select(StopRequest.notify_progress)) is True


SURVEY_FINDINGS = "MARKER-findings: drainage grate under the kerb"
REFUSAL = "MARKER-refusal: sight line too short"
REOPEN = "MARKER-reopen: stop moved 5 m north"
INTERNAL_NOTE = "MARKER-note: contractor dispute"


def test_internal_steps_send_nothing_and_their_words_reach_no_message(app, app_session, inbox):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    project = approve_request(app_session, planner, reporter_contact="aino@example.org")
    projects.start_survey(app_session, project.id, version_of(app_session, project), planner)
    projects.record_survey(
        app_session,
        project.id,
        version_of(app_session, project),
        planner,
        utc_now().date(),
        SURVEY_FINDINGS,
    )
    projects.add_project_note(app_session, project.id, planner, INTERNAL_NOTE, public=False)
    projects.start_coordination(app_session, project.id, version_of(app_session, project), planner)
    queued_for_public_steps = len(_outbox(app_session))
    landscaping = next(m for m in project.sign_offs if m.owner_name == "Landscaping")

    staff = department_staff(app_session, "Landscaping")
    sign_offs.decide_sign_off(
        app_session, landscaping.id, version_of(app_session, project), staff, "refuse", REFUSAL
    )
    sign_offs.reopen_sign_off(
        app_session, landscaping.id, version_of(app_session, project), planner, REOPEN
    )
    projects.set_due_date(
        app_session, landscaping.id, version_of(app_session, project), planner, None
    )
    _send_notifications(app)

    assert len(_outbox(app_session)) == queued_for_public_steps
    assert [message["Subject"].split(": ", 1)[1] for message in inbox.messages] == [
        "your request is received",
        "a new stop is approved",
        "the site survey has begun",
        "the site has been surveyed",
        "the city's departments are reviewing the stop",
    ]
    for message in inbox.messages:
        text = message["Subject"] + message.get_content()
        assert "MARKER" not in text


def test_mail_server_down_keeps_the_message_until_it_is_back(app, client, app_session, inbox):
    add_service_area(app_session)
    filed = file_request(app_session, reporter_contact="aino@example.org", notify_progress=True)
    _deliver_receipts(app, inbox)
    log_in(client, app_session)
    inbox.stop()

    approved = _approve_with_the_form(client, filed.reference)

    assert approved.status_code == 303
    app_session.expire_all()
    assert find_by_reference(app_session, filed.reference).project is not None
    (waiting,) = _unsent(app_session)
    assert waiting.recipient == "aino@example.org" and "approved" in waiting.subject
    down = app.test_cli_runner().invoke(args=["deliver-mail", "--once"])
    assert down.exit_code == 1
    assert "Stopped: cannot use the mail server 127.0.0.1" in down.output
    (waiting,) = _unsent(app_session)
    # The server's absence is not the message's fault: no attempt counted, nothing leased.
    assert (waiting.attempts, waiting.last_error, waiting.leased_until) == (0, None, None)

    inbox.start()
    output = _send_notifications(app)

    assert "Sent 1, to retry later 0, dead 0; 0 still waiting." in output
    assert inbox.recipients == ["aino@example.org"]
    assert _unsent(app_session) == []
    sent = _outbox(app_session)[-1]
    assert sent.sent_at is not None and sent.attempts == 0 and sent.last_error is None
    assert "Sent 0" in _send_notifications(app)
    assert len(inbox.envelopes) == 1


def test_a_web_request_that_queues_mail_never_talks_to_the_mail_server(database_url, tmp_path):
    """The worst server accepts the connection and never answers; the planner's approval still
    answers at once, and only the delivery command waits out MAIL_TIMEOUT_S."""
    silent = SilentServer()
    silent.start()
    # Had the request connected, it would have waited the whole MAIL_TIMEOUT_S for a greeting.
    app = mail_app(database_url, str(tmp_path / "instance"), silent.port, MAIL_TIMEOUT_S=2.5)
    session = app.extensions["transitreq.sessionmaker"]()
    try:
        client = app.test_client()
        add_service_area(session)
        filed = file_request(session, reporter_contact="aino@example.org", notify_progress=False)
        # Asked for news after filing, so the only message is the approval's.
        filed.notify_progress = True
        session.commit()
        log_in(client, session)

        started = time.monotonic()
        approved = _approve_with_the_form(client, filed.reference)
        took_s = time.monotonic() - started

        assert approved.status_code == 303
        assert took_s < 2.5
        assert silent.connections == 0
        (queued,) = _outbox(session)
        assert (queued.recipient, queued.sent_at, queued.attempts) == ("aino@example.org", None, 0)

        result = app.test_cli_runner().invoke(args=["deliver-mail", "--once"])

        assert result.exit_code == 1 and "timed out" in result.output
        assert silent.connections == 1
        (still,) = _outbox(session)
        assert (still.sent_at, still.attempts, still.leased_until) == (None, 0, None)
    finally:
        session.close()
        app.extensions["transitreq.engine"].dispose()
        silent.stop()


def test_a_milestone_refused_or_lost_to_a_race_queues_nothing(app, app_session, inbox):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    project = approve_request(app_session, planner, reporter_contact="aino@example.org")
    before = len(_outbox(app_session))

    with pytest.raises(TransitionRefused):
        projects.start_construction(
            app_session, project.id, version_of(app_session, project), planner, utc_now().date()
        )
    assert len(_outbox(app_session)) == before

    take_to_stage(app_session, project, planner, "construction")
    today = utc_now().date()
    projects.finish_construction(
        app_session, project.id, version_of(app_session, project), planner, today
    )
    add_route(app_session)
    projects.set_launch(
        app_session, project.id, version_of(app_session, project), planner, ["7"], today
    )
    queued = len(_outbox(app_session))
    seen = project.requests[0].version  # the planner's view of the linked request
    # Someone else changes the linked request while the planner opens the stop.
    other = app.extensions["transitreq.sessionmaker"]()
    other.get(StopRequest, project.requests[0].id).landmark = "Changed meanwhile"
    other.commit()
    other.close()
    assert project.requests[0].version == seen

    with pytest.raises(StaleDecision):
        projects.put_in_service(app_session, project.id, project.version, planner)

    assert len(_outbox(app_session)) == queued
    _send_notifications(app)
    assert not [m for m in inbox.messages if "in service" in m["Subject"]]
    assert app_session.scalar(select(func.count()).select_from(OutboundEmail)) == queued


def test_progress_emails_need_an_email_contact_on_the_support_form(client, app_session):
    add_service_area(app_session)
    filed = file_request(app_session)

    refused = _support_with_the_form(
        client, filed.reference, contact="040 123 4567", notify_progress="on"
    )

    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'id="notify_progress-error"' in page and "need an e-mail address" in page
    assert re.search(r'id="support-notify-progress"[^>]*\s+checked', page)
    assert app_session.scalar(select(func.count()).select_from(Support)) == 0
    assert _support_with_the_form(client, filed.reference, contact="040 123 4567").status_code == (
        303
    )
    app_session.expire_all()
    assert app_session.scalar(select(Support.notify_progress)) is False


def test_json_api_support_takes_an_optional_notify_progress_boolean(client, app_session):
    add_service_area(app_session)
    filed = file_request(app_session)
    url = f"/api/requests/{filed.reference}/supports"

    wrong = client.post(url, json={"contact": "bo@example.org", "notify_progress": "yes"})
    asked = client.post(url, json={"contact": "bo@example.org", "notify_progress": True})
    plain = client.post(url, json={"contact": "cai@example.org"})

    assert wrong.status_code == 422
    assert wrong.get_json()["error"]["fields"] == {
        "notify_progress": "notify_progress must be true or false."
    }
    assert (asked.status_code, plain.status_code) == (201, 201)
    app_session.expire_all()
    chosen = dict(app_session.execute(select(Support.contact, Support.notify_progress)).all())
    assert chosen == {"bo@example.org": True, "cai@example.org": False}
    with pytest.raises(ValidationFailed) as refusal:
        support_request(app_session, filed.reference, "+358401112223", notify_progress=True)
    assert refusal.value.fields.keys() == {"notify_progress"}
