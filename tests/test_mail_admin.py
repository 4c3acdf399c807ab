"""Administrators see the progress e-mails that could not go out and give them a fresh start.

Dead messages are made the real way, by a real SMTP server (aiosmtpd) refusing them, and after
re-queuing they are delivered to it.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import csrf_token_from
from tests.factories import log_in
from tests.smtp_server import mail_app
from transitreq.models import OutboundEmail, utc_now
from transitreq.services.mail.delivery import deliver_due

NO_SUCH_USER = "550 5.1.1 No such user here"


@pytest.fixture
def app(database_url, tmp_path, inbox):
    app = mail_app(database_url, str(tmp_path / "instance"), inbox.port)
    yield app
    app.extensions["transitreq.engine"].dispose()


def _deliver(app, session):
    return deliver_due(session, app.extensions["transitreq.settings"].mail)


def _dead(app, session, inbox, *recipients: str) -> list[int]:
    """Messages to ``recipients`` that the server refused for good."""
    for address in recipients:
        inbox.rcpt_replies[address] = NO_SUCH_USER
        session.add(OutboundEmail(recipient=address, subject=f"SR news for {address}", body="."))
    session.commit()
    assert _deliver(app, session).dead == len(recipients)
    inbox.rcpt_replies.clear()  # the addresses work again (say, a typo fixed at the provider)
    return list(session.scalars(select(OutboundEmail.id).order_by(OutboundEmail.id)))


def _late(session, recipient: str) -> int:
    """A message queued two hours ago and never sent (no worker ran)."""
    message = OutboundEmail(recipient=recipient, subject="SR news, late", body=".")
    session.add(message)
    session.commit()
    session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == message.id)
        .values(created_at=utc_now() - timedelta(hours=2))
    )
    session.commit()
    return message.id


def _row(session, message_id: int) -> OutboundEmail:
    session.expire_all()
    return session.get(OutboundEmail, message_id)


def test_dead_and_late_messages_are_shown_to_administrators_only(app, client, app_session, inbox):
    (dead,) = _dead(app, app_session, inbox, "aino@example.org")
    late = _late(app_session, "bo@example.org")
    _row(app_session, dead)  # still dead; the queue itself is untouched by looking

    assert client.get("/admin/mail").status_code == 302  # anonymous: to the login page
    planner = app.test_client()
    log_in(planner, app_session, role="planner")
    assert planner.get("/admin/mail").status_code == 403
    assert "/admin/mail" not in planner.get("/planning/evaluate").get_data(as_text=True)
    log_in(client, app_session, role="admin")

    page = client.get("/admin/mail")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/admin/mail"' in html  # in the staff menu
    dead_table = html[html.index('id="dead-messages"') : html.index('id="late-mail"')]
    assert "aino@example.org" in dead_table and "SR news for aino@example.org" in dead_table
    assert f"recipient refused: {NO_SUCH_USER}" in dead_table
    assert re.search(r'<td class="number">1</td><td class="last-error">', dead_table)
    assert f'id="requeue-{dead}"' in dead_table
    late_table = html[html.index('id="late-messages"') :]
    assert "bo@example.org" in late_table and f'id="requeue-{late}"' in late_table
    assert "aino@example.org" not in late_table


def test_the_button_requeues_one_dead_message_which_is_then_delivered(
    app, client, app_session, inbox
):
    first, second = _dead(app, app_session, inbox, "aino@example.org", "bo@example.org")
    planner = app.test_client()
    log_in(planner, app_session, role="planner")
    token = csrf_token_from(planner.get("/planning/evaluate").get_data(as_text=True))
    assert planner.post(f"/admin/mail/{first}/requeue", data={"csrf_token": token}).status_code == (
        403
    )
    log_in(client, app_session, role="admin")
    page = client.get("/admin/mail").get_data(as_text=True)
    assert client.post(f"/admin/mail/{first}/requeue").status_code == 400  # no CSRF token
    assert _row(app_session, first).dead_at is not None

    done = client.post(f"/admin/mail/{first}/requeue", data={"csrf_token": csrf_token_from(page)})

    assert done.status_code == 303 and done.headers["Location"].endswith("/admin/mail")
    assert f"Message {first} is queued again" in client.get("/admin/mail").get_data(as_text=True)
    requeued = _row(app_session, first)
    assert (requeued.attempts, requeued.last_error, requeued.dead_at) == (0, None, None)
    assert _row(app_session, second).dead_at is not None  # only the one asked for
    report = _deliver(app, app_session)
    assert (report.sent, report.dead_total) == (1, 1)
    assert inbox.recipients == ["aino@example.org"]


def test_requeue_all_gives_every_dead_message_a_fresh_start(app, client, app_session, inbox):
    _dead(app, app_session, inbox, "aino@example.org", "bo@example.org")
    late = _late(app_session, "cai@example.org")
    log_in(client, app_session, role="admin")
    token = csrf_token_from(client.get("/admin/mail").get_data(as_text=True))

    done = client.post("/admin/mail/requeue-dead", data={"csrf_token": token})

    assert done.status_code == 303
    assert "2 dead message(s) queued again." in client.get("/admin/mail").get_data(as_text=True)
    assert _deliver(app, app_session).sent == 3  # the two and the late one
    assert inbox.recipients == ["aino@example.org", "bo@example.org", "cai@example.org"]
    assert _row(app_session, late).sent_at is not None


def test_requeue_mail_command_by_id_or_all(app, app_session, inbox):
    first, second, third = _dead(
        app, app_session, inbox, "aino@example.org", "bo@example.org", "cai@example.org"
    )
    runner = app.test_cli_runner()

    assert runner.invoke(args=["requeue-mail"]).exit_code == 2
    assert runner.invoke(args=["requeue-mail", "--all", str(first)]).exit_code == 2
    one = runner.invoke(args=["requeue-mail", str(first)])
    assert one.exit_code == 0 and "Re-queued 1 message(s)." in one.output
    assert _deliver(app, app_session).sent == 1
    # Already sent, or no such message: said so, with a failing exit status.
    again = runner.invoke(args=["requeue-mail", str(first), "9999"])
    assert again.exit_code == 1 and "Re-queued 0 message(s)." in again.output
    assert "not re-queued" in again.output

    every = runner.invoke(args=["requeue-mail", "--all"])

    assert every.exit_code == 0 and "Re-queued 2 message(s)." in every.output
    assert (_row(app_session, second).attempts, _row(app_session, third).dead_at) == (0, None)
    assert _deliver(app, app_session).sent == 2
    assert inbox.recipients == ["aino@example.org", "bo@example.org", "cai@example.org"]


def test_a_message_being_sent_is_not_requeued_under_its_worker(app, app_session, inbox):
    from transitreq.services.mail import outbox

    (message_id,) = _dead(app, app_session, inbox, "aino@example.org")
    outbox.requeue(app_session, utc_now(), [message_id])
    policy = app.extensions["transitreq.settings"].mail.policy
    assert outbox.claim(app_session, message_id, "worker-a", utc_now(), policy) is not None

    assert outbox.requeue(app_session, utc_now(), [message_id]) == 0
    assert _row(app_session, message_id).leased_by == "worker-a"
