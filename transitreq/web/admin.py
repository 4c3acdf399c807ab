"""Administrators manage staff accounts and departments."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from transitreq.errors import ValidationFailed
from transitreq.models import Role
from transitreq.services import accounts
from transitreq.web.auth import guard_blueprint
from transitreq.web.database import db_session

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard_blueprint(bp, Role.ADMIN)


def _page(errors: dict[str, str] | None = None, form=None, status: int = 200):
    session = db_session()
    return render_template(
        "admin/staff.html",
        users=accounts.staff(session),
        departments=accounts.departments(session),
        roles=list(Role),
        errors=errors or {},
        form=form or {},
    ), status


@bp.get("/staff")
def staff() -> ResponseReturnValue:
    """Every account and department, with forms to add and deactivate."""
    return _page()


@bp.post("/staff")
def add_user() -> ResponseReturnValue:
    form = request.form
    new = accounts.NewUser(
        form.get("email", ""),
        form.get("name", ""),
        form.get("role", ""),
        form.get("password", ""),
        form.get("department", ""),
    )
    try:
        user = accounts.create_user(db_session(), new)
    except ValidationFailed as refusal:
        return _page(refusal.fields, form, 422)
    flash(f"Account created for {user.name}.", "success")
    return redirect(url_for("admin.staff"), 303)


@bp.post("/staff/<int:user_id>/active")
def set_active(user_id: int) -> ResponseReturnValue:
    try:
        user = accounts.set_active(
            db_session(), user_id, request.form.get("active") == "1", current_user
        )
    except ValidationFailed as refusal:
        return _page(refusal.fields, None, 422)
    flash(f"{user.name} is now {'active' if user.active else 'deactivated'}.", "success")
    return redirect(url_for("admin.staff"), 303)


@bp.post("/departments")
def add_department() -> ResponseReturnValue:
    try:
        department = accounts.add_department(db_session(), request.form.get("name", ""))
    except ValidationFailed as refusal:
        return _page({"department_name": refusal.fields["name"]}, None, 422)
    flash(f"Department “{department.name}” added.", "success")
    return redirect(url_for("admin.staff"), 303)
