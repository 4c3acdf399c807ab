"""Open311 GeoReport v2 in our terms: the service we offer, how its fields map onto a stop
request, which requests a query selects, and the API keys of the civic apps that file them.

The shapes follow http://wiki.open311.org/GeoReport_v2; rendering them as JSON or XML is the web
layer's job (``web/open311_format.py``). Codes (service code, status, error codes) are the same
in every language; names, descriptions and error descriptions are in the language the client
asks for (Accept-Language).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from transitreq.db import unit_of_work
from transitreq.errors import DomainError, ValidationFailed
from transitreq.geo.coordinates import point_from_lat_lon
from transitreq.i18n import _, lazy_gettext
from transitreq.models import (
    ApiClient,
    Milestone,
    RequestStatus,
    ServedGroup,
    StopProject,
    StopRequest,
    format_reference,
    parse_reference,
    utc_now,
)
from transitreq.services.requests.filing import submit_request
from transitreq.services.requests.rules import OPEN
from transitreq.services.requests.tracking import public_timeline
from transitreq.services.requests.validation import RequestDraft, RequestLimits

SPECIFICATION_URL = "http://wiki.open311.org/GeoReport_v2"
# When our Open311 interface last changed; clients compare it to know when to re-read.
CHANGESET = "2026-11-25T00:00:00+00:00"
SERVICE_CODE = "BUS_STOP_REQUEST"
SERVICE_NAME = lazy_gettext("Bus stop request")
# "Default query limit is a span of 90 days or first 1000 requests returned" (GeoReport v2).
DEFAULT_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000


# Our field names, as the Open311 parameter a client sent them in.
OPEN311_PARAMETERS = {
    "title": "attribute[title]",
    "description": "description",
    "landmark": "attribute[landmark]",
    "served_groups": "attribute[served]",
    "reporter_name": "first_name",
    "location": "lat",
    "lat": "lat",
    "lon": "long",
    "reference": "service_request_id",
}

# POST requests parameters copied as they are into a Submission (attributes are read apart).
SUBMISSION_PARAMETERS = (
    "service_code",
    "lat",
    "long",
    "address_string",
    "description",
    "email",
    "phone",
    "first_name",
    "last_name",
)

# The media link has no place on the mapped StopRequest yet: read and written as a plain column.


class UnknownService(DomainError):
    code = "not_found"
    status = 404


class ApiKeyRefused(DomainError):
    code = "forbidden"
    status = 403


def open311_errors(error: DomainError) -> tuple[int, list[tuple[int, str]]]:
    """The HTTP status and the standard's ``{code, description}`` list for one of our errors.

    Field problems (our 422) are the standard's 400, one entry per parameter, named as the
    client sent it.
    """
    status = 400 if error.status in (400, 422) else error.status
    if not error.fields:
        return status, [(status, error.message)]
    return status, [
        (
            status,
            _(
                "%(parameter)s: %(problem)s",
                parameter=OPEN311_PARAMETERS.get(name, name),
                problem=message,
            ),
        )
        for name, message in error.fields.items()
    ]


# --- services -----------------------------------------------------------------------------


def service_list() -> list[dict[str, Any]]:
    return [
        {
            "service_code": SERVICE_CODE,
            "service_name": str(SERVICE_NAME),
            "description": _(
                "Ask for a new bus stop at a place no stop reaches yet; planners weigh every "
                "request and publish their decision."
            ),
            "metadata": True,
            "type": "realtime",
            "keywords": _("bus, stop, public transport, transit"),
            "group": _("Public transport"),
        }
    ]


def _attribute(code: str, order: int, description: str, datatype: str = "string") -> dict:
    return {
        "variable": True,
        "code": code,
        "datatype": datatype,
        "required": False,
        "datatype_description": "",
        "order": order,
        "description": description,
    }


def service_definition(service_code: str, limits: RequestLimits) -> dict[str, Any]:
    """The attributes a client may send with a request, in the standard's definition shape."""
    if service_code != SERVICE_CODE:
        raise UnknownService(_("Service code '%(code)s' not found.", code=service_code))
    served = _attribute("served", 1, _("Who would the stop serve?"), "multivaluelist")
    served["values"] = [{"key": group.value, "name": str(group.label)} for group in ServedGroup]
    landmark = _attribute("landmark", 2, _("The nearest landmark."))
    title = _attribute("title", 3, _("A short title for the request."))
    title["datatype_description"] = _(
        "At most %(max_chars)d characters; by default the start of the description.",
        max_chars=limits.title_max_chars,
    )
    return {"service_code": SERVICE_CODE, "attributes": [served, landmark, title]}


# --- filing a request ---------------------------------------------------------------------


