"""One SQLAlchemy session per web request, closed when the request ends; e-mail a request
queued goes out once its transaction has committed."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from transitreq.services.mailer import deliver_pending
from transitreq.services.notifications import QUEUED_KEY
from transitreq.services.project_settings import BASE_URL_KEY


def db_session() -> Session:
    if "db_session" not in g:
        session = current_app.extensions["transitreq.sessionmaker"]()
        if has_request_context():
            # Links in e-mails point where this resident or planner reached us, unless
            # PUBLIC_URL says otherwise.
            session.info[BASE_URL_KEY] = request.url_root
        g.db_session = session
    return g.db_session


def deliver_queued_mail(response: ResponseReturnValue) -> ResponseReturnValue:
    """Send what this request queued, if it committed. A mail server that is slow or down
    costs at most MAIL_TIMEOUT_S here; what fails stays queued for `flask send-notifications`."""
    session = g.get("db_session")
    if session is not None and session.info.pop(QUEUED_KEY, False):
        smtp = current_app.extensions["transitreq.smtp_settings"]
        if smtp.configured:
            session.rollback()  # nothing of this request is left uncommitted by then
            try:
                deliver_pending(session, smtp)
            except SQLAlchemyError:
                # The change itself is saved; the messages wait for `flask send-notifications`.
                session.rollback()
                current_app.logger.exception("progress e-mails left queued")
    return response


def close_db_session(_exception: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db_session)
    app.after_request(deliver_queued_mail)
