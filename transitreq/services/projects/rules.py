"""The stop-project state machine. The table is the documentation; the guards say what must be
true before a stage may begin, in words a planner can act on.

    approved → site survey → coordination → construction → in service
    any stage on the way → cancelled (with a public reason)
    coordination → site survey (a department asked for changes that need a new survey)

``PRECONDITIONS`` says what each stage needs first; "in service" needs its first day of service
to have come (``services/projects/advance.py`` moves a project that day by itself).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from transitreq.errors import TransitionRefused
from transitreq.i18n import _, format_day, lazy_gettext
from transitreq.models import MilestoneKind, MilestoneState, ProjectStage, StopProject

P = ProjectStage

# The way a project goes when all is well: the stepper residents and planners see.
MAIN_PATH = (P.APPROVED, P.SITE_SURVEY, P.COORDINATION, P.CONSTRUCTION, P.IN_SERVICE)

ALLOWED_STAGES: dict[ProjectStage, frozenset[ProjectStage]] = {
    P.APPROVED: frozenset({P.SITE_SURVEY, P.CANCELLED}),
    P.SITE_SURVEY: frozenset({P.COORDINATION, P.CANCELLED}),
    P.COORDINATION: frozenset({P.CONSTRUCTION, P.SITE_SURVEY, P.CANCELLED}),
    P.CONSTRUCTION: frozenset({P.IN_SERVICE, P.CANCELLED}),
    P.IN_SERVICE: frozenset(),
    P.CANCELLED: frozenset(),
}


def missing_sign_offs(project: StopProject) -> list[str]:
    """Departments whose sign-off is not given, by name."""
    return [
        sign_off.owner_name
        for sign_off in project.sign_offs
        if sign_off.state is not MilestoneState.APPROVED
    ]


# What must be true before a stage begins: each check answers why not, in words a planner can
# act on, or None. ``today`` is the city's day, since a first day of service is a local date.
Precondition = Callable[[StopProject, date], "str | None"]


def _surveys_recorded(project: StopProject, today: date) -> str | None:
    # Every survey: after a resurvey the new one, not only the first, must be recorded.
    surveys = project.milestones_of(MilestoneKind.SITE_SURVEY)
    if surveys and all(survey.is_done for survey in surveys):
        return None
    return _("Record the site survey's findings first.")


def _signed_off(project: StopProject, today: date) -> str | None:
    missing = missing_sign_offs(project)
    if not missing:
        return None
    return _(
        "Still waiting for the sign-off of %(departments)s.", departments=_(", ").join(missing)
    )


def _construction_finished(project: StopProject, today: date) -> str | None:
    finishes = project.milestones_of(MilestoneKind.CONSTRUCTION_FINISH)
    if all(finish.is_done for finish in finishes):
        return None
    return _("Record when construction finished first.")


def _launch_planned(project: StopProject, today: date) -> str | None:
    if project.launch_routes and project.service_start_date is not None:
        return None
    return _("Set the routes that will call here and the date service starts.")


def _first_day_reached(project: StopProject, today: date) -> str | None:
    """A stop is in service from its first day of service, not from the day a planner clicks:
    until then residents read that it opens on that day."""
    start = project.service_start_date
    if start is None or start <= today:
        return None
    return _(
        "Service starts on %(day)s: the stop enters service by itself that day.",
        day=format_day(start),
    )


PRECONDITIONS: dict[ProjectStage, tuple[Precondition, ...]] = {
    P.COORDINATION: (_surveys_recorded,),
    P.CONSTRUCTION: (_signed_off,),
    P.IN_SERVICE: (_signed_off, _construction_finished, _launch_planned, _first_day_reached),
}


def blockers(project: StopProject, to_stage: ProjectStage, today: date) -> list[str]:
    """What stands between ``project`` and ``to_stage`` on ``today``; empty when the move may
    happen.

    The transition table is checked first, then every precondition of the stage, so the planner
    reads all the reasons at once.
    """
    from_stage = project.status
    if to_stage not in ALLOWED_STAGES[from_stage]:
        return [
            _(
                "A project that is %(from_stage)s cannot move to %(to_stage)s.",
                from_stage=from_stage.label.lower(),
                to_stage=to_stage.label.lower(),
            )
        ]
    found = (check(project, today) for check in PRECONDITIONS.get(to_stage, ()))
    return [reason for reason in found if reason]


# Steps taken within a stage rather than moving it, each with the stages it may be taken in and
# what to say otherwise.
STEPS: dict[str, tuple[frozenset[ProjectStage], str]] = {
    # Going back from coordination needs a reason and a new survey milestone: "resurvey".
    "start_survey": (
        frozenset({P.APPROVED}),
        lazy_gettext("Send the project back to survey with a reason."),
    ),
    "record_survey": (
        frozenset({P.SITE_SURVEY}),
        lazy_gettext("Surveys are recorded while the project is in site survey."),
    ),
    "resurvey": (
        frozenset({P.COORDINATION}),
        lazy_gettext(
            "Only a project in coordination goes back to survey; start the survey instead."
        ),
    ),
    "finish_construction": (
        frozenset({P.CONSTRUCTION}),
        lazy_gettext("Construction can finish only once it has started."),
    ),
    "plan_launch": (
        frozenset({P.COORDINATION, P.CONSTRUCTION}),
        lazy_gettext("The launch is planned during coordination or construction."),
    ),
}


def check_step(project: StopProject, step: str) -> None:
    """Refuse a step the project's stage does not allow, saying when it may be taken."""
    stages, refusal = STEPS[step]
    if project.status not in stages:
        raise TransitionRefused(str(refusal), "stage")


def check_move(project: StopProject, to_stage: ProjectStage, today: date) -> None:
    """Refuse the move with every reason at once, so the planner fixes them in one go."""
    reasons = blockers(project, to_stage, today)
    if reasons:
        raise TransitionRefused(" ".join(reasons), "stage")


def next_stages(project: StopProject, today: date) -> list[ProjectStage]:
    """The stages the project may move to on ``today``, in the order of the table."""
    return [stage for stage in ProjectStage if not blockers(project, stage, today)]
