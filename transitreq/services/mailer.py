"""Sending the queued e-mails over SMTP, after the transaction that queued them committed."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from transitreq.models import OutboundEmail, utc_now

# A message that failed this many times waits for an operator (see `flask send-notifications`).
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    sender_name: str = ""
    username: str = ""
    password: str = ""
    # "starttls", "ssl" or "none": how the connection is protected.
    security: str = "starttls"
    timeout_s: float = 10.0

    @property
    def configured(self) -> bool:
        return bool(self.host)


def smtp_settings(config: Mapping[str, Any]) -> SmtpSettings:
    security = str(config["MAIL_SECURITY"]).lower()
    if security not in ("starttls", "ssl", "none"):
        raise ValueError("MAIL_SECURITY must be starttls, ssl or none")
    return SmtpSettings(
        host=str(config["MAIL_SERVER"]),
        port=int(config["MAIL_PORT"]),
        sender=str(config["MAIL_FROM"]),
        sender_name=str(config["OPEN311_AGENCY"]),
        username=str(config["MAIL_USERNAME"]),
        password=str(config["MAIL_PASSWORD"]),
        security=security,
        timeout_s=float(config["MAIL_TIMEOUT_S"]),
    )


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    failed: int
    waiting: int


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host,
            settings.port,
            timeout=settings.timeout_s,
            context=ssl.create_default_context(),
        )
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
        if settings.security == "starttls":
            client.starttls(context=ssl.create_default_context())
    if settings.username:
        client.login(settings.username, settings.password)
    return client


def _message(settings: SmtpSettings, outbound: OutboundEmail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((settings.sender_name, settings.sender))
    message["To"] = outbound.recipient
    message["Subject"] = outbound.subject
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(outbound.body)
    return message


def _claim(session: Session, outbound: OutboundEmail) -> bool:
    """Take one message for this run, or learn that another run took it.

    Every web request that queued mail delivers the outbox after its commit, and
    `flask send-notifications` may run meanwhile: of those reading the same message, only one
    wins this UPDATE. It marks the message sent (and counts the attempt) before sending, so a
    crash mid-send loses that message rather than sending it twice; a failed send clears the
    mark again.
    """
    won = (
        session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.id == outbound.id, OutboundEmail.sent_at.is_(None))
            .values(sent_at=utc_now(), attempts=OutboundEmail.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    session.commit()
    if won:
        session.refresh(outbound)
    return won


def deliver_pending(session: Session, settings: SmtpSettings, limit: int = 200) -> DeliveryReport:
    """Send what is queued, oldest first, over one connection; commit after each message so a
    crash half-way never sends one twice.

    A failure is recorded on the message (attempts, last error) and it waits for the next run;
    a server that cannot be reached at all stops the run.
    """
    pending = session.scalars(
        select(OutboundEmail)
        .where(OutboundEmail.sent_at.is_(None), OutboundEmail.attempts < MAX_ATTEMPTS)
        .order_by(OutboundEmail.id)
        .limit(limit)
    ).all()
    if not pending or not settings.configured:
        return DeliveryReport(0, 0, len(pending))
    sent = failed = 0
    try:
        client = _connect(settings)
    except (OSError, smtplib.SMTPException) as problem:
        for outbound in pending:
            outbound.attempts += 1
            outbound.last_error = f"cannot connect to {settings.host}:{settings.port}: {problem}"
        session.commit()
        return DeliveryReport(0, len(pending), len(pending))
    taken = 0
    with client:
        for outbound in pending:
            if not _claim(session, outbound):
                taken += 1
                continue
            try:
                # The envelope names the one stored recipient, whatever the To header parses as.
                client.send_message(_message(settings, outbound), to_addrs=[outbound.recipient])
            except smtplib.SMTPRecipientsRefused as refused:
                outbound.sent_at = None
                outbound.attempts = MAX_ATTEMPTS
                outbound.last_error = f"recipient refused: {refused.recipients}"
                failed += 1
            except (OSError, smtplib.SMTPException) as problem:
                outbound.sent_at = None
                outbound.last_error = str(problem)
                failed += 1
            else:
                outbound.last_error = None
                sent += 1
            session.commit()
    waiting = len(pending) - sent - taken
    return DeliveryReport(sent, failed, waiting)
