"""Department sign-offs: each department decides its own, and sees its own.

Only staff of the owning department approve, ask for changes or refuse (with a reason, for
staff only); planners ask a department again once its changes are made. Built on
``services/project_changes.py`` like the other project use cases.
"""

from __future__ import annotations

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from transitreq.errors import (
    NotPermitted,
    TransitionRefused,
    UnknownReference,
    ValidationFailed,
)
from transitreq.i18n import _
from transitreq.models import (
    Audience,
    EventKind,
    Milestone,
    MilestoneKind,
    MilestoneState,
    ProjectStage,
    Role,
    StopProject,
    SurveyPhoto,
    User,
)
from transitreq.services.projects.changes import (
    change,
    milestone_for_change,
    record_event,
    require_planner,
    today,
)
from transitreq.services.versioned import note_text

P = ProjectStage
K = MilestoneKind


SIGN_OFF_DECISIONS = {
    "approve": MilestoneState.APPROVED,
    "changes": MilestoneState.CHANGES_REQUESTED,
    "refuse": MilestoneState.REFUSED,
}


def can_sign(user: User, milestone: Milestone) -> bool:
    """Only staff of the owning department sign off; not planners, not administrators."""
    return (
        milestone.kind is K.SIGN_OFF
        and user.role is Role.DEPARTMENT
        and user.department_id is not None
        and user.department_id == milestone.department_id
    )


def decide_sign_off(
    session: Session,
    milestone_id: int,
    expected_version: int,
    user: User,
    decision: str,
    reason: str = "",
) -> Milestone:
    """A department approves, asks for changes, or refuses (the last two with a reason).

    Residents see each sign-off given; the reasons for changes or a refusal are for staff.
    """
    if decision not in SIGN_OFF_DECISIONS:
        raise ValidationFailed({"decision": _("Choose approve, ask for changes, or refuse.")})
    reason = note_text(reason, "reason", _("The reason"), required=decision != "approve")
    milestone = milestone_for_change(session, milestone_id, expected_version)
    if not can_sign(user, milestone):
        raise NotPermitted(
            _("Only staff of the department that owns this sign-off can decide it."), "milestone"
        )
    project = milestone.project
    if project.status is not P.COORDINATION:
        raise TransitionRefused(
            _(
                "Sign-offs are decided during coordination; this project is %(stage)s.",
                stage=project.status.label.lower(),
            ),
            "stage",
        )
    state = SIGN_OFF_DECISIONS[decision]
    with change(session, project):
        milestone.state = state
        milestone.notes = reason
        milestone.decided_by_user_id = user.id
        milestone.done_date = today(session) if state is MilestoneState.APPROVED else None
        department = milestone.owner_name
        if state is MilestoneState.APPROVED:
            # Residents read that the department signed off; its reason is for the planners
            # (the form says so), like the reasons for changes or a refusal.
            if reason:
                record_event(
                    session,
                    project,
                    user,
                    EventKind.SIGN_OFF_REASON,
                    reason,
                    Audience.INTERNAL,
                    facts={"department": department},
                )
            record_event(
                session, project, user, EventKind.SIGN_OFF_GIVEN, facts={"department": department}
            )
        else:
            record_event(
                session,
                project,
                user,
                EventKind(f"sign_off_{state.value}"),
                reason,
                Audience.INTERNAL,
                facts={"department": department},
            )
    return milestone


def reopen_sign_off(
    session: Session, milestone_id: int, expected_version: int, user: User, note: str
) -> Milestone:
    """The planner has answered a department's changes and asks it to decide again."""
    require_planner(user)
    note = note_text(note, "note", _("What changed"), required=True)
    milestone = milestone_for_change(session, milestone_id, expected_version)
    project = milestone.project
    if milestone.kind is not K.SIGN_OFF or project.status is not P.COORDINATION:
        raise TransitionRefused(
            _("Only a sign-off during coordination can be asked again."), "milestone"
        )
    with change(session, project):
        milestone.state = MilestoneState.PENDING
        milestone.done_date = None
        record_event(
            session,
            project,
            user,
            EventKind.SIGN_OFF_REOPENED,
            note,
            Audience.INTERNAL,
            facts={"department": milestone.owner_name},
        )
    return milestone


def visible_sign_offs(session: Session, user: User) -> list[Milestone]:
    """The sign-offs a member of department staff may see: their own department's, those
    waiting for a decision now (the project in coordination) first, then newest project first.
    Planners see every project's sign-offs on the project pages instead."""
    if user.role is not Role.DEPARTMENT or user.department_id is None:
        return []
    return list(
        session.scalars(
            select(Milestone)
            .join(StopProject)
            .where(Milestone.kind == K.SIGN_OFF, Milestone.department_id == user.department_id)
            .order_by(
                case((StopProject.status == P.COORDINATION, 0), else_=1),
                StopProject.id.desc(),
            )
        )
    )


def photo_for(session: Session, photo_id: int, user: User) -> SurveyPhoto:
    """A survey photo, for planners and the staff of a department that signs off its project."""
    photo = session.get(SurveyPhoto, photo_id)
    if photo is None:
        raise UnknownReference(_("There is no such photo."), "photo")
    project = photo.milestone.project
    if not user.is_planner and not any(can_sign(user, sign_off) for sign_off in project.sign_offs):
        raise NotPermitted(_("This photo belongs to another department's project."), "photo")
    return photo
