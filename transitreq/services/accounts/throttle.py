"""The budget of login attempts that keeps staff passwords from being guessed.

Every attempt at an account claims a slot before any password is checked:

- from its client address: at most ``failures_per_client`` in a window, so one address guessing
  at an account is soon refused while the owner, at another address, is not;
- then, only if that was granted, from all addresses together: at most ``failures_per_account``
  in a window, the ceiling for a guesser with many addresses; past it everyone waits, the owner
  too, until the window ends.

A slot is a number taken with one ``INSERT … ON CONFLICT DO UPDATE … RETURNING``, so attempts
made at the same moment each get their own number and cannot all see "under the limit" (the
read-then-write it replaces let 24 concurrent guesses check 6 passwords instead of 3). The claim
commits before the password is checked, so what was counted stays counted however the check
ends. A successful login gives its slot back and clears its address's count: only failures use
the budget up. Windows are fixed: one starts with the first attempt counted, and the count
starts again once it has passed; rows of windows that have passed are deleted as attempts come.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, literal, select, update
from sqlalchemy.orm import Session

from transitreq.db import upsert
from transitreq.models import LoginAttempt

# The ``client`` of the row that counts every address together; a real address is never empty.
ALL_CLIENTS = ""
_ATTEMPTS = LoginAttempt.__table__


@dataclass(frozen=True)
class LoginThrottle:
    """How many login attempts may check a password in each window."""

    failures_per_client: int
    failures_per_account: int
    window: timedelta

    def __post_init__(self) -> None:
        if self.failures_per_client < 1 or self.failures_per_account < 1:
            raise ValueError("LOGIN_FAILURES_PER_CLIENT and _PER_ACCOUNT must be 1 or more")
        if self.window <= timedelta(0):
            raise ValueError("LOGIN_WINDOW_MINUTES must be more than 0")


def login_throttle(config: Mapping[str, Any]) -> LoginThrottle:
    """The deployment's budget, from config, checked once at start."""
    return LoginThrottle(
        failures_per_client=int(config["LOGIN_FAILURES_PER_CLIENT"]),
        failures_per_account=int(config["LOGIN_FAILURES_PER_ACCOUNT"]),
        window=timedelta(minutes=float(config["LOGIN_WINDOW_MINUTES"])),
    )


def account_key(address: str) -> str:
    """What an account is counted under: a digest of the normalised e-mail address typed, the
    same whether or not an account has it, and never longer than the column."""
    return hashlib.sha256(address.encode()).hexdigest()


def client_key(client: str) -> str:
    return client.strip()[:64] or "unknown"


def claim(
    session: Session, account: str, client: str, throttle: LoginThrottle, now: datetime
) -> bool:
    """Take one attempt slot at ``account`` from ``client``: may a password be checked?

    Runs in the caller's transaction, which must commit before the password is checked. Both
    rows are written on every attempt, granted or not, so a refusal costs what a check does.
    """
    client = client_key(client)
    by_client = _count(session, account, client, 1, now, throttle.window)
    granted = by_client <= throttle.failures_per_client
    by_account = _count(session, account, ALL_CLIENTS, int(granted), now, throttle.window)
    _forget_passed_windows(session, now - throttle.window)
    return granted and by_account <= throttle.failures_per_account


def forgive(session: Session, account: str, client: str) -> None:
    """After a successful login: its address starts afresh and its slot goes back to the
    account. Runs in the caller's transaction."""
    at_account = _ATTEMPTS.c.account == account
    session.execute(delete(_ATTEMPTS).where(at_account, _ATTEMPTS.c.client == client_key(client)))
    session.execute(
        update(_ATTEMPTS)
        .where(at_account, _ATTEMPTS.c.client == ALL_CLIENTS)
        .values(attempts=case((_ATTEMPTS.c.attempts > 0, _ATTEMPTS.c.attempts - 1), else_=0))
    )


def lift(session: Session, account: str) -> None:
    """Every count at ``account`` starts afresh (an administrator set a new password).
    Runs in the caller's transaction.

    Address rows go first and the all-addresses row last, the order every attempt locks them
    in, so this cannot deadlock with an attempt under way."""
    at_account = _ATTEMPTS.c.account == account
    session.execute(delete(_ATTEMPTS).where(at_account, _ATTEMPTS.c.client != ALL_CLIENTS))
    session.execute(delete(_ATTEMPTS).where(at_account, _ATTEMPTS.c.client == ALL_CLIENTS))


def _count(
    session: Session, account: str, client: str, added: int, now: datetime, window: timedelta
) -> int:
    """Add ``added`` to the row's count, or start a new window with it, in one statement; the
    count after this attempt."""
    passed = _ATTEMPTS.c.window_started_at <= now - window
    started_now = literal(now, _ATTEMPTS.c.window_started_at.type)
    statement = (
        upsert(session, _ATTEMPTS)
        .values(account=account, client=client, attempts=added, window_started_at=now)
        .on_conflict_do_update(
            index_elements=[_ATTEMPTS.c.account, _ATTEMPTS.c.client],
            set_={
                "attempts": case((passed, added), else_=_ATTEMPTS.c.attempts + added),
                "window_started_at": case(
                    (passed, started_now), else_=_ATTEMPTS.c.window_started_at
                ),
            },
        )
        .returning(_ATTEMPTS.c.attempts)
    )
    return session.execute(statement).scalar_one()


def _forget_passed_windows(session: Session, cutoff: datetime) -> None:
    """Delete rows whose window has passed, skipping any another attempt holds: the clean-up
    then never waits on a lock, so it can never join a deadlock (PostgreSQL; SQLite writes one
    transaction at a time anyway and ignores FOR UPDATE)."""
    passed = (
        select(_ATTEMPTS.c.id)
        .where(_ATTEMPTS.c.window_started_at <= cutoff)
        .with_for_update(skip_locked=True)
    )
    session.execute(delete(_ATTEMPTS).where(_ATTEMPTS.c.id.in_(passed)))
