"""Staff accounts: creating them, and letting people in (slowly, after repeated failures)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from transitreq.db import unit_of_work
from transitreq.errors import DomainError, ValidationFailed
from transitreq.models import Department, Role, User, utc_now
from transitreq.services.request_validation import clean_text

MIN_PASSWORD_CHARS = 10
# Failures allowed before each further attempt must wait, and how the wait grows.
FREE_ATTEMPTS = 3
FIRST_WAIT = timedelta(seconds=2)
LONGEST_WAIT = timedelta(minutes=15)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Checked against when the e-mail is unknown, so a wrong address costs the same time as a wrong
# password and response times do not reveal which addresses have accounts.
_UNKNOWN_USER_HASH = generate_password_hash("no account has this password")


class LoginRefused(DomainError):
    code = "login_refused"
    status = 401


class LoginThrottled(DomainError):
    """Too many failures in a row: the account waits before it may try again."""

    code = "login_throttled"
    status = 429

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


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
    email = clean_text(new.email, "email", "The e-mail address", 254, errors, required=True)
    name = clean_text(new.name, "name", "The name", 100, errors, required=True)
    department_name = clean_text(new.department, "department", "The department", 120, errors)
    if email and not _EMAIL.match(email):
        errors["email"] = f"“{email}” is not an e-mail address."
    if new.role not in {role.value for role in Role}:
        errors["role"] = "Choose planner, admin or department."
    elif new.role == Role.DEPARTMENT and not department_name:
        errors["department"] = "Department staff belong to a department."
    if len(new.password or "") < MIN_PASSWORD_CHARS:
        errors["password"] = f"Use at least {MIN_PASSWORD_CHARS} characters."
    if email and session.scalar(select(func.count(User.id)).where(User.email == email.lower())):
        errors["email"] = "An account with this e-mail address exists already."
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
            failed_logins=0,
        )
        session.add(user)
    return user


def _department(session: Session, name: str) -> Department:
    department = session.scalars(select(Department).where(Department.name == name)).first()
    if department is None:
        department = Department(name=name)
        session.add(department)
    return department


def _wait_after(failures: int) -> timedelta:
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    return min(FIRST_WAIT * 2 ** (failures - FREE_ATTEMPTS), LONGEST_WAIT)


def authenticate(session: Session, email: str, password: str, now: datetime | None = None) -> User:
    """The user with these credentials, or LoginRefused / LoginThrottled.

    Every failure is counted on the account; past a few, each attempt must wait twice as long
    as the last, so a password cannot be guessed at speed. One message for every refusal.
    """
    now = now or utc_now()
    user = session.scalars(select(User).where(User.email == (email or "").strip().lower())).first()
    if user is None or not user.active:
        check_password_hash(_UNKNOWN_USER_HASH, password or "")
        raise LoginRefused("That e-mail address and password do not match an account.")
    if user.locked_until is not None and user.locked_until > now:
        wait_s = max(int((user.locked_until - now).total_seconds()) + 1, 1)
        raise LoginThrottled(f"Too many failed attempts; try again in {wait_s} seconds.", wait_s)
    with unit_of_work(session):
        if not check_password_hash(user.password_hash, password or ""):
            user.failed_logins += 1
            wait = _wait_after(user.failed_logins)
            user.locked_until = now + wait if wait else None
            refused = LoginRefused("That e-mail address and password do not match an account.")
        else:
            user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
            refused = None
    if refused is not None:
        raise refused
    return user


def staff(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name, User.id)))


def departments(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.name)))


def add_department(session: Session, name: str) -> Department:
    errors: dict[str, str] = {}
    name = clean_text(name, "name", "The department's name", 120, errors, required=True)
    if not errors and session.scalars(select(Department).where(Department.name == name)).first():
        errors["name"] = f"There is already a department called “{name}”."
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
        raise ValidationFailed({"user": "No such account."})
    if user.id == acting.id and not active:
        raise ValidationFailed({"user": "You cannot deactivate your own account."})
    with unit_of_work(session):
        user.active = active
        user.failed_logins, user.locked_until = 0, None
    return user
