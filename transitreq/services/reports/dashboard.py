"""The planners' dashboard: where requests and projects stand, how long the steps take, which
milestones are late, and how many requests each district files per month.

Counts are grouped in SQL. Durations and months are worked out in Python from the few columns
they need, because date arithmetic and month bucketing are spelled differently on SQLite and
PostgreSQL (and PostgreSQL would bucket in the session's time zone): every timestamp is taken to
UTC first, so both backends give the same figures (but for the approval day that days to
service count from: that is the city's, like the first day of service counted to).

An optional date range limits the dashboard to requests filed and projects approved in it; an
optional district, to requests filed and projects sited in that service area.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, contains_eager, selectinload
from sqlalchemy.sql.elements import ColumnElement

from transitreq.errors import ValidationFailed
from transitreq.geo.request_filters import districts_of, in_district
from transitreq.i18n import _, lazy_gettext
from transitreq.models import (
    Event,
    Milestone,
    ProjectStage,
    RequestStatus,
    ServiceArea,
    StopProject,
    StopRequest,
)
from transitreq.services.context import local_date
from transitreq.services.requests.rules import DECIDED

# A request is decided when a planner approves, merges or rejects it; asking the resident for
# more information is not a decision. Decisions are recognised by the status they led to, as
# imported and seeded histories record them as plain status changes.
OUTSIDE_DISTRICTS = lazy_gettext("Outside districts")
CHART_MONTHS = 12
SECONDS_PER_DAY = 86_400
# The dates a range may name: the chart reaches a year around them, which the calendar must
# hold (``date`` ends at 9999-12-31).
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)


@dataclass(frozen=True)
class DashboardQuery:
    # Filed (requests) or approved (projects) on or after ``start`` and on or before ``end``.
    start: date | None = None
    end: date | None = None
    district: str | None = None


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Median:
    """The median of some durations in days, and how many durations it is the median of."""

    days: float | None
    count: int


@dataclass(frozen=True)
class OverdueMilestone:
    project_id: int
    project_name: str
    title: str
    owner: str
    due_date: date
    days_overdue: int


@dataclass(frozen=True)
class MonthlyCounts:
    """Requests filed per district per month; ``months`` are each month's first day."""

    months: list[date]
    districts: list[str]
    counts: dict[tuple[str, date], int]
    # Each district's place among all service areas (in the order they were created), so it
    # keeps its colour whichever districts a chart shows; "Outside districts" has none.
    slots: dict[str, int]

    def count(self, district: str, month: date) -> int:
        return self.counts.get((district, month), 0)

    def month_total(self, month: date) -> int:
        return sum(self.count(district, month) for district in self.districts)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Dashboard:
    query: DashboardQuery
    today: date
    requests_by_status: list[Count]
    projects_by_stage: list[Count]
    # From filing to the first decision, and from approval to the first day of service.
    days_to_decision: Median
    days_to_service: Median
    overdue: list[OverdueMilestone]
    monthly: MonthlyCounts


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _month(day: date) -> date:
    return day.replace(day=1)


