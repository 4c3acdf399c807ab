"""Sending the outbox, outside any web request: one run (``flask deliver-mail --once``, cron)
or a worker that keeps looking (``flask deliver-mail``, a service).

Web requests only queue messages, in the transaction of the change they announce; a slow or
absent mail server can then cost a planner nothing. A run walks the due messages once, oldest
first, over one connection, leasing each before sending it (``services/outbox.py``) so that
runs and workers side by side never send a message twice. A server that cannot be reached
ends the run and counts against no message.
"""

from __future__ import annotations

import logging
import os
import secrets
import smtplib
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from transitreq.models import utc_now
from transitreq.services.mail import outbox
from transitreq.services.mail import smtp as mailer
from transitreq.services.mail.outbox import DeliveryPolicy
from transitreq.services.mail.smtp import MailServerUnavailable, SmtpSettings

log = logging.getLogger("transitreq.mail")

# A send is at most five exchanges with the server, each bounded by MAIL_TIMEOUT_S (MAIL FROM,
# RCPT TO, DATA, the message, the final reply), plus one for margin: a lease this long outlives
# any send of a live worker, and a dead worker's message is free again soon after.
LEASE_TIMEOUTS = 6
BATCH_SIZE = 100


@dataclass(frozen=True)
class MailSettings:
    smtp: SmtpSettings
    policy: DeliveryPolicy
    # The worker's rest between looks at an outbox with nothing due.
    poll_interval_s: float
    # When a waiting message is late enough to show on the admin page.
    late_after_s: float


def _at_least(config: Mapping[str, Any], name: str, minimum: float) -> float:
    value = float(config[name])
    if not value >= minimum:  # also refuses NaN
        raise ValueError(f"{name} must be at least {minimum:g}, not {config[name]!r}")
    return value


def mail_settings(config: Mapping[str, Any]) -> MailSettings:
    """Mail settings from app config, checked once at start so a typo stops the app."""
    security = str(config["MAIL_SECURITY"]).lower()
    if security not in mailer.SECURITY_MODES:
        raise ValueError("MAIL_SECURITY must be starttls, ssl or none")
    timeout_s = _at_least(config, "MAIL_TIMEOUT_S", 0.1)
    retry_delay_s = _at_least(config, "MAIL_RETRY_DELAY_S", 0)
    return MailSettings(
        smtp=SmtpSettings(
            host=str(config["MAIL_SERVER"]),
            port=int(config["MAIL_PORT"]),
            sender=str(config["MAIL_FROM"]),
            sender_name=str(config["OPEN311_AGENCY"]),
            username=str(config["MAIL_USERNAME"]),
            password=str(config["MAIL_PASSWORD"]),
            security=security,
            timeout_s=timeout_s,
        ),
        policy=DeliveryPolicy(
            max_attempts=int(_at_least(config, "MAIL_MAX_ATTEMPTS", 1)),
            retry_delay_s=retry_delay_s,
            retry_max_delay_s=_at_least(config, "MAIL_RETRY_MAX_DELAY_S", retry_delay_s),
            lease_s=LEASE_TIMEOUTS * timeout_s,
        ),
        poll_interval_s=_at_least(config, "MAIL_POLL_INTERVAL_S", 0.1),
        late_after_s=_at_least(config, "MAIL_LATE_AFTER_S", 0),
    )


