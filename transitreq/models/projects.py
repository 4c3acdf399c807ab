"""What planners decide and build: stop projects and their milestones; questions to residents."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import LazyString
from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import JSON, Date, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from transitreq.i18n import _, lazy_gettext
from transitreq.models.base import WGS84_SRID, Base, UtcDateTime, enum_column, utc_now

if TYPE_CHECKING:
    from transitreq.models.accounts import Department
    from transitreq.models.requests import Event, StopRequest


class ProjectStage(enum.StrEnum):
    """Where a stop project stands; ``services/project_rules.py`` says which stage may follow."""

    APPROVED = "approved"
    SITE_SURVEY = "site_survey"
    COORDINATION = "coordination"
    CONSTRUCTION = "construction"
    IN_SERVICE = "in_service"
    CANCELLED = "cancelled"

    @property
    def label(self) -> LazyString:
        return _STAGE_LABELS[self]

    @property
    def colour(self) -> str:
        """Badge colour, under white text at 4.5:1 or better like the request statuses'."""
        return _STAGE_COLOURS[self]

    @property
    def is_open(self) -> bool:
        """Still on its way: milestones can fall due and be overdue."""
        return self not in (ProjectStage.IN_SERVICE, ProjectStage.CANCELLED)


_STAGE_LABELS = {
    ProjectStage.APPROVED: lazy_gettext("Approved"),
    ProjectStage.SITE_SURVEY: lazy_gettext("Site survey"),
    ProjectStage.COORDINATION: lazy_gettext("Coordination with departments"),
    ProjectStage.CONSTRUCTION: lazy_gettext("Under construction"),
    ProjectStage.IN_SERVICE: lazy_gettext("In service"),
    ProjectStage.CANCELLED: lazy_gettext("Cancelled"),
}

_STAGE_COLOURS = {
    ProjectStage.APPROVED: "#1f6fd1",
    ProjectStage.SITE_SURVEY: "#7d3c98",
    ProjectStage.COORDINATION: "#8a5300",
    ProjectStage.CONSTRUCTION: "#a04000",
    ProjectStage.IN_SERVICE: "#087f58",
    ProjectStage.CANCELLED: "#5d6d7e",
}


class MilestoneKind(enum.StrEnum):
    SITE_SURVEY = "site_survey"
    SIGN_OFF = "sign_off"
    CONSTRUCTION_START = "construction_start"
    CONSTRUCTION_FINISH = "construction_finish"
    LAUNCH = "launch"

    @property
    def label(self) -> LazyString:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    MilestoneKind.SITE_SURVEY: lazy_gettext("Site survey"),
    MilestoneKind.SIGN_OFF: lazy_gettext("Sign-off"),
    MilestoneKind.CONSTRUCTION_START: lazy_gettext("Construction start"),
    MilestoneKind.CONSTRUCTION_FINISH: lazy_gettext("Construction finish"),
    MilestoneKind.LAUNCH: lazy_gettext("Launch"),
}


class MilestoneState(enum.StrEnum):
    """A milestone is pending until done; a sign-off is given, or changes are asked, or refused."""

    PENDING = "pending"
    DONE = "done"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REFUSED = "refused"

    @property
    def label(self) -> LazyString:
        return _STATE_LABELS[self]


_STATE_LABELS = {
    MilestoneState.PENDING: lazy_gettext("Pending"),
    MilestoneState.DONE: lazy_gettext("Completed"),
    MilestoneState.APPROVED: lazy_gettext("Signed off"),
    MilestoneState.CHANGES_REQUESTED: lazy_gettext("Changes asked"),
    MilestoneState.REFUSED: lazy_gettext("Refused"),
}


