"""A resident stops progress e-mails with the signed link at the foot of each one.

The link names an address, not a request: one click stops every request and support that
address follows, which is what someone tired of our mail expects.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from transitreq.db import unit_of_work
from transitreq.errors import UnknownReference
from transitreq.i18n import lazy_gettext
from transitreq.services.context import settings_of
from transitreq.services.mail.notifications import address_from_token, unsubscribe

BAD_LINK_MESSAGE = lazy_gettext(
    "This unsubscribe link is not valid: it may have been cut short or changed when it was "
    "copied. Open the link from your most recent progress e-mail."
)


def address_of_link(session: Session, token: str) -> str:
    """The address an unsubscribe link was made for; a tampered link is UnknownReference."""
    address = address_from_token(settings_of(session).secret_key, token)
    if address is None:
        raise UnknownReference(str(BAD_LINK_MESSAGE), "token")
    return address


def stop_progress_emails(session: Session, address: str) -> int:
    """Turn progress e-mails off everywhere for ``address`` (from ``address_of_link``);
    returns how many requests, filed or supported, it was following."""
    with unit_of_work(session):
        return unsubscribe(session, address)


def masked(address: str) -> str:
    """ "a…@example.org": enough for the owner to recognise, little for anyone else."""
    local, _at, domain = address.partition("@")
    return f"{local[:1]}…@{domain}" if domain else "…"
