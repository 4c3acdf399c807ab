"""The stop-project state machine. The table is the documentation; the guards say what must be
true before a stage may begin, in words a planner can act on.

    approved → site survey → coordination → construction → in service
    any stage on the way → cancelled (with a public reason)
    coordination → site survey (a department asked for changes that need a new survey)
"""

from __future__ import annotations

from transitreq.errors import TransitionRefused
from transitreq.models import MilestoneKind, MilestoneState, ProjectStage, StopProject

P = ProjectStage

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


def blockers(project: StopProject, to_stage: ProjectStage) -> list[str]:
    """What stands between ``project`` and ``to_stage``; empty when the move may happen.

    The transition table is checked first, then what the stage needs done before it.
    """
    from_stage = project.status
    if to_stage not in ALLOWED_STAGES[from_stage]:
        return [
            f"A project that is {from_stage.label.lower()} cannot move to {to_stage.label.lower()}."
        ]
    reasons: list[str] = []
    # Every survey: after a resurvey the new one, not only the first, must be recorded.
    surveys = project.milestones_of(MilestoneKind.SITE_SURVEY)
    if to_stage is P.COORDINATION and not (surveys and all(s.is_done for s in surveys)):
        reasons.append("Record the site survey's findings first.")
    if to_stage in (P.CONSTRUCTION, P.IN_SERVICE):
        missing = missing_sign_offs(project)
        if missing:
            reasons.append("Still waiting for the sign-off of " + ", ".join(missing) + ".")
    if to_stage is P.IN_SERVICE:
        if not all(
            finish.is_done for finish in project.milestones_of(MilestoneKind.CONSTRUCTION_FINISH)
        ):
            reasons.append("Record when construction finished first.")
        if not project.launch_routes or project.service_start_date is None:
            reasons.append("Set the routes that will call here and the date service starts.")
    return reasons


def check_move(project: StopProject, to_stage: ProjectStage) -> None:
    """Refuse the move with every reason at once, so the planner fixes them in one go."""
    reasons = blockers(project, to_stage)
    if reasons:
        raise TransitionRefused(" ".join(reasons), "stage")


def next_stages(project: StopProject) -> list[ProjectStage]:
    """The stages the project may move to now, in the order of the table."""
    return [stage for stage in ProjectStage if not blockers(project, stage)]
