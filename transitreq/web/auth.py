"""Logging staff in and out, their own password, and the decorators that keep planner pages
for planners.

Residents never log in. Every staff page and staff API call checks the role on the server:
an anonymous visitor is sent to the login page (or gets 401 JSON under /api/), a logged-in
user without the role gets 403. What makes a session count, and what ends it, is
web/sessions.py.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from transitreq.errors import ValidationFailed
from transitreq.i18n import _
from transitreq.models import Role, User
from transitreq.services.accounts import staff as accounts
from transitreq.services.accounts.logins import LoginRefused, authenticate
from transitreq.services.accounts.throttle import LoginThrottle
from transitreq.web import sessions
from transitreq.web.app_settings import settings
from transitreq.web.database import db_session
from transitreq.web.errors import json_error

bp = Blueprint("auth", __name__)


def _refuse_anonymous() -> ResponseReturnValue:
    if request.path.startswith("/api/"):
        return json_error(401, "login_required", _("Log in as a planner to use this."))
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def role_required(*roles: Role) -> Callable:
    """Only logged-in staff with one of ``roles`` may call the view."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if not current_user.is_authenticated:
                return _refuse_anonymous()
            if current_user.role not in roles:
                if request.path.startswith("/api/"):
                    return json_error(403, "forbidden", _("Your role may not use this."))
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


planner_required = role_required(Role.PLANNER, Role.ADMIN)
admin_required = role_required(Role.ADMIN)
staff_required = role_required(*Role)


def guard_blueprint(blueprint: Blueprint, *roles: Role) -> None:
    """Check ``roles`` before every view of ``blueprint``, including views added later."""
    allow = role_required(*roles)(lambda: None)
    blueprint.before_request(allow)


def _landing(user: User) -> str:
    """Where staff start: department staff on their sign-offs, planners on planning."""
    if user.role is Role.DEPARTMENT:
        return url_for("departments.sign_offs")
    return url_for("planning.evaluate")


def _safe_next(target: str | None, user: User) -> str:
    """Only a path on this site: a login link must not send people elsewhere."""
    if target and not urlsplit(target).netloc and target.startswith("/") and "//" not in target:
        return target
    return _landing(user)


def _client() -> str:
    """The address an attempt comes from, for the login budget (ProxyFix has already put the
    forwarded one here when PROXY_COUNT says proxies stand in front)."""
    return request.remote_addr or ""


def _throttle() -> LoginThrottle:
    return settings().logins


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The staff login form. Every refusal is the same page with the same status."""
    if request.method == "GET":
        return render_template("auth/login.html", error=None, email="")
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    try:
        user = authenticate(db_session(), email, password, _client(), _throttle())
    except LoginRefused as refusal:
        return render_template("auth/login.html", error=refusal.message, email=email), 401
    sessions.start(user)
    return redirect(_safe_next(request.args.get("next"), user), 303)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Log out: every session of this member of staff ends, on every browser, not only here."""
    if current_user.is_authenticated:
        accounts.end_sessions(db_session(), current_user.id)
    sessions.end()
    flash(_("You are logged out."), "success")
    return redirect(url_for("public.home"), 303)


@bp.route("/account/password", methods=["GET", "POST"])
@staff_required
def change_password() -> ResponseReturnValue:
    """Any member of staff changes their own password; their other sessions end."""
    if request.method == "GET":
        return _password_page({}, 200)
    form = request.form
    try:
        user = accounts.change_password(
            db_session(),
            # The user itself, not Flask-Login's proxy: sessions.start logs this object in.
            current_user._get_current_object(),
            form.get("current_password", ""),
            form.get("new_password", ""),
            form.get("new_password_again", ""),
            _client(),
            _throttle(),
        )
    except ValidationFailed as refusal:
        return _password_page(refusal.fields, 422)
    # This browser goes on, on a new session that carries the new version.
    sessions.start(user)
    flash(_("Your password is changed; any other session of yours is logged out."), "success")
    return redirect(_landing(user), 303)


def _password_page(errors: dict[str, str], status: int) -> ResponseReturnValue:
    page = render_template(
        "auth/password.html", errors=errors, min_password_chars=accounts.MIN_PASSWORD_CHARS
    )
    return page, status


def init_app(app: Flask) -> None:
    sessions.init_app(app)
    app.register_blueprint(bp)
