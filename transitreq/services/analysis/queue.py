"""The planners' review queue and map: one set of filters behind the table and the markers.

A city has tens of thousands of requests, so nothing here loads them all:

- the table is one page (``LIMIT``/``OFFSET``) of the sorted matches and a ``COUNT`` of them.
  Offsets rather than keyset cursors: planners jump to a page and read "page 3 of 120", sorts
  include computed keys (supporters, the workflow's order) and nullable scores, and the database
  sorts every match to find any page anyway (a top-N sort for the first pages), which the
  benchmark shows is within the goal at 50,000 requests (``bench/planner_queue.py``);
- the map gets each match as a point while there are at most ``MAX_MAP_POINTS``, and beyond that
  counts per cell of a grid that follows the map's zoom (``MapCluster``), grouped in the
  database;
- only what the table and the markers show leaves the database.

Each filter is one function of the query (``_FILTERS``), so adding one (say, the planner a
request is assigned to) is a field on ``QueueQuery``, a function and its label. Scores missing
from the page shown are computed before it is answered (``analysis/scores.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Integer, Select, case, cast, false, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from transitreq.backends import Backend, backend_of
from transitreq.errors import ValidationFailed
from transitreq.geo.metric import BoundingBox
from transitreq.geo.request_filters import area_extent, districts_of, in_area_named, request_lon_lat
from transitreq.geo.service_areas import service_areas_extent
from transitreq.i18n import _, lazy_gettext
from transitreq.models import (
    RequestStatus,
    ServiceArea,
    StopRequest,
    User,
    format_reference,
    parse_reference,
)
from transitreq.services.analysis.scores import score_requests

MAX_PER_PAGE = 200
# Up to this many matches the map gets each request; beyond, counts per grid cell.
MAX_MAP_POINTS = 1000
# A grid cell is about this many screen pixels wide at the zoom asked for (256-pixel tiles) ...
CELL_PX = 64
# ... but never so small that the box spans more than this many cells across.
MAX_CELLS_ACROSS = 48
MAX_ZOOM = 22
# Unscored matches scored before a page is sorted (tens of ms each); after a burst of filings
# the rest wait for the score keepers, and any left on the page shown are scored for it.
SCORE_AT_ONCE = 20
SORTS = ("created_at", "supporters", "score", "status")
# The workflow's order, for sorting by status.
_STATUS_ORDER = list(RequestStatus)

# What planners see each filter called (the map page's labels), for errors that name the field.
FILTER_LABELS = {
    "status": lazy_gettext("Status"),
    "district": lazy_gettext("District"),
    "min_score": lazy_gettext("Score from"),
    "max_score": lazy_gettext("Score to"),
    "q": lazy_gettext("Search"),
    "sort": lazy_gettext("Sort by"),
    "page": lazy_gettext("Page"),
    "per_page": lazy_gettext("Rows per page"),
    "zoom": lazy_gettext("Map zoom"),
    "bbox": lazy_gettext("Map view"),
}


@dataclass(frozen=True)
class QueueQuery:
    box: BoundingBox | None = None
    statuses: tuple[RequestStatus, ...] = ()
    district: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    text: str = ""
    sort: str = "created_at"
    descending: bool = True
    page: int = 1
    per_page: int = 50
    # The map's zoom level, which sets the grid cells when the matches are many.
    zoom: int | None = None
    # Only the requests on this planner's desk ("mine"); None: everyone's.
    assigned_to: int | None = None


class QueueRow(NamedTuple):
    """One request in the table."""

    request_id: int
    reference: str
    title: str
    status: RequestStatus
    supporters: int
    score: float | None
    created_at: datetime
    lon: float
    lat: float
    district: str | None = None
    # The name of the planner the request is assigned to, for the page's rows.
    assignee: str | None = None


class MapPoint(NamedTuple):
    """One request as a marker: only what the marker shows."""

    reference: str
    status: RequestStatus
    supporters: int
    score: float | None
    lon: float
    lat: float


class MapCluster(NamedTuple):
    """The matches in one grid cell: how many, and where they are on average."""

    count: int
    lon: float
    lat: float


@dataclass(frozen=True)
class QueuePage:
    query: QueueQuery
    total: int
    # The page of the table, with districts.
    rows: list[QueueRow]
    # Every match as a marker while they are few (``clusters`` is then empty) ...
    points: list[MapPoint]
    # ... else counts per grid cell of ``cell_deg`` degrees of longitude.
    clusters: list[MapCluster]
    cell_deg: float | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))

    @property
    def clustered(self) -> bool:
        return self.cell_deg is not None


def _labelled(field: str) -> str:
    return str(FILTER_LABELS[field])


def check_query(query: QueueQuery) -> None:
    """Refuse what the query cannot mean, naming the field by the label planners see."""
    errors = {}
    if query.sort not in SORTS:
        errors["sort"] = _("“%(label)s” is not one of the queue's orders.", label=_labelled("sort"))
    if not 1 <= query.per_page <= MAX_PER_PAGE:
        errors["per_page"] = _(
            "“%(label)s” must be a whole number from %(min)d to %(max)d.",
            label=_labelled("per_page"),
            min=1,
            max=MAX_PER_PAGE,
        )
    if query.page < 1:
        errors["page"] = _("“%(label)s” must be 1 or more.", label=_labelled("page"))
    if query.zoom is not None and not 0 <= query.zoom <= MAX_ZOOM:
        errors["zoom"] = _(
            "“%(label)s” must be a whole number from %(min)d to %(max)d.",
            label=_labelled("zoom"),
            min=0,
            max=MAX_ZOOM,
        )
    if (
        query.min_score is not None
        and query.max_score is not None
        and query.min_score > query.max_score
    ):
        errors["min_score"] = _(
            "“%(low)s” must not be more than “%(high)s”.",
            low=_labelled("min_score"),
            high=_labelled("max_score"),
        )
    if errors:
        raise ValidationFailed(errors)


def _supporters():
    return StopRequest.supporter_count.label("supporters")


def _text_condition(backend: Backend, text: str) -> ColumnElement[bool]:
    parsed = parse_reference(text)
    if parsed:
        return StopRequest.id == parsed[1]
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(
        *(
            backend.contains_text(column, escaped)
            for column in (StopRequest.title, StopRequest.description, StopRequest.landmark)
        )
    )


def _place(session: Session, query: QueueQuery) -> list[ColumnElement[bool]]:
    """The view and the district: through the spatial index, the district's box first."""
    backend = backend_of(session)
    box = query.box
    conditions = []
    if query.district:
        extent = area_extent(session, query.district)
        if extent is None:
            raise ValidationFailed(
                {"district": _("No district is called “%(name)s”.", name=query.district)}
            )
        box = _overlap(box, extent) if box else extent
        if box is None:
            # The district lies outside the view: nothing can match.
            return [false()]
        conditions.append(in_area_named(backend, query.district))
    if box is not None:
        conditions.append(_in_box(session, box))
    return conditions


