"""What a resident following a request sees of its stop project: one public timeline, the
stages, the dates to expect, and the launch.

Only public events pass through here; survey findings, departments' reasons, due-date changes
and internal notes stay on the staff audit log. Views render what this module returns and
never read a project's events themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from transitreq.models import (
    Audience,
    Event,
    MilestoneKind,
    ProjectStage,
    RequestStatus,
    StopProject,
    StopRequest,
)
from transitreq.services.projects import describe_launch

P = ProjectStage
# The stages in the order a stop is built; cancelled stands apart.
STAGES = (P.APPROVED, P.SITE_SURVEY, P.COORDINATION, P.CONSTRUCTION, P.IN_SERVICE)

_STAGE_TITLES = {
    P.APPROVED: "Approved",
    P.SITE_SURVEY: "Site survey",
    P.COORDINATION: "Review by the city's departments",
    P.CONSTRUCTION: "Construction started",
    P.IN_SERVICE: "In service",
    P.CANCELLED: "Cancelled",
}
_PROJECT_KIND_TITLES = {
    "approved": "Approved",
    "survey_done": "Site surveyed",
    "construction_finished": "Construction finished",
    "launch_planned": "Routes and start date set",
    "project_note": "News from the planners",
}
# The request's own events that say what a project event says: the approval, the opening and
# the cancellation each reach every linked request with its own words, so the project's copy
# is left out rather than shown twice.
_ECHOED_BY_REQUEST_KIND = {
    "approved": "approved",
    P.IN_SERVICE.value: "completed",
    P.CANCELLED.value: "project_cancelled",
}
_REQUEST_KIND_TITLES = {
    "submitted": "Submitted",
    "approved": "Approved",
    "completed": "In service",
    "project_cancelled": "Cancelled",
}
_STATUS_LABELS = {status.value: status.label for status in RequestStatus}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    title: str
    note: str
    # "request" for the request's own steps, "project" for its stop project's.
    source: str
    # The event itself, for the JSON API's machine-readable kind and statuses.
    event: Event


@dataclass(frozen=True)
class StageStep:
    stage: ProjectStage
    # "done", "current" or "to_come": said in words on the page, not by colour alone.
    state: str


@dataclass(frozen=True)
class PlannedDate:
    label: str
    on: date


@dataclass(frozen=True)
class ProjectProgress:
    stage: ProjectStage
    steps: list[StageStep]
    planned: list[PlannedDate]
    # Exactly ``describe_launch(...)`` once the stop is in service.
    service_summary: str | None
    cancel_reason: str | None


def _project_key(event: Event) -> str:
    return event.to_status if event.kind == "project_stage" and event.to_status else event.kind


def _project_title(event: Event, project: StopProject) -> str:
    if event.kind == "project_stage" and event.to_status:
        stage = P(event.to_status)
        if stage is P.SITE_SURVEY and event.from_status == P.COORDINATION.value:
            return "Site survey again"
        return _STAGE_TITLES[stage]
    if event.kind == "sign_off_given":
        for sign_off in project.sign_offs:
            if event.note.startswith(f"{sign_off.owner_name} signed off"):
                return f"{sign_off.owner_name} signed off"
        return "A department signed off"
    return _PROJECT_KIND_TITLES.get(event.kind, "Update")


def _request_title(event: Event) -> str:
    if event.kind in _REQUEST_KIND_TITLES:
        return _REQUEST_KIND_TITLES[event.kind]
    if event.to_status in _STATUS_LABELS:
        return _STATUS_LABELS[event.to_status]
    return event.kind.replace("_", " ").capitalize()


def public_timeline(stop_request: StopRequest) -> list[TimelineEntry]:
    """The request's public events and its project's, in the order they happened."""
    own = stop_request.public_events
    entries = [
        (
            event.created_at,
            event.id,
            TimelineEntry(event.created_at, _request_title(event), event.note, "request", event),
        )
        for event in own
    ]
    project = stop_request.project
    if project is not None:
        own_kinds = {event.kind for event in own}
        for event in project.events:
            if event.audience is not Audience.PUBLIC:
                continue
            echo = _ECHOED_BY_REQUEST_KIND.get(_project_key(event))
            if echo is not None and echo in own_kinds:
                continue
            entry = TimelineEntry(
                event.created_at, _project_title(event, project), event.note, "project", event
            )
            entries.append((event.created_at, event.id, entry))
    return [entry for _, _, entry in sorted(entries, key=lambda item: item[:2])]


def _steps(stage: ProjectStage) -> list[StageStep]:
    reached = STAGES.index(stage)
    return [
        StageStep(step, "done" if index < reached else "current" if index == reached else "to_come")
        for index, step in enumerate(STAGES)
    ]


def _planned(project: StopProject, today: date | None) -> list[PlannedDate]:
    """Dates residents wait for: construction and the first day of service, while to come.

    A date already past is said to be so ("was expected … by"), rather than shown as if it
    still held: residents should not have to work out that the project is running late.
    """
    planned = []
    for kind, label, late_label in (
        (
            MilestoneKind.CONSTRUCTION_START,
            "Construction expected to start by",
            "Construction was expected to start by",
        ),
        (
            MilestoneKind.CONSTRUCTION_FINISH,
            "Construction expected to finish by",
            "Construction was expected to finish by",
        ),
    ):
        dues = [m.due_date for m in project.milestones_of(kind) if m.due_date and not m.is_done]
        if dues:
            due = max(dues)
            late = today is not None and due < today
            planned.append(PlannedDate(late_label if late else label, due))
    if project.service_start_date is not None:
        late = today is not None and project.service_start_date < today
        planned.append(
            PlannedDate(
                "Service was planned to start on" if late else "Service planned to start on",
                project.service_start_date,
            )
        )
    else:
        dues = [m.due_date for m in project.milestones_of(MilestoneKind.LAUNCH) if m.due_date]
        if dues:
            due = max(dues)
            late = today is not None and due < today
            planned.append(
                PlannedDate(
                    "Service was expected to start by" if late else "Service expected to start by",
                    due,
                )
            )
    return planned


def project_progress(project: StopProject, today: date | None = None) -> ProjectProgress:
    """Where the project stands, for the stepper and the summary above the timeline."""
    stage = project.status
    in_service = stage is P.IN_SERVICE and project.service_start_date is not None
    return ProjectProgress(
        stage=stage,
        steps=[] if stage is P.CANCELLED else _steps(stage),
        planned=_planned(project, today) if stage.is_open else [],
        service_summary=describe_launch(project.launch_routes, project.service_start_date)
        if in_service and project.launch_routes
        else None,
        cancel_reason=project.cancel_reason if stage is P.CANCELLED else None,
    )
