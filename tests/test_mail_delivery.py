"""Delivering the outbox against a real SMTP server that is down, slow, refusing or shared.

Pins the security issue found against gunicorn + PostGIS: with the server down, every
milestone's after-request delivery charged an attempt to every pending message until they were
silently given up; with a slow server, the planner's request ran into gunicorn's timeout and the
message in flight stayed marked sent although the server never took it. Now web requests only
queue, a worker leases each message and marks it sent only on the server's "250", an
unreachable server charges no message, and refusals follow SMTP: 4xx retried with backoff, 5xx
or the last attempt dead, in sight of the administrators.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.smtp_server import mail_app
from transitreq import config
from transitreq.db import make_sessionmaker
from transitreq.models import OutboundEmail, utc_now
from transitreq.services.mail import outbox
from transitreq.services.mail.delivery import (
    Trouble,
    deliver_due,
    deliver_until_stopped,
    mail_settings,
    one_round,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app(database_url, tmp_path, inbox):
    # A short timeout keeps the slow-server tests short: the lease is six of them, 3 s.
    app = mail_app(database_url, str(tmp_path / "instance"), inbox.port, MAIL_TIMEOUT_S=0.5)
    yield app
    app.extensions["transitreq.engine"].dispose()


@pytest.fixture
def settings(app):
    """The app's mail settings with a patient timeout: a test server on a busy machine can take
    longer than the app's half second to answer. Only the slow-server test keeps the half
    second (``app_settings``)."""
    mail = app_settings(app)
    return replace(mail, smtp=replace(mail.smtp, timeout_s=10.0))


def app_settings(app):
    return app.extensions["transitreq.settings"].mail


def _queue(session, *recipients: str) -> list[int]:
    """Messages as a milestone queues them, to the given addresses."""
    messages = [
        OutboundEmail(recipient=address, subject=f"News for {address}", body="A stop is near.")
        for address in recipients
    ]
    session.add_all(messages)
    session.commit()
    return [message.id for message in messages]


def _rows(session) -> list[OutboundEmail]:
    session.expire_all()
    return list(session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))


def _at(moment):
    return lambda: moment


# The server cannot be reached ------------------------------------------------------------------


@pytest.mark.parametrize("failure", ["stopped", "no_starttls", "no_login"])
def test_a_server_that_cannot_be_reached_charges_no_message_and_loses_none(
    app, app_session, inbox, settings, failure
):
    """Six deliveries in a row (six milestones within seconds, as in the issue) with the server
    down, offering no STARTTLS, or refusing a login: no message gains an attempt or a lease."""
    _queue(app_session, "aino@example.org", "bo@example.org", "cai@example.org")
    broken = settings
    if failure == "stopped":
        inbox.stop()
    else:
        changed = {"no_starttls": {"MAIL_SECURITY": "starttls"}, "no_login": {"MAIL_USERNAME": "u"}}
        broken = mail_settings({**app.config, **changed[failure]})

    reports = [deliver_due(app_session, broken) for _ in range(6)]

    assert all(report.server_problem and report.failed for report in reports)
    assert {(report.sent, report.retrying, report.dead, report.waiting) for report in reports} == {
        (0, 0, 0, 3)
    }
    for row in _rows(app_session):
        assert (row.attempts, row.last_error, row.leased_until, row.dead_at) == (
            0,
            None,
            None,
            None,
        )
    assert inbox.envelopes == []

    if failure == "stopped":
        inbox.start()
    back = deliver_due(app_session, settings)

    assert (back.sent, back.waiting, back.server_problem) == (3, 0, None)
    assert inbox.recipients == ["aino@example.org", "bo@example.org", "cai@example.org"]


# The server is slow ----------------------------------------------------------------------------


def test_a_slow_server_leaves_the_message_unsent_and_leased_then_it_goes_out_once(
    app, app_session, inbox
):
    settings = app_settings(app)
    (message_id,) = _queue(app_session, "aino@example.org")
    inbox.accept_delay_s = 1.5  # three times MAIL_TIMEOUT_S
    started = utc_now()

    slow = deliver_due(app_session, settings)

    assert slow.sent == 0 and "stopped answering" in slow.server_problem
    (row,) = _rows(app_session)
    assert row.sent_at is None and row.attempts == 0 and "timed out" in row.last_error
    lease = row.leased_until - started
    assert timedelta(seconds=2.5) < lease <= timedelta(seconds=3.5)  # 6 × MAIL_TIMEOUT_S

    # The server is quick again, but the message stays with the worker that had it until its
    # lease runs out: that worker may only be slow, not dead.
    inbox.accept_delay_s = 0
    assert deliver_due(app_session, settings).sent == 0
    after_lease = _at(row.leased_until + timedelta(seconds=1))
    assert deliver_due(app_session, settings, clock=after_lease).sent == 1

    # Once the slow answer would have come, the server still holds one copy only.
    time.sleep(max(0.0, 1.6 - (utc_now() - started).total_seconds()))
    assert inbox.recipients == ["aino@example.org"]
    assert deliver_due(app_session, settings, clock=after_lease).sent == 0
    (sent,) = _rows(app_session)
    assert sent.sent_at is not None and sent.leased_until is None and sent.last_error is None


# The server refuses ----------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_a_temporary_refusal_is_retried_with_backoff_then_dead_after_the_last_attempt(
    app_session, inbox, settings, stage
):
    replies = inbox.rcpt_replies if stage == "rcpt" else inbox.data_replies
    replies["busy@example.org"] = "451 4.2.0 Mailbox busy, try later"
    busy, fine = _queue(app_session, "busy@example.org", "fine@example.org")
    now = utc_now()

    first = deliver_due(app_session, settings, clock=_at(now))

    assert (first.sent, first.retrying, first.dead, first.failed) == (1, 1, 0, True)
    assert inbox.recipients == ["fine@example.org"]
    row = _rows(app_session)[0]
    assert row.attempts == 1 and "451 4.2.0 Mailbox busy" in row.last_error
    assert row.next_attempt_at == now + timedelta(seconds=60)
    # Not due before its time: the server hears nothing more of it.
    assert deliver_due(app_session, settings, clock=_at(now + timedelta(seconds=59))).retrying == 0
    assert len(inbox.refusals) == 1

    waits_s = []
    for attempt in range(2, settings.policy.max_attempts + 1):
        tried_at = row.next_attempt_at
        report = deliver_due(app_session, settings, clock=_at(tried_at))
        row = _rows(app_session)[0]
        assert row.attempts == attempt
        if attempt < settings.policy.max_attempts:
            assert report.retrying == 1
            waits_s.append((row.next_attempt_at - tried_at).total_seconds())

    assert waits_s == [120, 240, 480]  # doubling after each refusal
    assert report.dead == 1 and report.dead_total == 1
    assert row.dead_at is not None and row.sent_at is None and row.next_attempt_at is None
    assert (
        "451 4.2.0 Mailbox busy" in row.last_error and "gave up after 5 attempts" in row.last_error
    )
    # Dead is final until an administrator re-queues it: never tried, never dropped.
    assert deliver_due(app_session, settings, clock=_at(now + timedelta(days=30))).retrying == 0
    assert len(inbox.refusals) == 5 and len(_rows(app_session)) == 2


@pytest.mark.parametrize(
    ("stage", "reply"),
    [("rcpt", "550 5.1.1 No such user here"), ("data", "554 5.6.0 Message content refused")],
)
def test_a_permanent_refusal_is_dead_at_once_with_its_error_and_the_run_goes_on(
    app, app_session, inbox, stage, reply
):
    (inbox.rcpt_replies if stage == "rcpt" else inbox.data_replies)["gone@example.org"] = reply
    _queue(app_session, "gone@example.org", "fine@example.org")

    result = app.test_cli_runner().invoke(args=["deliver-mail", "--once"])

    assert result.exit_code == 1
    assert "Sent 1, to retry later 0, dead 1; 0 still waiting." in result.stdout
    assert "1 dead message(s) wait for an administrator" in result.stderr
    gone, fine = _rows(app_session)
    assert gone.dead_at is not None and gone.attempts == 1 and gone.sent_at is None
    assert reply in gone.last_error
    assert fine.sent_at is not None
    assert inbox.recipients == ["fine@example.org"]


# Several workers -------------------------------------------------------------------------------


def test_a_worker_never_sends_a_message_another_one_is_sending(
    engine, app_session, inbox, settings
):
    """Pinned first when every web request delivered the whole outbox after its commit: a
    second worker runs while the first waits for the server's reply to its first message."""
    _queue(app_session, *(f"resident{number}@example.org" for number in range(3)))
    other_report = []

    def other_delivery() -> None:
        # A thread with its own connection, as a second process would have.
        other = make_sessionmaker(engine)()
        try:
            other_report.append(deliver_due(other, settings))
        finally:
            other.close()

    inbox.on_first_message = other_delivery
    first_report = deliver_due(app_session, settings)

    assert inbox.recipients == [f"resident{number}@example.org" for number in range(3)]
    # The second took the two the first had not leased yet; the first found them sent.
    assert (first_report.sent, other_report[0].sent) == (1, 2)
    assert all(row.sent_at is not None for row in _rows(app_session))