def _in_box(session: Session, box: BoundingBox) -> ColumnElement[bool]:
    """Requests in ``box``, told how much of the city it covers (the share of the service
    areas' extent), so that SpatiaLite scans coordinates for a city-wide view rather than ask its
    index for nearly every row (``Backend.points_in_box``)."""
    extent = service_areas_extent(session)
    overlap = _overlap(box, extent) if extent is not None else None
    share = _area(overlap) / _area(extent) if overlap is not None and _area(extent) > 0 else 0.0
    return backend_of(session).points_in_box(StopRequest.location, box, share)


def _area(box: BoundingBox) -> float:
    """In square degrees: only ever compared with another box's at the same latitudes."""
    return (box.max_lon - box.min_lon) * (box.max_lat - box.min_lat)


def _statuses(_session: Session, query: QueueQuery) -> list[ColumnElement[bool]]:
    return [StopRequest.status.in_(query.statuses)] if query.statuses else []


def _score_range(_session: Session, query: QueueQuery) -> list[ColumnElement[bool]]:
    conditions = []
    if query.min_score is not None:
        conditions.append(StopRequest.score >= query.min_score)
    if query.max_score is not None:
        conditions.append(StopRequest.score <= query.max_score)
    return conditions


def _text(session: Session, query: QueueQuery) -> list[ColumnElement[bool]]:
    text = query.text.strip()
    return [_text_condition(backend_of(session), text)] if text else []


def _assigned(_session: Session, query: QueueQuery) -> list[ColumnElement[bool]]:
    if query.assigned_to is None:
        return []
    return [StopRequest.assigned_to_user_id == query.assigned_to]


