"""Staff sessions: what a session cookie must carry to count, and what ends it.

Flask's session is a signed cookie, and the server keeps no copy of it: on its own, a cookie
copied from a browser would keep working until it expired, logout or not. Two facts in it tie
it to the server instead, and the user loader checks both on every request:

- the account's ``session_version`` at login. Logging out, changing or resetting the password,
  deactivating and reactivating raise it in the database (services/accounts.py), so every
  cookie carrying an older one is refused at once, on every worker and host;
- the time of the last request. After ``SESSION_IDLE_MINUTES`` without one, the session no
  longer counts. It is refreshed at most once a minute; the cookie itself is re-signed on every
  request anyway (staff sessions are permanent), and ``PERMANENT_SESSION_LIFETIME`` is set to
  the same idle time, so the browser drops it and Flask refuses it when the server would.

Logging in starts a new session: nothing from before it survives, the CSRF token included.
"""

from __future__ import annotations

import time

from flask import Flask, g, session
from flask_login import LoginManager, login_user, logout_user

from transitreq.models import User
from transitreq.web.app_settings import settings
from transitreq.web.database import db_session

login_manager = LoginManager()

VERSION_KEY = "staff_session_version"
# Seconds since the epoch of the last request seen in this session.
ACTIVE_AT_KEY = "staff_active_at"
# How stale the recorded activity may get before a request records it again.
ACTIVITY_REFRESH_S = 60
# Flask-WTF keeps the session's CSRF secret under this key, and the token made from it for the
# current request on ``g`` under the same name.
CSRF_KEY = "csrf_token"
# What a login puts in the session: Flask-Login's keys (who, whether freshly, the client's
# fingerprint) and ours.
_LOGIN_KEYS = ("_user_id", "_fresh", "_id", VERSION_KEY, ACTIVE_AT_KEY)


def start(user: User) -> None:
    """Log ``user`` in on a new session: whatever the browser held before (a session fixed by
    someone else, a CSRF token seen before login) is dropped."""
    _renew()
    login_user(user)
    session.permanent = True
    session[VERSION_KEY] = user.session_version
    session[ACTIVE_AT_KEY] = int(time.time())


def end() -> None:
    """Forget this browser's session entirely; the caller has ended the account's sessions."""
    logout_user()
    _renew()


def _renew() -> None:
    session.clear()
    g.pop(CSRF_KEY, None)


def idle_limit_s() -> int:
    return settings().session_idle_minutes * 60


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The member of staff this request's session belongs to, or None if it no longer counts:
    idle too long, ended since (an older session version), or the account is deactivated."""
    now = time.time()
    active_at = session.get(ACTIVE_AT_KEY)
    if not isinstance(active_at, int) or now - active_at > idle_limit_s():
        return _not_counting()
    user = db_session().get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active or session.get(VERSION_KEY) != user.session_version:
        return _not_counting()
    if now - active_at >= ACTIVITY_REFRESH_S:
        session[ACTIVE_AT_KEY] = int(now)
    return user


def _not_counting() -> None:
    """Drop the login from the cookie (it would be refused again on every request), but keep
    its CSRF secret: a page already rendered in this request may carry a token made from it."""
    for key in _LOGIN_KEYS:
        session.pop(key, None)
    return None


def init_app(app: Flask) -> None:
    # The cookie's lifetime is the idle time, set where the settings are built (create_app).
    login_manager.init_app(app)