def test_workers_starting_together_send_every_message_exactly_once(
    engine, app_session, inbox, settings
):
    recipients = [f"resident{number:02}@example.org" for number in range(12)]
    _queue(app_session, *recipients)
    start = threading.Barrier(3)
    reports = []

    def worker() -> None:
        session = make_sessionmaker(engine)()
        try:
            start.wait()
            reports.append(deliver_due(session, settings))
        finally:
            session.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert inbox.recipients == recipients
    assert sum(report.sent for report in reports) == 12
    assert all(row.sent_at is not None for row in _rows(app_session))


# The worker ------------------------------------------------------------------------------------


def _wait_for(condition, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_the_worker_sends_what_is_queued_while_it_runs_until_told_to_stop(
    app, app_session, inbox, settings, caplog
):
    caplog.set_level("INFO", logger="transitreq.mail")
    stop = threading.Event()
    worker = threading.Thread(
        target=deliver_until_stopped,
        args=(app.extensions["transitreq.sessionmaker"], settings, stop, 0.1),
    )
    worker.start()
    try:
        _queue(app_session, "aino@example.org")
        _wait_for(lambda: inbox.recipients == ["aino@example.org"])
        inbox.stop()
        _queue(app_session, "bo@example.org")
        _wait_for(lambda: "mail server" in caplog.text)
        time.sleep(0.5)  # five more looks at a server still down
        inbox.start()
        _wait_for(lambda: inbox.recipients == ["aino@example.org", "bo@example.org"])
    finally:
        stop.set()
        worker.join(timeout=10)

    assert not worker.is_alive()
    # The outage is told once, however many looks it lasted, and so is its end.
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    # (It starts as a refused connection, or as a message dropped half-way when the server
    # went down while taking it.)
    assert len(warnings) == 1 and "mail server" in warnings[0]
    # Its end names the last trouble met, in whichever words the outage ended with.
    recovered = [message for message in caplog.messages if "delivering again after" in message]
    assert len(recovered) == 1 and "the mail server" in recovered[0]
    assert "stopped" in caplog.messages[-1]
    assert all(row.sent_at is not None and row.attempts == 0 for row in _rows(app_session))


def test_an_outage_that_changes_its_words_is_still_told_once(
    app, app_session, inbox, settings, caplog
):
    """The server went down while taking a message (one wording), then refuses connections
    (another): one outage, one warning."""
    caplog.set_level("INFO", logger="transitreq.mail")
    make_session = app.extensions["transitreq.sessionmaker"]
    inbox.stop()
    _queue(app_session, "bo@example.org")
    dropped = Trouble("server", "the mail server stopped answering while taking the message")
    stop = threading.Event()
    still_down = one_round(make_session, settings, "worker", stop, dropped)
    assert still_down.kind == "server" and "cannot use the mail server" in still_down.text
    assert [r for r in caplog.records if r.levelname == "WARNING"] == []
    one_round(make_session, settings, "worker", stop, None)
    assert [r.levelname for r in caplog.records].count("WARNING") == 1


def test_deliver_mail_runs_as_a_service_and_stops_cleanly_on_sigterm(
    app, app_session, database_url, inbox
):
    """The real command in its own process, as systemd would run and stop it."""
    _queue(app_session, "aino@example.org")
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "tests-only-secret",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(inbox.port),
        "MAIL_SECURITY": "none",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "transitreq",
            "deliver-mail",
            "--interval-s",
            "0.2",
        ],
        cwd=PROJECT_ROOT,
        env=environment,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(lambda: inbox.recipients == ["aino@example.org"], timeout_s=60)
        worker.send_signal(signal.SIGTERM)
        _, log = worker.communicate(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()

    assert worker.returncode == 0, log
    assert "SIGTERM: stopping after the message in hand" in log
    assert "sent 1, to retry 0, dead 0" in log
    assert log.rstrip().endswith("stopped")


# Settings --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("MAIL_MAX_ATTEMPTS", 0),
        ("MAIL_TIMEOUT_S", 0),
        ("MAIL_RETRY_DELAY_S", -1),
        ("MAIL_RETRY_MAX_DELAY_S", 1),  # below the first delay
        ("MAIL_POLL_INTERVAL_S", float("nan")),
        ("MAIL_SECURITY", "tls"),
    ],
)
def test_mail_settings_that_make_no_sense_stop_the_app_at_start(setting, value):
    with pytest.raises(ValueError, match=setting):
        mail_settings({**config.from_environment(), setting: value})


def test_the_lease_is_bounded_by_the_server_timeout():
    settings = mail_settings({**config.from_environment(), "MAIL_TIMEOUT_S": 10})
    assert settings.policy.lease_s == 60
    assert outbox.DeliveryPolicy(5, 60, 3600, 60).delay_before_retry(40) == timedelta(hours=1)
