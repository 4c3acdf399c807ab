"""Staff accounts: creating them, their passwords, and ending their sessions.

Logging in is services/logins.py. A session counts only while it carries the account's current
``session_version``; raising it ends every session of that person at once (web/sessions.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from transitreq.db import unit_of_work
from transitreq.errors import ValidationFailed
from transitreq.i18n import _
from transitreq.models import Department, Role, User
from transitreq.services.accounts import logins
from transitreq.services.accounts import throttle as login_throttle
from transitreq.services.accounts.throttle import LoginThrottle
from transitreq.services.requests.validation import clean_text

MIN_PASSWORD_CHARS = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class NewUser:
    email: str
    name: str
    role: str
    password: str
    department: str = ""


def create_user(session: Session, new: NewUser) -> User:
    """Add a member of staff; department staff must name their department (created if new)."""
    errors: dict[str, str] = {}
    email = clean_text(new.email, "email", _("The e-mail address"), 254, errors, required=True)
    name = clean_text(new.name, "name", _("The name"), 100, errors, required=True)
    department_name = clean_text(new.department, "department", _("The department"), 120, errors)
    if email and not _EMAIL.match(email):
        errors["email"] = _("“%(contact)s” is not an e-mail address.", contact=email)
    if new.role not in {role.value for role in Role}:
        errors["role"] = _("Choose planner, admin or department.")
    elif new.role == Role.DEPARTMENT and not department_name:
        errors["department"] = _("Department staff belong to a department.")
    if problem := _password_problem(new.password):
        errors["password"] = problem
    if email and session.scalar(select(func.count(User.id)).where(User.email == email.lower())):
        errors["email"] = _("An account with this e-mail address exists already.")
    if errors:
        raise ValidationFailed(errors)
    with unit_of_work(session):
        department = _department(session, department_name) if department_name else None
        user = User(
            email=email.lower(),
            name=name,
            role=Role(new.role),
            department=department,
            password_hash=generate_password_hash(new.password),
            active=True,
            session_version=1,
        )
        session.add(user)
    return user


def _department(session: Session, name: str) -> Department:
    department = session.scalars(select(Department).where(Department.name == name)).first()
    if department is None:
        department = Department(name=name)
        session.add(department)
    return department


def staff(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name, User.id)))


def departments(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.name)))


def add_department(session: Session, name: str) -> Department:
    errors: dict[str, str] = {}
    name = clean_text(name, "name", _("The department's name"), 120, errors, required=True)
    if not errors and session.scalars(select(Department).where(Department.name == name)).first():
        errors["name"] = _("There is already a department called “%(name)s”.", name=name)
    if errors:
        raise ValidationFailed(errors)
    with unit_of_work(session):
        department = Department(name=name)
        session.add(department)
    return department


def set_active(session: Session, user_id: int, active: bool, acting: User) -> User:
    """Let a member of staff in or keep them out; an administrator cannot lock themself out."""
    user = session.get(User, user_id)
    if user is None:
        raise ValidationFailed({"user": _("No such account.")})
    if user.id == acting.id and not active:
        raise ValidationFailed({"user": _("You cannot deactivate your own account.")})
    with unit_of_work(session):
        user.active = active
        # Out means out now, and back in means with a new login, not an old cookie.
        _end_sessions(user)
    return user


def end_sessions(session: Session, user_id: int) -> None:
    """Every session of this member of staff ends, on every browser and worker (logging out)."""
    with unit_of_work(session):
        user = session.get(User, user_id)
        if user is not None:
            _end_sessions(user)


def _end_sessions(user: User) -> None:
    # Raised in SQL (session_version = session_version + 1), so two at once both count.
    user.session_version = User.session_version + 1


def _password_problem(password: str) -> str | None:
    if len(password or "") < MIN_PASSWORD_CHARS:
        return _("Use at least %(num)d characters.", num=MIN_PASSWORD_CHARS)
    return None


def change_password(
    session: Session,
    user: User,
    current: str,
    new: str,
    new_again: str,
    client: str,
    throttle: LoginThrottle,
    now: datetime | None = None,
) -> User:
    """A member of staff sets their own password; every other session of theirs ends.

    The current password is checked like a login, against the same budget of attempts, so a
    session left open (or stolen) cannot be used to guess it and take the account over.
    """
    errors: dict[str, str] = {}
    problem = _password_problem(new)
    if problem:
        errors["new_password"] = problem
    elif new != new_again:
        errors["new_password_again"] = _("The two new passwords differ.")
    if errors:
        raise ValidationFailed(errors)
    try:
        logins.check_password(session, user.email, current, client, throttle, now)
    except logins.LoginRefused:
        raise ValidationFailed(
            {
                "current_password": _(
                    "That is not your current password (or it was tried too often)."
                )
            }
        ) from None
    with unit_of_work(session):
        logins.forgive(session, user, client)
        user.password_hash = generate_password_hash(new)
        _end_sessions(user)
    session.refresh(user)
    return user


def reset_password(session: Session, user_id: int, new: str, acting: User) -> User:
    """An administrator sets another's password: their sessions end, and any wait on logging
    in to the account is lifted so they can use it at once. Their own goes through
    ``change_password``, which asks for the current one."""
    user = session.get(User, user_id)
    if user is None:
        raise ValidationFailed({"user": _("No such account.")})
    if user.id == acting.id:
        raise ValidationFailed({"user": _("Change your own password under “Change password”.")})
    problem = _password_problem(new)
    if problem:
        raise ValidationFailed({"password": problem})
    with unit_of_work(session):
        user.password_hash = generate_password_hash(new)
        _end_sessions(user)
        login_throttle.lift(session, login_throttle.account_key(user.email))
    session.refresh(user)
    return user