def _add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def check_query(session: Session, query: DashboardQuery) -> None:
    """Refuse a range that ends before it starts or beyond ``FIRST_DAY``…``LAST_DAY``, or a
    district that does not exist."""
    for name, day in (("start", query.start), ("end", query.end)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise ValidationFailed(
                {
                    name: _(
                        "%(name)s must be between %(first)s and %(last)s.",
                        name=name,
                        first=FIRST_DAY.isoformat(),
                        last=LAST_DAY.isoformat(),
                    )
                }
            )
    if query.start and query.end and query.start > query.end:
        raise ValidationFailed({"start": _("start must be on or before end.")})
    if query.district and not session.scalar(
        select(exists().where(ServiceArea.name == query.district))
    ):
        raise ValidationFailed(
            {"district": _("No district is called “%(name)s”.", name=query.district)}
        )


def _in_range(column, start: date | None, end: date | None) -> list[ColumnElement[bool]]:
    conditions = []
    if start:
        conditions.append(column >= _midnight(start))
    if end:
        conditions.append(column < _midnight(end + timedelta(days=1)))
    return conditions


def _request_filters(session: Session, query: DashboardQuery) -> list[ColumnElement[bool]]:
    conditions = _in_range(StopRequest.created_at, query.start, query.end)
    if query.district:
        conditions.append(in_district(session, query.district))
    return conditions


def _project_filters(session: Session, query: DashboardQuery) -> list[ColumnElement[bool]]:
    conditions = _in_range(StopProject.created_at, query.start, query.end)
    if query.district:
        conditions.append(in_district(session, query.district, StopProject.location))
    return conditions


def requests_by_status(session: Session, query: DashboardQuery) -> list[Count]:
    """Every status in the workflow's order with how many requests are in it (0 included)."""
    counts = dict(
        session.execute(
            select(StopRequest.status, func.count())
            .where(*_request_filters(session, query))
            .group_by(StopRequest.status)
        ).all()
    )
    return [Count(status.value, status.label, counts.get(status, 0)) for status in RequestStatus]


def projects_by_stage(session: Session, query: DashboardQuery) -> list[Count]:
    counts = dict(
        session.execute(
            select(StopProject.status, func.count())
            .where(*_project_filters(session, query))
            .group_by(StopProject.status)
        ).all()
    )
    return [Count(stage.value, stage.label, counts.get(stage, 0)) for stage in ProjectStage]


def _median(durations: list[float]) -> Median:
    return Median(statistics.median(durations) if durations else None, len(durations))


def days_to_decision(session: Session, query: DashboardQuery) -> Median:
    """Days from filing to the first approval, merge or rejection, over the decided requests."""
    decided = [status.value for status in DECIDED]
    rows = session.execute(
        select(StopRequest.created_at, func.min(Event.created_at))
        .join(Event, Event.request_id == StopRequest.id)
        .where(Event.to_status.in_(decided), *_request_filters(session, query))
        .group_by(StopRequest.id, StopRequest.created_at)
    ).all()
    return _median([(decided - filed).total_seconds() / SECONDS_PER_DAY for filed, decided in rows])


def days_to_service(session: Session, query: DashboardQuery) -> Median:
    """Whole days from approval to its first day of service, over the projects in service; the
    approval day is the city's, as when the start date was checked against it (a day in UTC
    could fall after a start date the services accepted)."""
    rows = session.execute(
        select(StopProject.created_at, StopProject.service_start_date).where(
            StopProject.status == ProjectStage.IN_SERVICE,
            StopProject.service_start_date.is_not(None),
            *_project_filters(session, query),
        )
    ).all()
    return _median(
        [float((start - local_date(session, approved)).days) for approved, start in rows]
    )


def overdue_milestones(
    session: Session, query: DashboardQuery, today: date
) -> list[OverdueMilestone]:
    """Milestones late on ``today`` (``Milestone.is_overdue``), the longest overdue first."""
    open_stages = [stage for stage in ProjectStage if stage.is_open]
    candidates = session.scalars(
        select(Milestone)
        .join(Milestone.project)
        .options(contains_eager(Milestone.project), selectinload(Milestone.department))
        .where(
            Milestone.due_date < today,
            Milestone.done_date.is_(None),
            StopProject.status.in_(open_stages),
            *_project_filters(session, query),
        )
    ).all()
    late = sorted(
        (milestone for milestone in candidates if milestone.is_overdue(today)),
        key=lambda m: (m.due_date, m.project_id, m.position, m.id),
    )
    return [
        OverdueMilestone(
            project_id=milestone.project_id,
            project_name=milestone.project.name,
            title=milestone.title,
            owner=milestone.owner_name,
            due_date=milestone.due_date,
            days_overdue=(today - milestone.due_date).days,
        )
        for milestone in late
    ]


def chart_months(query: DashboardQuery, today: date) -> list[date]:
    """The last ``CHART_MONTHS`` months up to the range's end (or this month), never starting
    before the range does."""
    last = _month(query.end or today)
    if query.start:
        last = max(last, _month(query.start))
    first = _add_months(last, 1 - CHART_MONTHS)
    if query.start:
        first = max(first, _month(query.start))
    months = [first]
    while months[-1] < last:
        months.append(_add_months(months[-1], 1))
    return months


def monthly_requests(session: Session, query: DashboardQuery, today: date) -> MonthlyCounts:
    """Requests filed per district per month over ``chart_months``; a pin outside every
    service area counts under "Outside districts"."""
    months = chart_months(query, today)
    first_day = max(months[0], query.start) if query.start else months[0]
    last_day = _add_months(months[-1], 1) - timedelta(days=1)
    if query.end:
        last_day = min(last_day, query.end)
    window = DashboardQuery(first_day, last_day, query.district)
    rows = session.execute(
        select(StopRequest.id, StopRequest.created_at).where(*_request_filters(session, window))
    ).all()
    areas = list(session.scalars(select(ServiceArea.name).order_by(ServiceArea.id)))
    if query.district:
        # The filter already placed every request in that district.
        district_of = {request_id: query.district for request_id, _ in rows}
    else:
        district_of = districts_of(session, [request_id for request_id, _ in rows])
    counts = Counter(
        (
            district_of.get(request_id, str(OUTSIDE_DISTRICTS)),
            _month(created_at.astimezone(UTC).date()),
        )
        for request_id, created_at in rows
    )
    districts = [query.district] if query.district else list(areas)
    if any(district == OUTSIDE_DISTRICTS for district, _ in counts):
        districts.append(str(OUTSIDE_DISTRICTS))
    return MonthlyCounts(
        months=months,
        districts=districts,
        counts=dict(counts),
        slots={name: position for position, name in enumerate(areas)},
    )


def dashboard(session: Session, query: DashboardQuery, today: date) -> Dashboard:
    """Every figure of the dashboard for ``query``, as of ``today``."""
    check_query(session, query)
    return Dashboard(
        query=query,
        today=today,
        requests_by_status=requests_by_status(session, query),
        projects_by_stage=projects_by_stage(session, query),
        days_to_decision=days_to_decision(session, query),
        days_to_service=days_to_service(session, query),
        overdue=overdue_milestones(session, query, today),
        monthly=monthly_requests(session, query, today),
    )
