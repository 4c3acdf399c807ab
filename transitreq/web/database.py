"""One SQLAlchemy session per web request, closed when the request ends.

E-mail a request queues is not sent here: ``flask deliver-mail`` sends it, so a slow or absent
mail server never holds up (or times out) the planner's request that caused it."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from transitreq.services.context import BASE_URL_KEY


def db_session() -> Session:
    if "db_session" not in g:
        session = current_app.extensions["transitreq.sessionmaker"]()
        if has_request_context():
            # Links in e-mails point where this resident or planner reached us, unless
            # PUBLIC_URL says otherwise.
            session.info[BASE_URL_KEY] = request.url_root
        g.db_session = session
    return g.db_session


def close_db_session(_exception: BaseException | None = None) -> None:
    """Give the connection back. When the database dropped it, closing fails too: the
    connection is thrown away instead, so the error page already chosen still goes out and
    the next request gets a fresh connection (the pool checks each one before use)."""
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()
    except SQLAlchemyError:
        current_app.logger.warning("discarding a broken database connection")
        session.invalidate()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db_session)