@dataclass
class Submission:
    """A POST requests call's parameters, exactly as the client sent them."""

    service_code: str = ""
    lat: str = ""
    long: str = ""
    address_string: str = ""
    description: str = ""
    served: list[str] = field(default_factory=list)
    landmark: str = ""
    title: str = ""
    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    media_urls: list[str] = field(default_factory=list)
    # The language the client asked for (Accept-Language): the resident's e-mails use it.
    locale: str | None = None


def _parameter_problems(submission: Submission) -> tuple[dict[str, str], Any]:
    """Problems found before our own validation, and the point if one could be read."""
    problems: dict[str, str] = {}
    if not submission.service_code.strip():
        problems["service_code"] = _("Required; this server offers %(code)s.", code=SERVICE_CODE)
    elif submission.service_code.strip() != SERVICE_CODE:
        problems["service_code"] = _(
            "Service code '%(code)s' not found.", code=submission.service_code
        )
    point = None
    if not submission.lat.strip() and not submission.long.strip():
        problems["lat"] = (
            _(
                "Required: this server cannot geocode address_string, so send lat and long in "
                "decimal degrees."
            )
            if submission.address_string.strip()
            else _("Required, with long, in decimal degrees.")
        )
    else:
        try:
            point = point_from_lat_lon(submission.lat, submission.long)
        except DomainError as failure:
            problems.update(failure.fields)
    return problems, point


def submit(session: Session, submission: Submission, limits: RequestLimits) -> StopRequest:
    """File a request sent through Open311, with every rule a resident's form is held to."""
    problems, point = _parameter_problems(submission)
    title = submission.title.strip()
    derived_title = not title
    if derived_title:
        title = " ".join(submission.description.split())[: limits.title_max_chars]
    email = submission.email.strip()
    draft = RequestDraft(
        title=title,
        description=submission.description,
        served_groups=submission.served,
        landmark=submission.landmark,
        point=point,
        reporter_name=f"{submission.first_name.strip()} {submission.last_name.strip()}".strip(),
        reporter_contact=email or submission.phone.strip(),
        media_urls=submission.media_urls,
        locale=submission.locale,
    )
    try:
        stop_request = submit_request(session, draft, limits, problems)
    except ValidationFailed as failure:
        fields = dict(failure.fields)
        if derived_title and "description" in fields:
            fields.pop("title", None)
        if "reporter_contact" in fields:
            fields["email" if email else "phone"] = fields.pop("reporter_contact")
        raise ValidationFailed(fields) from None
    return stop_request


# --- reading requests ---------------------------------------------------------------------


def open311_status(status: RequestStatus) -> str:
    # Open311's two statuses; our finer status goes into status_notes.
    return "open" if status in OPEN else "closed"


def status_notes(stop_request: StopRequest) -> str:
    """Our finer status and the latest public note, e.g. "Under review: A planner is looking…";
    once approved, the latest note may be its stop project's ("Construction started on …")."""
    notes = [entry.text for entry in public_timeline(stop_request) if entry.text.strip()]
    label = str(stop_request.status.label)
    return _("%(status)s: %(note)s", status=label, note=notes[-1]) if notes else label


def latest_public_change(stop_request: StopRequest) -> datetime:
    """When the request last changed in public: its own public steps and its stop project's.
    Pollers compare this to know what to read again; supports and staff notes do not count."""
    return max(
        (entry.event.created_at for entry in public_timeline(stop_request)),
        default=stop_request.created_at,
    )


def w3c_datetime(moment: datetime) -> str:
    """ISO 8601 with the offset, to the second, as the standard's examples write it."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def request_fields(stop_request: StopRequest, agency: str, notice: str) -> dict[str, Any]:
    """One request in the standard's shape; names and contacts never appear in it."""
    point = to_shape(stop_request.location)
    return {
        "service_request_id": stop_request.reference,
        "status": open311_status(stop_request.status),
        "status_notes": status_notes(stop_request),
        "service_name": str(SERVICE_NAME),
        "service_code": SERVICE_CODE,
        "description": stop_request.description,
        "agency_responsible": agency,
        "service_notice": notice,
        "requested_datetime": w3c_datetime(stop_request.created_at),
        "updated_datetime": w3c_datetime(latest_public_change(stop_request)),
        "expected_datetime": None,
        "address": stop_request.landmark or None,
        "address_id": None,
        "zipcode": None,
        "lat": round(point.y, 7),
        "long": round(point.x, 7),
        # The standard has room for one link; the first stands for all (the JSON API has all).
        "media_url": stop_request.media_urls[0] if stop_request.media_urls else None,
    }


@dataclass(frozen=True)
class RequestQuery:
    """What GET requests selects: given ids override every other filter, as the standard says."""

    references: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()