class StopProject(Base):
    """A stop to be built where a planner chose, which one or more approved requests joined."""

    __tablename__ = "stop_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Where the stop goes: the planner's choice, which may differ from any resident's pin.
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=WGS84_SRID), nullable=False)
    status: Mapped[ProjectStage] = mapped_column(
        enum_column(ProjectStage, 20), default=ProjectStage.APPROVED, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)
    # Why the project was cancelled, in words residents read on their tracking page.
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # Launch: the routes (by the name riders know, e.g. "7") that will call at the stop, and
    # the first day of service. Names rather than ids, because a GTFS re-import renumbers ids.
    launch_routes: Mapped[list[str]] = mapped_column(JSON, default=list)
    service_start_date: Mapped[date | None] = mapped_column(Date)
    # When it went into service or was cancelled, for the dashboard's durations.
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Optimistic locking: every change to a project or its milestones bumps this, so a stage
    # move and a department's refusal arriving together cannot both be based on stale facts.
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    requests: Mapped[list[StopRequest]] = relationship(
        back_populates="project", order_by="StopRequest.id"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="project",
        cascade="all, delete-orphan",
        order_by="(Milestone.position, Milestone.id)",
    )
    events: Mapped[list[Event]] = relationship(
        back_populates="project", order_by="Event.id", viewonly=True
    )

    __mapper_args__ = {"version_id_col": version}

    def milestones_of(self, kind: MilestoneKind) -> list[Milestone]:
        return [milestone for milestone in self.milestones if milestone.kind is kind]

    @property
    def sign_offs(self) -> list[Milestone]:
        return self.milestones_of(MilestoneKind.SIGN_OFF)


class Milestone(Base):
    """One step of a project that someone owns and that falls due: a survey, a department's
    sign-off, construction start or finish, or the launch."""

    __tablename__ = "project_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("stop_projects.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MilestoneKind] = mapped_column(enum_column(MilestoneKind, 20))
    # The department that owns it; NULL means the transit-planning office itself.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    state: Mapped[MilestoneState] = mapped_column(
        enum_column(MilestoneState, 20), default=MilestoneState.PENDING
    )
    due_date: Mapped[date | None] = mapped_column(Date)
    done_date: Mapped[date | None] = mapped_column(Date)
    # Survey findings, or a department's reason for asking changes or refusing; staff only.
    notes: Mapped[str] = mapped_column(Text, default="")
    decided_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Order on the project page: surveys, sign-offs, construction, launch.
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)

    project: Mapped[StopProject] = relationship(back_populates="milestones")
    department: Mapped[Department | None] = relationship()
    photos: Mapped[list[SurveyPhoto]] = relationship(
        back_populates="milestone", cascade="all, delete-orphan", order_by="SurveyPhoto.id"
    )

    @property
    def is_done(self) -> bool:
        return self.done_date is not None

    @property
    def owner_name(self) -> str:
        """The department that owns the milestone, or the planners' office, by name."""
        return self.department.name if self.department else _("Transit planning")

    @property
    def title(self) -> str:
        return milestone_title(self.kind, self.owner_name)

    def is_overdue(self, today: date) -> bool:
        """Due before ``today``, not done, and on a project still on its way."""
        return (
            self.due_date is not None
            and self.done_date is None
            and self.due_date < today
            and self.project.status.is_open
        )


class SurveyPhoto(Base):
    """A photo taken on a site survey, kept in the database so every app host serves it."""

    __tablename__ = "survey_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(
        ForeignKey("project_milestones.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)

    milestone: Mapped[Milestone] = relationship(back_populates="photos")


class InfoQuestion(Base):
    """A planner's question to the resident who filed a request, and their answer."""

    __tablename__ = "info_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("stop_requests.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    # The planner's name as shown on the audit log, and their account while it exists.
    asked_by: Mapped[str] = mapped_column(String(100))
    asked_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    request: Mapped[StopRequest] = relationship(back_populates="questions")


def milestone_title(kind: MilestoneKind, owner_name: str = "") -> str:
    """A milestone as people name it, in the reader's language: "Site survey", "Sign-off:
    Landscaping"."""
    if kind is MilestoneKind.SIGN_OFF:
        return _("Sign-off: %(department)s", department=owner_name)
    return str(kind.label)