# Each filter: the conditions it adds for a query (none when it is not set).
_FILTERS: list[Callable[[Session, QueueQuery], list[ColumnElement[bool]]]] = [
    _place,
    _statuses,
    _score_range,
    _text,
    _assigned,
]


def assignees_of(session: Session, request_ids: Sequence[int]) -> dict[int, str]:
    """The planner each of these requests is assigned to, by name."""
    if not request_ids:
        return {}
    rows = session.execute(
        select(StopRequest.id, User.name)
        .join(User, User.id == StopRequest.assigned_to_user_id)
        .where(StopRequest.id.in_(request_ids))
    )
    return {request_id: name for request_id, name in rows}


def queue_conditions(session: Session, query: QueueQuery) -> list[ColumnElement[bool]]:
    """Every filter's conditions, for the table, the count, the map and the exports alike."""
    return [condition for each in _FILTERS for condition in each(session, query)]


def _order(query: QueueQuery, supporters):
    status_rank = case(
        {status.value: rank for rank, status in enumerate(_STATUS_ORDER)},
        value=StopRequest.status,
    )
    key = {
        "created_at": StopRequest.created_at,
        "supporters": supporters,
        "score": StopRequest.score,
        "status": status_rank,
    }[query.sort]
    direction = key.desc() if query.descending else key.asc()
    # Requests not yet scored come last either way; ties in filing order.
    unscored_last = [StopRequest.score.is_(None)] if query.sort == "score" else []
    return [
        *unscored_last,
        direction,
        StopRequest.id.desc() if query.descending else StopRequest.id,
    ]


def queue_statement(
    session: Session, query: QueueQuery, *extra_columns: ColumnElement[Any]
) -> Select:
    """The one filtered, sorted query behind the table and the exports.

    ``extra_columns`` come after the queue's own (id, title, status, score, created_at,
    supporters, lon, lat), for a caller that needs more of each request under the same filters.
    """
    supporters = _supporters()
    return (
        select(
            StopRequest.id,
            StopRequest.title,
            StopRequest.status,
            StopRequest.score,
            StopRequest.created_at,
            supporters,
            *request_lon_lat(),
            *extra_columns,
        )
        .where(*queue_conditions(session, query))
        .order_by(*_order(query, supporters))
    )


def _overlap(first: BoundingBox, second: BoundingBox) -> BoundingBox | None:
    """Where two boxes overlap, or None when they do not."""
    overlap = BoundingBox(
        max(first.min_lon, second.min_lon),
        max(first.min_lat, second.min_lat),
        min(first.max_lon, second.max_lon),
        min(first.max_lat, second.max_lat),
    )
    if overlap.min_lon > overlap.max_lon or overlap.min_lat > overlap.max_lat:
        return None
    return overlap


def _page_rows(session: Session, query: QueueQuery, conditions) -> list[QueueRow]:
    supporters = _supporters()
    statement = (
        select(
            StopRequest.id,
            StopRequest.title,
            StopRequest.status,
            StopRequest.score,
            StopRequest.created_at,
            supporters,
            *request_lon_lat(),
        )
        .where(*conditions)
        .order_by(*_order(query, supporters))
        .limit(query.per_page)
        .offset((query.page - 1) * query.per_page)
    )
    # Core execution and plain tuples: none of the ORM's per-row bookkeeping.
    return [
        QueueRow(
            request_id,
            format_reference(created_at.year, request_id),
            title,
            status,
            int(supporters),
            score,
            created_at,
            lon,
            lat,
        )
        for request_id, title, status, score, created_at, supporters, lon, lat in (
            session.connection().execute(statement)
        )
    ]


def _with_scores(session: Session, rows: list[QueueRow]) -> list[QueueRow]:
    """The page's rows, each with a score: any still missing (filed a moment ago, before the
    score keeper reached it) is computed now, so a planner never sees a request unscored."""
    missing = [row.request_id for row in rows if row.score is None]
    if not missing:
        return rows
    scores = score_requests(session, missing)
    return [row._replace(score=scores.get(row.request_id, row.score)) for row in rows]


