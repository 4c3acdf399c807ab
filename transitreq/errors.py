"""Domain errors: what went wrong in the residents' and planners' own words.

Services raise these; the web layer turns each into a form message or a JSON error naming the
field, with ``status`` as the HTTP status. Nothing here knows about requests: a message is
written when the error is raised, in the reader's language (``transitreq.i18n``), and ``code``
stays the same in every language.
"""

from __future__ import annotations

from typing import Any

from transitreq.i18n import _


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
        message = (
            next(iter(fields.values())) if len(fields) == 1 else _("Some fields need attention.")
        )
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


class DatabaseUnavailable(DomainError):
    """The database cannot be reached (restarting, failed over, connection dropped): nothing
    was saved, and trying again in a moment will likely work."""

    code = "database_unavailable"
    status = 503
    retry_after_s = 5

    def __init__(self) -> None:
        super().__init__(
            _(
                "The service cannot reach its database just now; nothing was saved. "
                "Please try again in a moment."
            )
        )


class UnknownReference(DomainError):
    code = "not_found"
    status = 404


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
    operator can open the file at the right place. ``problem`` is what is wrong, as the
    importer named it (``transitreq.importers.problems.Problem``, or words); the message says
    it in the language of the moment.
    """

    code = "import_failed"
    status = 422

    def __init__(
        self,
        source: str,
        problem: Any,
        row: int | None = None,
        field: str | None = None,
        notice: str | None = None,
    ) -> None:
        message = _(
            "%(place)s: %(problem)s",
            place=place_in_file(source, row, field),
            problem=str(problem),
        )
        super().__init__(message, field)
        self.source = source
        self.row = row
        self.field = field
        self.problem = problem
        # The import report's code for the problem (``duplicate_key``, ``stop_without_location``…)
        # when an importer classified it, so callers can tell refusals apart without parsing text.
        self.notice = notice


def place_in_file(file: str | None, row: int | None = None, field: str | None = None) -> str:
    """Where in a file, as the reader writes it: "stops.txt, row 3, field 'stop_lat'"."""
    place = file or ""
    if row is not None:
        place = (
            _("%(place)s, row %(row)d", place=place, row=row)
            if place
            else _("row %(row)d", row=row)
        )
    if field is not None:
        place = (
            _("%(place)s, field '%(field)s'", place=place, field=field)
            if place
            else _("field '%(field)s'", field=field)
        )
    return place


class NotPermitted(DomainError):
    """A member of staff acting on something that is not theirs, such as another
    department's sign-off."""

    code = "forbidden"
    status = 403


class CoverageNotStored(DomainError):
    """The coverage gap of a box this large is read from the stored coverage, and the store
    is missing or out of date (or lacks this radius for a polygon layer)."""

    code = "coverage_not_stored"
    status = 503

    def __init__(self, dataset: str, radius_m: int) -> None:
        super().__init__(
            _(
                "The coverage of “%(dataset)s” at %(radius_m)d m is not stored or is out of "
                "date: zoom in to a box of at most 5 × 5 km, or ask an administrator to run "
                "flask refresh-coverage.",
                dataset=dataset,
                radius_m=radius_m,
            ),
            "bbox",
        )
