"""What the exports for other offices contain: requests, stop projects, and new GTFS stops.

Each function answers with plain records; ``services/export_files.py`` writes them as CSV,
GeoJSON or a GTFS ``stops.txt``. Requests are filtered exactly as the planners' review queue
filters them (``queue_statement``), so an export holds what the queue showed. Only public and
staff-facing fields are selected: the reporter's name and contact and the supporters' contacts
are never read, so no file can leak them. Files are data other offices' tools read: their words
(milestone titles, a GTFS stop's description) are English whatever the page's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from transitreq.errors import ValidationFailed
from transitreq.geo.geojson import as_point
from transitreq.geo.request_filters import districts_of
from transitreq.i18n import DEFAULT_LOCALE, _, in_language
from transitreq.models import (
    Milestone,
    MilestoneState,
    ProjectStage,
    StopProject,
    StopRequest,
    format_reference,
)
from transitreq.services.analysis.queue import QueueQuery, check_query, queue_statement
from transitreq.services.context import settings_of

# Well under SQLite's and PostgreSQL's limits on the parameters of one statement.
_IDS_PER_STATEMENT = 5000

# The stops an operator may add to its feed: every project still planned, and those in
# service. A cancelled project's stop will never exist.
GTFS_STAGES: tuple[ProjectStage, ...] = tuple(
    stage for stage in ProjectStage if stage is not ProjectStage.CANCELLED
)


@dataclass(frozen=True)
class RequestRecord:
    """One request as other offices may read it: no reporter or supporter details."""

    reference: str
    title: str
    status: str
    # The service area containing the pin; empty when it lies outside every area.
    district: str
    supporters: int
    score: float | None
    created_at: datetime
    lat: float
    lon: float
    project_id: int | None
    tracking_url: str


def request_records(
    session: Session, query: QueueQuery, tracking_url: Callable[[str], str]
) -> list[RequestRecord]:
    """Every request matching the queue's filters, in the queue's order (all pages).

    ``tracking_url`` turns a reference into the public address residents follow; the web layer
    knows which host that is.
    """
    check_query(query)
    statement = queue_statement(session, query, StopRequest.project_id)
    rows = session.connection().execute(statement).all()
    districts = districts_of(session, [row[0] for row in rows])
    records = []
    for request_id, title, status, score, created_at, supporters, lon, lat, project_id in rows:
        reference = format_reference(created_at.year, request_id)
        records.append(
            RequestRecord(
                reference=reference,
                title=title,
                status=status.value,
                district=districts.get(request_id, ""),
                supporters=int(supporters),
                score=score,
                created_at=created_at,
                lat=lat,
                lon=lon,
                project_id=project_id,
                tracking_url=tracking_url(reference),
            )
        )
    return records


@dataclass(frozen=True)
class ProjectQuery:
    # No stages means every stage.
    stages: tuple[ProjectStage, ...] = ()
    # Only projects with at least one milestone overdue today.
    overdue_only: bool = False


@dataclass(frozen=True)
class ProjectRecord:
    project_id: int
    stop_id: str
    name: str
    stage: ProjectStage
    approved_at: datetime
    service_start_date: date | None
    launch_routes: tuple[str, ...]
    sign_offs_given: int
    sign_offs_required: int
    # Titles of the milestones overdue today ("Sign-off: Traffic police").
    overdue_milestones: tuple[str, ...]
    lat: float
    lon: float
    request_references: tuple[str, ...]


def gtfs_stop_id(session: Session, project_id: int) -> str:
    """The stop_id a project's stop carries in every GTFS export: the deployment's prefix and
    the project's number, which never changes, so an operator's merge stays stable."""
    return f"{settings_of(session).projects.gtfs_stop_id_prefix}{project_id}"


def _projects(
    session: Session, stages: tuple[ProjectStage, ...], with_details: bool = True
) -> list[StopProject]:
    """Projects in ``stages`` (all when empty) by id; with their milestones loaded in one
    more query when ``with_details``, instead of one per project."""
    statement = select(StopProject).order_by(StopProject.id)
    if with_details:
        statement = statement.options(
            selectinload(StopProject.milestones).selectinload(Milestone.department)
        )
    if stages:
        statement = statement.where(StopProject.status.in_(stages))
    return list(session.scalars(statement))


def _references_by_project(session: Session, project_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """The public references of each project's requests, reading only what makes them (whole
    request rows would carry the reporter's contact into memory for nothing)."""
    found: dict[int, list[str]] = {}
    for start in range(0, len(project_ids), _IDS_PER_STATEMENT):
        rows = session.execute(
            select(StopRequest.project_id, StopRequest.id, StopRequest.created_at)
            .where(StopRequest.project_id.in_(project_ids[start : start + _IDS_PER_STATEMENT]))
            .order_by(StopRequest.id)
        )
        for project_id, request_id, created_at in rows:
            found.setdefault(project_id, []).append(format_reference(created_at.year, request_id))
    return {project_id: tuple(references) for project_id, references in found.items()}


