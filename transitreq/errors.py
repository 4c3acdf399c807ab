"""Domain errors: what went wrong in the residents' and planners' own words.

Services raise these; the web layer turns each into a form message or a JSON error naming the
field, with ``status`` as the HTTP status. Nothing here knows about Flask.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal a user can act on. ``fields`` maps a field name to what is wrong with it."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, str] = {field: message} if field else {}


class ValidationFailed(DomainError):
    """One or more submitted fields are missing or malformed."""

    code = "validation_failed"
    status = 422

    def __init__(self, fields: dict[str, str]) -> None:
        message = next(iter(fields.values())) if len(fields) == 1 else "Some fields need attention."
        super().__init__(message)
        self.fields = dict(fields)


class InvalidCoordinates(DomainError):
    code = "invalid_coordinates"
    status = 422


class SwappedCoordinates(InvalidCoordinates):
    """The numbers are a valid place only with latitude and longitude exchanged."""

    code = "swapped_coordinates"


class OutsideServiceArea(DomainError):
    code = "outside_service_area"
    status = 422


class NoServiceArea(DomainError):
    """The deployment has not loaded any service area yet, so no pin can be accepted."""

    code = "no_service_area"
    status = 503


class UnknownReference(DomainError):
    code = "not_found"
    status = 404


class AlreadySupported(DomainError):
    code = "already_supported"
    status = 409


class NotSupportable(DomainError):
    """The request is closed (merged, rejected, completed) and takes no more supporters."""

    code = "not_supportable"
    status = 409


class TransitionRefused(DomainError):
    """A status change the transition table does not allow."""

    code = "transition_refused"
    status = 409


class StaleDecision(DomainError):
    """The request changed after the planner opened it; their decision was not saved."""

    code = "stale_decision"
    status = 409


class ContactMismatch(DomainError):
    """An answer sent with a contact other than the reporter's; says nothing about theirs."""

    code = "contact_mismatch"
    status = 403


class ImportFailed(DomainError):
    """A dataset file that cannot be loaded; nothing of it was written.

    The message is one line naming the file and, where known, the row and the field, so an
    operator can open the file at the right place.
    """

    code = "import_failed"
    status = 422

    def __init__(
        self, source: str, problem: str, row: int | None = None, field: str | None = None
    ) -> None:
        where = source
        if row is not None:
            where += f", row {row}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {problem}", field)
        self.source = source
        self.row = row
        self.problem = problem


class NotPermitted(DomainError):
    """A member of staff acting on something that is not theirs, such as another
    department's sign-off."""

    code = "forbidden"
    status = 403