def parse_datetime(raw: str, name: str) -> datetime:
    """A W3C / ISO 8601 date or datetime; one without an offset is taken as UTC."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed(
            {name: _("Give an ISO 8601 date-time such as 2026-11-05T08:15:30Z.")}
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _comma_list(raw: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (raw or "").split(",") if part.strip())


def parse_query(parameters: Mapping[str, str], now: datetime) -> RequestQuery:
    """The query from GET requests' parameters; the 90-day window applies when no dates are given.

    With only ``end_date``, the window is the 90 days before it; with only ``start_date``,
    everything since.
    """
    references = _comma_list(parameters.get("service_request_id"))
    if references:
        return RequestQuery(references=references[:MAX_RESULTS])
    start = end = None
    if parameters.get("start_date"):
        start = parse_datetime(parameters["start_date"], "start_date")
    if parameters.get("end_date"):
        end = parse_datetime(parameters["end_date"], "end_date")
    if start is None:
        start = (end or now) - DEFAULT_WINDOW
    if end is not None and end < start:
        raise ValidationFailed({"end_date": _("Must not be before start_date.")})
    statuses = tuple(status.lower() for status in _comma_list(parameters.get("status")))
    if unknown := [status for status in statuses if status not in ("open", "closed")]:
        raise ValidationFailed(
            {"status": _("Give open or closed, not '%(status)s'.", status=unknown[0])}
        )
    return RequestQuery(
        service_codes=_comma_list(parameters.get("service_code")),
        start=start,
        end=end,
        statuses=statuses,
    )


def _statuses(open311_statuses: tuple[str, ...]) -> list[RequestStatus]:
    return [status for status in RequestStatus if open311_status(status) in open311_statuses]


def find_requests(session: Session, query: RequestQuery) -> list[StopRequest]:
    """The requests a query selects, newest first, at most 1000."""
    statement = (
        select(StopRequest)
        .options(
            selectinload(StopRequest.events),
            # status_notes reads each stop project's public events (and, to title a sign-off,
            # its milestones' departments): a few queries in all, not a few per project.
            selectinload(StopRequest.project).options(
                selectinload(StopProject.events),
                selectinload(StopProject.milestones).selectinload(Milestone.department),
            ),
        )
        .order_by(StopRequest.created_at.desc(), StopRequest.id.desc())
        .limit(MAX_RESULTS)
    )
    if query.references:
        parsed = [parse_reference(reference) for reference in query.references]
        wanted = {format_reference(*found): found[1] for found in parsed if found}
        statement = statement.where(StopRequest.id.in_(set(wanted.values())))
        return [found for found in session.scalars(statement) if found.reference in wanted]
    if query.service_codes and SERVICE_CODE not in query.service_codes:
        return []
    if query.start is not None:
        statement = statement.where(StopRequest.created_at >= query.start)
    if query.end is not None:
        statement = statement.where(StopRequest.created_at <= query.end)
    if query.statuses:
        statement = statement.where(StopRequest.status.in_(_statuses(query.statuses)))
    return list(session.scalars(statement))


# --- API keys -----------------------------------------------------------------------------


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def issue_api_key(session: Session, name: str) -> str:
    """A new key for the client ``name``; returned once, only its SHA-256 is stored."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed({"name": _("Give the client a name of 1 to 100 characters.")})
    key = secrets.token_urlsafe(32)
    try:
        with unit_of_work(session):
            session.add(ApiClient(name=name, key_hash=hash_api_key(key)))
    except IntegrityError:
        raise ValidationFailed(
            {"name": _("A client named '%(name)s' already exists.", name=name)}
        ) from None
    return key


def revoke_api_key(session: Session, name: str) -> ApiClient:
    """Stop the client ``name``'s key from filing; its row stays, for the audit trail."""
    client = session.scalar(select(ApiClient).where(ApiClient.name == name.strip()))
    if client is None:
        raise ValidationFailed({"name": _("No client is named '%(name)s'.", name=name.strip())})
    if client.revoked_at is None:
        with unit_of_work(session):
            client.revoked_at = utc_now()
    return client


def client_with_key(session: Session, key: str | None) -> ApiClient | None:
    """The client holding ``key`` while it is not revoked, else None."""
    if not key:
        return None
    return session.scalar(
        select(ApiClient).where(
            ApiClient.key_hash == hash_api_key(key), ApiClient.revoked_at.is_(None)
        )
    )


def check_api_key(session: Session, key: str | None) -> ApiClient:
    """The client holding ``key``; refuse a missing, unknown or revoked key."""
    if not key:
        raise ApiKeyRefused(_("Required to file requests on this server."), "api_key")
    client = client_with_key(session, key)
    if client is None:
        raise ApiKeyRefused(_("Not valid, or revoked."), "api_key")
    return client