def _points(session: Session, conditions) -> list[MapPoint]:
    statement = select(
        StopRequest.id,
        StopRequest.created_at,
        StopRequest.status,
        _supporters(),
        StopRequest.score,
        *request_lon_lat(),
    ).where(*conditions)
    return [
        MapPoint(format_reference(created.year, request_id), status, int(count), score, lon, lat)
        for request_id, created, status, count, score, lon, lat in (
            session.connection().execute(statement)
        )
    ]


def cell_size_deg(zoom: int | None, span: BoundingBox | None) -> tuple[float, float]:
    """The grid's cell, in degrees of longitude and of latitude, for a map at ``zoom`` over
    ``span``: about ``CELL_PX`` pixels square on a web map, and at most ``MAX_CELLS_ACROSS``
    cells across ``span``."""
    cell = 360.0 / 2 ** (zoom if zoom is not None else 0) * CELL_PX / 256
    middle_lat = 0.0
    if span is not None:
        widest = max(span.max_lon - span.min_lon, span.max_lat - span.min_lat)
        cell = max(cell, widest / MAX_CELLS_ACROSS)
        middle_lat = (span.min_lat + span.max_lat) / 2
    # A degree of latitude is drawn 1 / cos(latitude) times as tall as one of longitude.
    return cell, cell * max(math.cos(math.radians(middle_lat)), 0.05)


def _clusters(session: Session, conditions, cell: tuple[float, float]) -> list[MapCluster]:
    lon, lat = request_lon_lat()
    # Each position read once: the LIMIT keeps SQLite from folding this into the grouping
    # (which would decode every geometry four times); PostgreSQL treats it as a plain subquery.
    positions = select(lon, lat).where(*conditions).limit(2**31 - 1).subquery()
    # Shifted to positive degrees so that truncating to an integer is the floor everywhere.
    column = cast((positions.c.lon + 180.0) / cell[0], Integer)
    row = cast((positions.c.lat + 90.0) / cell[1], Integer)
    statement = select(func.count(), func.avg(positions.c.lon), func.avg(positions.c.lat)).group_by(
        column, row
    )
    return [
        MapCluster(int(count), float(mean_lon), float(mean_lat))
        for count, mean_lon, mean_lat in session.connection().execute(statement)
    ]


def _score_missing(session: Session, query: QueueQuery) -> None:
    """Score the requests these filters would match that have no score yet (filed a moment
    ago), newest first and at most ``SCORE_AT_ONCE``, before sorting and filtering by score."""
    if session.scalar(select(StopRequest.id).where(StopRequest.score.is_(None)).limit(1)) is None:
        return  # through the score's index: the usual case, nothing to do
    unscored = replace(query, min_score=None, max_score=None)
    ids = session.scalars(
        select(StopRequest.id)
        .where(*queue_conditions(session, unscored), StopRequest.score.is_(None))
        .order_by(StopRequest.id.desc())
        .limit(SCORE_AT_ONCE)
    ).all()
    score_requests(session, ids)


def review_queue(session: Session, query: QueueQuery) -> QueuePage:
    """Requests matching the planner's filters: a page for the table, and for the map each
    match, or counts per grid cell when they are many."""
    check_query(query)
    _score_missing(session, query)
    conditions = queue_conditions(session, query)
    span = query.box or (area_extent(session, query.district) if query.district else None)
    span = span or service_areas_extent(session)
    cell = cell_size_deg(query.zoom, span)
    # The grid's counts add up to the total: one pass over the matches gives both.
    clusters = _clusters(session, conditions, cell)
    total = sum(cluster.count for cluster in clusters)
    rows = _with_scores(session, _page_rows(session, query, conditions))
    ids = [row.request_id for row in rows]
    districts = districts_of(session, ids)
    assignees = assignees_of(session, ids)
    rows = [
        row._replace(district=districts.get(row.request_id), assignee=assignees.get(row.request_id))
        for row in rows
    ]
    if total <= MAX_MAP_POINTS:
        return QueuePage(query, total, rows, _points(session, conditions), [])
    return QueuePage(query, total, rows, [], clusters, cell[0])


@dataclass(frozen=True)
class PlannerMapView:
    extent: BoundingBox | None
    districts: list[str]


def planner_map_view(session: Session) -> PlannerMapView:
    """What the map page needs before its data loads: where to look, which districts exist."""
    names = session.scalars(select(ServiceArea.name).order_by(ServiceArea.name))
    return PlannerMapView(service_areas_extent(session), list(names))
