"""Letting staff in: every refusal the same answer in the same time, and a budget of attempts.

An address with no account, a wrong password, an inactive account and an attempt over the
budget (services/login_throttle.py) are refused with one message, and each costs exactly one
password hash check (against a stand-in hash when there is no account), so neither the answer
nor its timing tells a stranger which addresses have accounts or that one is being throttled.
Over the budget even the right password is refused: the hash is still checked, only to spend
the same time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from transitreq.db import unit_of_work
from transitreq.errors import DomainError
from transitreq.i18n import ngettext
from transitreq.models import User, utc_now
from transitreq.services.accounts import throttle as login_throttle
from transitreq.services.accounts.throttle import LoginThrottle

# Checked against when no active account has the address, with the same (default) scrypt
# parameters as every stored hash, so the check takes as long as a real one.
_NO_ACCOUNT_HASH = generate_password_hash("no account has this password")


class LoginRefused(DomainError):
    """Wrong address, wrong password, inactive account or too many attempts: deliberately
    indistinguishable."""

    code = "login_refused"
    status = 401


def refusal_message(throttle: LoginThrottle) -> str:
    """The one answer to every refused login; it says what a throttled owner needs to know
    without saying that they are throttled."""
    minutes = round(throttle.window.total_seconds() / 60)
    return ngettext(
        "That e-mail address and password do not match an account. After several failed "
        "attempts, logging in waits up to %(num)d minute.",
        "That e-mail address and password do not match an account. After several failed "
        "attempts, logging in waits up to %(num)d minutes.",
        minutes,
    )


def normalised_email(email: str) -> str:
    """Addresses are stored lower-case; how one is typed must not matter."""
    return (email or "").strip().lower()


def authenticate(
    session: Session,
    email: str,
    password: str,
    client: str,
    throttle: LoginThrottle,
    now: datetime | None = None,
) -> User:
    """The active member of staff with these credentials, or LoginRefused.

    ``client`` is the address the attempt comes from (the web layer's ``remote_addr``).
    Two transactions, on purpose: the attempt's slot is committed before the password is
    checked, so concurrent guesses cannot outrun the count; a success then gives it back.
    """
    now = now or utc_now()
    user = check_password(session, email, password, client, throttle, now)
    with unit_of_work(session):
        forgive(session, user, client)
        user.last_login_at = now
    return user


def check_password(
    session: Session,
    email: str,
    password: str,
    client: str,
    throttle: LoginThrottle,
    now: datetime | None = None,
) -> User:
    """Claim an attempt slot, check the password once, and return the account or refuse.

    Commits the claim; on success the caller gives the slot back with ``forgive`` in its own
    transaction, together with whatever the success changes.
    """
    address = normalised_email(email)
    account = login_throttle.account_key(address)
    with unit_of_work(session):
        may_check = login_throttle.claim(session, account, client, throttle, now or utc_now())
        user = session.scalars(select(User).where(User.email == address)).first()
    stored_hash = user.password_hash if user is not None else _NO_ACCOUNT_HASH
    matches = check_password_hash(stored_hash, password or "")
    if not (may_check and matches and user is not None and user.active):
        raise LoginRefused(refusal_message(throttle))
    return user


def forgive(session: Session, user: User, client: str) -> None:
    """A password proven right: this address's failures at ``user`` are forgotten and the
    attempt's slot goes back to the account. Runs in the caller's transaction."""
    login_throttle.forgive(session, login_throttle.account_key(user.email), client)
