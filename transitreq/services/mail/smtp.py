"""Talking SMTP: connecting to the mail server and reading its answer to one message.

What the answer means for the message (sent, tried again later, dead) is decided in
``services/outbox.py``; this module only tells apart the three things a server can say:
accepted, refused (for now with 4xx, for good with 5xx), or nothing useful at all because it
cannot be reached or stopped answering, which is no message's fault.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from transitreq.models import OutboundEmail

SECURITY_MODES = ("starttls", "ssl", "none")
# 421: the server is closing the connection (shutting down, too many messages on this
# connection); it says nothing about the message, which it never took.
_CLOSING = 421


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to reach the mail server; built from config by ``delivery.mail_settings``."""

    host: str
    port: int
    sender: str
    sender_name: str
    username: str
    password: str
    # "starttls", "ssl" or "none": how the connection is protected.
    security: str
    # Bounds each exchange with the server (connecting, every command and its reply).
    timeout_s: float

    @property
    def configured(self) -> bool:
        return bool(self.host)


class MailServerUnavailable(Exception):
    """The server cannot be reached (refused, timed out, TLS or login failed) or dropped the
    connection mid-message. No message is to blame, so none is charged an attempt."""


@dataclass(frozen=True)
class Refusal:
    """The server's answer refusing one message: ``permanent`` for 5xx, else worth retrying."""

    permanent: bool
    reason: str


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An open, protected and logged-in connection, or MailServerUnavailable."""
    where = f"{settings.host}:{settings.port}"
    # smtplib's errors, ssl's, refusals and socket timeouts are all OSErrors.
    try:
        if settings.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                timeout=settings.timeout_s,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
    except OSError as problem:
        raise MailServerUnavailable(f"cannot use the mail server {where}: {problem}") from problem
    try:
        if settings.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if settings.username:
            client.login(settings.username, settings.password)
    except OSError as problem:
        client.close()
        raise MailServerUnavailable(f"cannot use the mail server {where}: {problem}") from problem
    return client


def close(client: smtplib.SMTP) -> None:
    """Say goodbye if the server still listens; a connection already gone is just closed."""
    try:
        client.quit()
    except OSError:
        client.close()


def _message(settings: SmtpSettings, outbound: OutboundEmail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((settings.sender_name, settings.sender))
    message["To"] = outbound.recipient
    message["Subject"] = outbound.subject
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(outbound.body)
    return message


def _refusal(code: int, text: bytes | str, what: str) -> Refusal:
    reason = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    if code == _CLOSING:
        raise MailServerUnavailable(f"the mail server closed the connection: {code} {reason}")
    return Refusal(permanent=500 <= code < 600, reason=f"{what}: {code} {reason}")


def send(client: smtplib.SMTP, settings: SmtpSettings, outbound: OutboundEmail) -> Refusal | None:
    """Hand one message to the server: None once it accepted it, or its refusal.

    Raises MailServerUnavailable when the connection fails mid-message: the server may or may
    not have taken it, so the caller must neither mark it sent nor blame it.
    """
    try:
        # The envelope names the one stored recipient, whatever the To header parses as.
        client.send_message(_message(settings, outbound), to_addrs=[outbound.recipient])
    except smtplib.SMTPRecipientsRefused as refused:
        ((code, text),) = refused.recipients.values()
        return _refusal(code, text, "recipient refused")
    except smtplib.SMTPSenderRefused as refused:
        if refused.smtp_code == 552:  # the message's declared size is over the server's limit
            return _refusal(refused.smtp_code, refused.smtp_error, "message refused")
        # Our own MAIL_FROM refused: every message would be, so it is the server's problem.
        raise MailServerUnavailable(
            f"the mail server refuses the sender {settings.sender}: "
            f"{refused.smtp_code} {refused.smtp_error.decode(errors='replace')}"
        ) from refused
    except smtplib.SMTPResponseException as answer:
        return _refusal(answer.smtp_code, answer.smtp_error, "message refused")
    except (smtplib.SMTPNotSupportedError, ValueError) as problem:
        # Say, an address needing SMTPUTF8 on a server without it: no retry will change that.
        return Refusal(permanent=True, reason=f"message cannot be sent: {problem}")
    except OSError as problem:  # timed out, disconnected, reset: we never heard "250"
        raise MailServerUnavailable(
            f"the mail server stopped answering while taking the message: {problem}"
        ) from problem
    return None
