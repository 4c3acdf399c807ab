"""How a change is made to something two people may change at once (a request, a stop
project): loaded at the version the user saw, written in one transaction, and refused with
``StaleDecision`` when anyone changed it since, whether before the load or in the same instant
(the database's own version check then matches no row, or a unique constraint trips).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from transitreq.db import unit_of_work
from transitreq.errors import StaleDecision, ValidationFailed
from transitreq.services.requests.validation import clean_text

# What people may write in a note, a question, an answer or a reason.
NOTE_MAX_CHARS = 2000


class Versioned(Protocol):
    version: int


T = TypeVar("T", bound=Versioned)


def at_version(found: T, expected_version: int, stale_message: str) -> T:
    """``found``, if it is still at the version the user saw; ``stale_message`` may be lazy
    (a module's constant), and is said in the reader's language."""
    if found.version != expected_version:
        raise StaleDecision(str(stale_message), "version")
    return found


@contextmanager
def versioned_change(session: Session, stale_message: str) -> Iterator[None]:
    """One transaction; a lost race with another writer becomes ``StaleDecision``."""
    try:
        with unit_of_work(session):
            yield
    except (StaleDataError, IntegrityError):
        raise StaleDecision(str(stale_message), "version") from None


def note_text(value: object, field: str, label: str, *, required: bool = False) -> str:
    """What a person typed for a change (several lines allowed), or ValidationFailed; ``label``
    names the field in the reader's language."""
    errors: dict[str, str] = {}
    text = clean_text(
        value, field, label, NOTE_MAX_CHARS, errors, required=required, multiline=True
    )
    if errors:
        raise ValidationFailed(errors)
    return text
