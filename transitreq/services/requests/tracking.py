"""What a resident following a request sees of its stop project: one public timeline, the
stages, the dates to expect, and the launch.

Only public events pass through here; survey findings, departments' reasons, due-date changes
and internal notes stay on the staff audit log. Views render what this module returns and
never read a project's events themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from transitreq.i18n import _
from transitreq.models import (
    Audience,
    Event,
    EventKind,
    MilestoneKind,
    ProjectStage,
    StopProject,
    StopRequest,
)
from transitreq.sentences import describe_launch, event_text, event_title
from transitreq.services.projects.rules import MAIN_PATH

P = ProjectStage
K = EventKind

# The request's own events that say what a project event says: the approval, the opening and
# the cancellation each reach every linked request with its own words, so the project's copy
# is left out rather than shown twice.
_ECHOED_BY_REQUEST_KIND = {
    K.APPROVED.value: K.APPROVED,
    P.IN_SERVICE.value: K.COMPLETED,
    P.CANCELLED.value: K.PROJECT_CANCELLED,
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    title: str
    # The whole of what residents read: the system's sentence and what a person typed.
    text: str
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
    return event.to_status if event.kind is K.PROJECT_STAGE and event.to_status else event.kind


def public_timeline(stop_request: StopRequest) -> list[TimelineEntry]:
    """The request's public events and its project's, in the order they happened."""
    own = stop_request.public_events
    entries = [
        (
            event.created_at,
            event.id,
            TimelineEntry(
                event.created_at, event_title(event), event_text(event), "request", event
            ),
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
                event.created_at, event_title(event), event_text(event), "project", event
            )
            entries.append((event.created_at, event.id, entry))
    return [entry for _at, _id, entry in sorted(entries, key=lambda item: item[:2])]


def _steps(stage: ProjectStage) -> list[StageStep]:
    reached = MAIN_PATH.index(stage)
    return [
        StageStep(step, "done" if index < reached else "current" if index == reached else "to_come")
        for index, step in enumerate(MAIN_PATH)
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
            _("Construction expected to start by"),
            _("Construction was expected to start by"),
        ),
        (
            MilestoneKind.CONSTRUCTION_FINISH,
            _("Construction expected to finish by"),
            _("Construction was expected to finish by"),
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
                _("Service was planned to start on") if late else _("Service planned to start on"),
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
                    _("Service was expected to start by")
                    if late
                    else _("Service expected to start by"),
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
