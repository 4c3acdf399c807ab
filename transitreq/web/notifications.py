"""Residents stop progress e-mails from the link in each one.

Opening the link only asks; the button on that page (a POST) unsubscribes. Mail scanners and
link previews fetch every link in a message, and must not unsubscribe anyone by doing so.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from transitreq.services.mail.subscriptions import address_of_link, masked, stop_progress_emails
from transitreq.web.database import db_session

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str) -> ResponseReturnValue:
    """Ask whether to stop the e-mails for the link's address; changes nothing."""
    address = address_of_link(db_session(), token)
    return render_template(
        "public/unsubscribe.html", token=token, address=masked(address), stopped=None
    )


@bp.post("/unsubscribe/<token>")
def confirm_unsubscribe(token: str) -> ResponseReturnValue:
    """Stop every progress e-mail to the link's address, and say how many requests it followed."""
    session = db_session()
    address = address_of_link(session, token)
    stopped = stop_progress_emails(session, address)
    return render_template(
        "public/unsubscribe.html", token=token, address=masked(address), stopped=stopped
    )
