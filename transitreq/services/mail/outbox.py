"""The outbox's states and the one way each changes: leased, sent, refused, dead, re-queued.

Every change is one conditional UPDATE committed at once, so any number of workers (threads,
processes, hosts) can share the outbox: a worker takes a message by setting a lease only where
nobody holds a live one, and the database lets exactly one of them win. ``sent_at`` is set only
after the server said it accepted the message, so a worker killed mid-send leaves a lease that
runs out, never a message marked sent that nobody sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from transitreq.models import OutboundEmail
from transitreq.services.mail.smtp import Refusal


@dataclass(frozen=True)
class DeliveryPolicy:
    """How long a worker may hold a message, and how refused messages are retried."""

    # Refusals before a message is dead.
    max_attempts: int
    # Wait after the first temporary refusal, doubled after each further one, up to the max.
    retry_delay_s: float
    retry_max_delay_s: float
    # How long a claimed message stays a worker's own: long enough to send it, short enough
    # that a message whose worker died goes out again soon.
    lease_s: float

    def delay_before_retry(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th refusal: 1×, 2×, 4×… the first delay, capped."""
        exponent = min(max(attempts - 1, 0), 32)  # enough doublings to pass any sensible cap
        return timedelta(seconds=min(self.retry_delay_s * 2**exponent, self.retry_max_delay_s))


def _waiting() -> ColumnElement[bool]:
    return and_(OutboundEmail.sent_at.is_(None), OutboundEmail.dead_at.is_(None))


def _free(now: datetime) -> ColumnElement[bool]:
    """Nobody is sending it: never leased, or the lease has run out."""
    return or_(OutboundEmail.leased_until.is_(None), OutboundEmail.leased_until <= now)


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(OutboundEmail.next_attempt_at.is_(None), OutboundEmail.next_attempt_at <= now)


def due_ids(session: Session, now: datetime, after_id: int, limit: int) -> list[int]:
    """Ids of messages that may be sent now, oldest first, after ``after_id`` (so one run walks
    the queue once, whatever is re-queued meanwhile). Ends the read transaction."""
    ids = list(
        session.scalars(
            select(OutboundEmail.id)
            .where(_waiting(), _free(now), _due(now), OutboundEmail.id > after_id)
            .order_by(OutboundEmail.id)
            .limit(limit)
        )
    )
    session.commit()
    return ids


def claim(
    session: Session, message_id: int, worker: str, now: datetime, policy: DeliveryPolicy
) -> OutboundEmail | None:
    """Lease the message to ``worker``, or None when another worker has it or it is no longer
    due (sent, dead, put off). Committed before anything is sent."""
    won = session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == message_id, _waiting(), _free(now), _due(now))
        .values(leased_by=worker, leased_until=now + timedelta(seconds=policy.lease_s))
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if won != 1:
        return None
    message = session.get(OutboundEmail, message_id, populate_existing=True)
    # No transaction stays open while the server is slow: on SQLite it would hold off every
    # other writer, on PostgreSQL it would sit idle in transaction.
    session.commit()
    return message


def mark_sent(session: Session, message: OutboundEmail, now: datetime) -> None:
    """The server accepted it. True even if our lease ran out meanwhile: it was sent."""
    session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == message.id, OutboundEmail.sent_at.is_(None))
        .values(sent_at=now, last_error=None, leased_by=None, leased_until=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def mark_refused(
    session: Session,
    message: OutboundEmail,
    worker: str,
    refusal: Refusal,
    now: datetime,
    policy: DeliveryPolicy,
) -> bool:
    """Count the refusal: dead at once if permanent or the last attempt, else put off by the
    backoff. Returns whether the message is now dead. Only the lease holder may do this (the
    attempt count is read under the lease, which re-queuing also respects)."""
    attempts = message.attempts + 1
    dead = refusal.permanent or attempts >= policy.max_attempts
    reason = refusal.reason
    if dead and not refusal.permanent:
        reason += f" (gave up after {attempts} attempts)"
    session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == message.id, OutboundEmail.leased_by == worker, _waiting())
        .values(
            attempts=attempts,
            last_error=reason,
            last_attempt_at=now,
            next_attempt_at=None if dead else now + policy.delay_before_retry(attempts),
            dead_at=now if dead else None,
            leased_by=None,
            leased_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return dead


def mark_interrupted(session: Session, message: OutboundEmail, worker: str, problem: str) -> None:
    """The connection failed mid-message: whether the server took it is unknown. The attempt is
    not counted and the lease is kept, so the message goes out again once the lease runs out;
    the problem is noted for the admin page."""
    session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == message.id, OutboundEmail.leased_by == worker, _waiting())
        .values(last_error=problem)
        .execution_options(synchronize_session=False)
    )
    session.commit()


@dataclass(frozen=True)
class OutboxCounts:
    waiting: int
    dead: int


def counts(session: Session) -> OutboxCounts:
    """How many messages still wait to be sent, and how many are dead."""
    waiting, dead = session.execute(
        select(
            func.count().filter(OutboundEmail.dead_at.is_(None)),
            func.count().filter(OutboundEmail.dead_at.is_not(None)),
        ).where(OutboundEmail.sent_at.is_(None))
    ).one()
    session.commit()
    return OutboxCounts(waiting=waiting, dead=dead)


@dataclass(frozen=True)
class Trouble:
    """What an administrator should look at: dead messages and those waiting too long."""

    dead: list[OutboundEmail]
    late: list[OutboundEmail]
    dead_total: int
    late_total: int


def trouble(session: Session, now: datetime, late_after_s: float, limit: int = 200) -> Trouble:
    """Dead messages, latest first, and messages waiting since ``late_after_s`` ago, oldest
    first; at most ``limit`` of each, with how many there are in all."""
    dead_rows = OutboundEmail.sent_at.is_(None), OutboundEmail.dead_at.is_not(None)
    late_rows = _waiting(), OutboundEmail.created_at <= now - timedelta(seconds=late_after_s)
    return Trouble(
        dead=list(
            session.scalars(
                select(OutboundEmail)
                .where(*dead_rows)
                .order_by(OutboundEmail.dead_at.desc(), OutboundEmail.id.desc())
                .limit(limit)
            )
        ),
        late=list(
            session.scalars(
                select(OutboundEmail).where(*late_rows).order_by(OutboundEmail.id).limit(limit)
            )
        ),
        dead_total=session.scalar(select(func.count()).where(*dead_rows)),
        late_total=session.scalar(select(func.count()).where(*late_rows)),
    )


def requeue(session: Session, now: datetime, message_ids: Sequence[int] | None = None) -> int:
    """Give messages a fresh start: no attempts, no error, due at once. ``message_ids`` names
    unsent ones (dead or waiting); None means every dead message. One transaction; a message a
    worker is sending right now is left to it. Returns how many were re-queued."""
    chosen = (
        OutboundEmail.dead_at.is_not(None)
        if message_ids is None
        else OutboundEmail.id.in_(list(message_ids))
    )
    requeued = session.execute(
        update(OutboundEmail)
        .where(chosen, OutboundEmail.sent_at.is_(None), _free(now))
        .values(
            attempts=0,
            last_error=None,
            last_attempt_at=None,
            next_attempt_at=None,
            dead_at=None,
            leased_by=None,
            leased_until=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return requeued