def project_records(session: Session, query: ProjectQuery, today: date) -> list[ProjectRecord]:
    """Stop projects in the stages asked for (all by default), oldest first; with
    ``overdue_only``, those with a milestone overdue on ``today``."""
    records = []
    projects = _projects(session, query.stages)
    references = _references_by_project(session, [project.id for project in projects])
    for project in projects:
        with in_language(DEFAULT_LOCALE):
            overdue = tuple(m.title for m in project.milestones if m.is_overdue(today))
        if query.overdue_only and not overdue:
            continue
        site = as_point(project.location)
        records.append(
            ProjectRecord(
                project_id=project.id,
                stop_id=gtfs_stop_id(session, project.id),
                name=project.name,
                stage=project.status,
                approved_at=project.created_at,
                service_start_date=project.service_start_date,
                launch_routes=tuple(project.launch_routes or ()),
                sign_offs_given=sum(
                    1 for m in project.sign_offs if m.state is MilestoneState.APPROVED
                ),
                sign_offs_required=len(project.sign_offs),
                overdue_milestones=overdue,
                lat=site.y,
                lon=site.x,
                request_references=references.get(project.id, ()),
            )
        )
    return records


@dataclass(frozen=True)
class GtfsStop:
    """One row of a GTFS ``stops.txt``: a stop (location_type 0) at the project's site."""

    stop_id: str
    stop_name: str
    stop_desc: str
    stop_lat: float
    stop_lon: float


def _stop_description(project: StopProject) -> str:
    """What the operator needs to know before publishing the stop to riders, in English as
    the rest of the feed."""
    if project.status is ProjectStage.IN_SERVICE and project.service_start_date:
        return f"New stop, in service from {project.service_start_date.isoformat()}"
    with in_language(DEFAULT_LOCALE):
        stage = str(project.status.label).lower()
    if project.service_start_date:
        return (
            f"New stop, planned ({stage}); "
            f"service to start {project.service_start_date.isoformat()}"
        )
    return f"New stop, planned ({stage})"


def gtfs_stops(session: Session, stages: tuple[ProjectStage, ...] = GTFS_STAGES) -> list[GtfsStop]:
    """The stops of projects in ``stages`` (every stage but cancelled when empty), by id."""
    if ProjectStage.CANCELLED in stages:
        raise ValidationFailed(
            {"stage": _("stage cannot be cancelled: a cancelled project's stop will never exist.")}
        )
    stops = []
    for project in _projects(session, stages or GTFS_STAGES, with_details=False):
        site = as_point(project.location)
        stops.append(
            GtfsStop(
                stop_id=gtfs_stop_id(session, project.id),
                stop_name=project.name,
                stop_desc=_stop_description(project),
                stop_lat=site.y,
                stop_lon=site.x,
            )
        )
    return stops
