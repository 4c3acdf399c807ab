"""Logging staff in and out, and the decorators that keep planner pages for planners.

Residents never log in. Every staff page and staff API call checks the role on the server:
an anonymous visitor is sent to the login page (or gets 401 JSON under /api/), a logged-in
user without the role gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user, login_user, logout_user

from transitreq.models import Role, User
from transitreq.services.accounts import LoginRefused, LoginThrottled, authenticate
from transitreq.web.database import db_session
from transitreq.web.errors import json_error

bp = Blueprint("auth", __name__)
login_manager = LoginManager()


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    user = db_session().get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


def _refuse_anonymous() -> ResponseReturnValue:
    if request.path.startswith("/api/"):
        return json_error(401, "login_required", "Log in as a planner to use this.")
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
                    return json_error(403, "forbidden", "Your role may not use this.")
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


planner_required = role_required(Role.PLANNER, Role.ADMIN)
admin_required = role_required(Role.ADMIN)


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


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The staff login form."""
    if request.method == "GET":
        return render_template("auth/login.html", error=None, email="")
    email = request.form.get("email", "")
    try:
        user = authenticate(db_session(), email, request.form.get("password", ""))
    except LoginThrottled as refusal:
        page = render_template("auth/login.html", error=refusal.message, email=email)
        return page, 429, {"Retry-After": str(refusal.retry_after_s)}
    except LoginRefused as refusal:
        return render_template("auth/login.html", error=refusal.message, email=email), 401
    login_user(user)
    return redirect(_safe_next(request.args.get("next"), user), 303)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    logout_user()
    flash("You are logged out.", "success")
    return redirect(url_for("public.home"), 303)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.register_blueprint(bp)