def worker_name() -> str:
    """Who holds a lease, as an operator reading the table would want to know: host and process,
    and a random part so two runs in one process are still two holders."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    # Refused for now (4xx) in this run: tried again after their backoff.
    retrying: int
    # Given up in this run: refused for good (5xx) or out of attempts.
    dead: int
    # Still to be sent once the run ended, and dead ones waiting for an administrator.
    waiting: int
    dead_total: int
    # Why the run stopped early: the server could not be reached or stopped answering.
    server_problem: str | None = None

    @property
    def failed(self) -> bool:
        return bool(self.server_problem or self.retrying or self.dead)


@dataclass
class _Tally:
    sent: int = 0
    retrying: int = 0
    dead: int = 0


def _deliver_one(
    session: Session,
    client: smtplib.SMTP,
    settings: MailSettings,
    worker: str,
    message_id: int,
    clock: Callable[[], datetime],
    tally: _Tally,
) -> None:
    message = outbox.claim(session, message_id, worker, clock(), settings.policy)
    if message is None:
        return  # another worker has it, or it was settled since the run looked
    try:
        refusal = mailer.send(client, settings.smtp, message)
    except MailServerUnavailable as unavailable:
        outbox.mark_interrupted(session, message, worker, str(unavailable))
        raise
    if refusal is None:
        outbox.mark_sent(session, message, clock())
        tally.sent += 1
    elif outbox.mark_refused(session, message, worker, refusal, clock(), settings.policy):
        log.warning("message %d is dead: %s", message.id, refusal.reason)
        tally.dead += 1
    else:
        log.info("message %d will be tried again: %s", message.id, refusal.reason)
        tally.retrying += 1


def deliver_due(
    session: Session,
    settings: MailSettings,
    worker: str | None = None,
    clock: Callable[[], datetime] = utc_now,
    should_stop: Callable[[], bool] = lambda: False,
) -> DeliveryReport:
    """Send every message due now, oldest first, over one connection, and report.

    The server is connected to only when something is due, before any message is leased, so
    an unreachable server touches no message. A connection lost mid-message leaves that one
    leased and uncounted (``outbox.mark_interrupted``). ``should_stop`` is asked between
    messages, so a worker told to stop finishes the message in hand and no more.
    """
    worker = worker or worker_name()
    tally = _Tally()
    problem = None if settings.smtp.configured else "MAIL_SERVER is not set"
    client = None
    last_id = 0
    try:
        while problem is None and not should_stop():
            batch = outbox.due_ids(session, clock(), last_id, BATCH_SIZE)
            if not batch:
                break
            client = client or mailer.connect(settings.smtp)
            for message_id in batch:
                if should_stop():
                    break
                last_id = message_id
                _deliver_one(session, client, settings, worker, message_id, clock, tally)
    except MailServerUnavailable as unavailable:
        problem = str(unavailable)
    finally:
        if client is not None:
            mailer.close(client)
    left = outbox.counts(session)
    return DeliveryReport(
        tally.sent, tally.retrying, tally.dead, left.waiting, left.dead, server_problem=problem
    )


def deliver_until_stopped(
    make_session: Callable[[], Session],
    settings: MailSettings,
    stop: threading.Event,
    interval_s: float | None = None,
) -> None:
    """The worker: a run, a rest of ``interval_s`` (default MAIL_POLL_INTERVAL_S), again, until
    ``stop`` is set. A server or database that fails is logged when it starts and stops failing,
    not at every look, and never ends the worker."""
    interval_s = settings.poll_interval_s if interval_s is None else interval_s
    worker = worker_name()
    log.info("mail worker %s started; looking at the outbox every %g s", worker, interval_s)
    trouble: Trouble | None = None
    while not stop.is_set():
        trouble = one_round(make_session, settings, worker, stop, trouble)
        stop.wait(interval_s)
    log.info("mail worker %s stopped", worker)


class Trouble(NamedTuple):
    """What kept the worker from delivering: the mail server or the database, and in what words.

    An outage is told once, when it starts: its words change as it goes on (the server drops a
    message it was taking, then refuses to connect), its kind does not.
    """

    kind: str  # "server" or "database"
    text: str


def one_round(
    make_session: Callable[[], Session],
    settings: MailSettings,
    worker: str,
    stop: threading.Event,
    trouble: Trouble | None,
) -> Trouble | None:
    """One run of the worker, logged; returns the trouble it met, if any."""
    session = make_session()
    try:
        report = deliver_due(session, settings, worker, should_stop=stop.is_set)
    except SQLAlchemyError as error:
        met = Trouble("database", f"the database failed: {error.__class__.__name__}")
        if trouble is None or trouble.kind != met.kind:
            log.exception("mail worker: %s; trying again every look", met.text)
        return met
    finally:
        session.close()
    met = Trouble("server", report.server_problem) if report.server_problem else None
    if met and (trouble is None or trouble.kind != met.kind):
        log.warning("%s; %d message(s) wait for it", met.text, report.waiting)
    elif trouble and not met:
        log.info("delivering again after: %s", trouble.text)
    if report.sent or report.retrying or report.dead:
        log.info(
            "sent %d, to retry %d, dead %d; %d waiting, %d dead in the outbox",
            report.sent,
            report.retrying,
            report.dead,
            report.waiting,
            report.dead_total,
        )
    return met
