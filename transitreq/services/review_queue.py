"""The planners' review queue and map: one filtered query answers both, and the cached score.

The score used for sorting and filtering is the site score of ``site_score`` at the
request's pin, cached in ``stop_requests.score``: computing it for thousands of requests per
call would take minutes, so it is refreshed whenever the request is filed or supported (the
events that change its own demand term) and read from the column otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from shapely.geometry import Point
from sqlalchemy import Select, case, false, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from transitreq.errors import ValidationFailed
from transitreq.geo.coverage import PopulationPart, box_size_m, coverage_gap, population_density
from transitreq.geo.metric import BoundingBox
from transitreq.geo.metric_crs import metric_srid
from transitreq.geo.request_filters import area_extent, districts_of, in_area_named, request_lon_lat
from transitreq.geo.service_areas import service_areas_extent
from transitreq.geo.spatial_index import in_box
from transitreq.models import RequestStatus, ServiceArea, StopRequest, Support, format_reference
from transitreq.services.evaluation import (
    EvaluationSettings,
    current_population_dataset,
    site_score,
)

MAX_PER_PAGE = 200
# The map receives every match in view; beyond this it is asked to zoom in.
MAX_MAP_FEATURES = 20_000
SORTS = ("created_at", "supporters", "score", "status")
# The workflow's order, for sorting by status.
_STATUS_ORDER = list(RequestStatus)
_REFERENCE = re.compile(r"^\s*SR-\d{4}-(?P<number>\d{1,9})\s*$", re.IGNORECASE)
# Sessions may carry the deployment's evaluation settings under this key (set by the app).
SETTINGS_KEY = "transitreq.evaluation_settings"


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


class QueueRow(NamedTuple):
    """One request in the queue; a named tuple, as a city-wide view builds ten thousand."""

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


@dataclass(frozen=True)
class QueuePage:
    query: QueueQuery
    total: int
    # The page of the table, with districts.
    rows: list[QueueRow]
    # Every match (up to MAX_MAP_FEATURES), for the map.
    matches: list[QueueRow] = field(repr=False)
    truncated: bool

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))


def check_query(query: QueueQuery) -> None:
    """Refuse what the query cannot mean, naming the field."""
    errors = {}
    if query.sort not in SORTS:
        errors["sort"] = f"sort must be one of {', '.join(SORTS)} (prefix - for descending)."
    if not 1 <= query.per_page <= MAX_PER_PAGE:
        errors["per_page"] = f"per_page must be 1 to {MAX_PER_PAGE}."
    if query.page < 1:
        errors["page"] = "page must be 1 or more."
    if (
        query.min_score is not None
        and query.max_score is not None
        and query.min_score > query.max_score
    ):
        errors["min_score"] = "min_score must not exceed max_score."
    if errors:
        raise ValidationFailed(errors)


def _supporters():
    return (
        select(func.count(Support.id))
        .where(Support.request_id == StopRequest.id)
        .correlate(StopRequest)
        .scalar_subquery()
        .label("supporters")
    )


def _text_filter(text: str):
    match = _REFERENCE.match(text)
    if match:
        return StopRequest.id == int(match["number"])
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(
        *(
            column.ilike(pattern, escape="\\")
            for column in (StopRequest.title, StopRequest.description, StopRequest.landmark)
        )
    )


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
    """The one filtered, sorted query behind the table, the map and the exports.

    ``extra_columns`` come after the queue's own (id, title, status, score, created_at,
    supporters, lon, lat), for a caller that needs more of each request under the same filters.
    """
    dialect_name = session.get_bind().dialect.name
    supporters = _supporters()
    statement = select(
        StopRequest.id,
        StopRequest.title,
        StopRequest.status,
        StopRequest.score,
        StopRequest.created_at,
        supporters,
        *request_lon_lat(),
        *extra_columns,
    )
    box = query.box
    if query.district:
        extent = area_extent(session, query.district)
        if extent is None:
            raise ValidationFailed({"district": f"No district is called “{query.district}”."})
        box = _overlap(box, extent) if box else extent
        if box is None:
            # The district lies outside the view: nothing can match.
            return statement.where(false())
        statement = statement.where(in_area_named(dialect_name, query.district))
    if box is not None:
        statement = statement.where(in_box(dialect_name, StopRequest.location, box))
    if query.statuses:
        statement = statement.where(StopRequest.status.in_(query.statuses))
    if query.min_score is not None:
        statement = statement.where(StopRequest.score >= query.min_score)
    if query.max_score is not None:
        statement = statement.where(StopRequest.score <= query.max_score)
    if query.text.strip():
        statement = statement.where(_text_filter(query.text.strip()))
    return statement.order_by(*_order(query, supporters))


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


def review_queue(session: Session, query: QueueQuery) -> QueuePage:
    """Requests matching the planner's filters: one page for the table, all for the map."""
    check_query(query)
    statement = queue_statement(session, query).limit(MAX_MAP_FEATURES + 1)
    # Core execution and plain tuples: none of the ORM's per-row bookkeeping, for 10,000 rows.
    matches = [
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
    truncated = len(matches) > MAX_MAP_FEATURES
    matches = matches[:MAX_MAP_FEATURES]
    start = (query.page - 1) * query.per_page
    page_rows = matches[start : start + query.per_page]
    districts = districts_of(session, [row.request_id for row in page_rows])
    rows = [row._replace(district=districts.get(row.request_id)) for row in page_rows]
    return QueuePage(query, len(matches), rows, matches, truncated)


def refresh_score(session: Session, stop_request: StopRequest) -> float:
    """Evaluate the request's pin and store its score, inside the caller's transaction.

    Written with a plain UPDATE so the request's optimistic-locking version does not move: a
    planner who opened the request before a resident supported it can still decide on it.
    """
    settings = session.info.get(SETTINGS_KEY) or EvaluationSettings()
    session.flush()
    point = Point(*_lon_lat(session, stop_request.id))
    score = site_score(session, point, settings).total
    session.execute(
        update(StopRequest.__table__)
        .where(StopRequest.__table__.c.id == stop_request.id)
        .values(score=score)
    )
    session.expire(stop_request, ["score"])
    return score


# Requests whose score still guides a decision; decided ones keep the score they were decided on.
AWAITING_DECISION = (
    RequestStatus.SUBMITTED,
    RequestStatus.UNDER_REVIEW,
    RequestStatus.NEEDS_INFO,
)
RESCORE_BATCH = 200


def rescore_open_requests(
    session: Session, progress: Callable[[str, int, int], None] | None = None
) -> int:
    """Score again every request still awaiting a decision, after what the score rests on
    changed (a new GTFS feed or population layer, other weights); returns how many.

    Committed in batches, so a long run holds no lock for long and an interruption keeps what
    was done.
    """
    ids = list(
        session.scalars(
            select(StopRequest.id)
            .where(StopRequest.status.in_(AWAITING_DECISION))
            .order_by(StopRequest.id)
        )
    )
    for done, request_id in enumerate(ids, start=1):
        refresh_score(session, session.get(StopRequest, request_id))
        if done % RESCORE_BATCH == 0 or done == len(ids):
            session.commit()
            session.expunge_all()
        if progress is not None:
            progress("Scoring requests", done, len(ids))
    return len(ids)


def _lon_lat(session: Session, request_id: int) -> tuple[float, float]:
    lon, lat = request_lon_lat()
    return tuple(session.execute(select(lon, lat).where(StopRequest.id == request_id)).one())


# The largest box (each side, metres) the map layers answer for: the coverage gap subtracts
# every stop's circle in the box, so its cost grows with the area; density only reads units.
MAX_GAP_BOX_M = 5000.0
MAX_DENSITY_BOX_M = 10_000.0
MAX_GAP_RADIUS_M = 2000


@dataclass(frozen=True)
class PopulationLayer:
    dataset: str | None
    parts: list[PopulationPart]


def _check_box(box: BoundingBox | None, largest_m: float) -> BoundingBox:
    if box is None:
        raise ValidationFailed({"bbox": "Give the map's bbox (min_lon,min_lat,max_lon,max_lat)."})
    width_m, height_m = box_size_m(box)
    if max(width_m, height_m) > largest_m:
        raise ValidationFailed(
            {
                "bbox": f"The box is {width_m / 1000:.1f} × {height_m / 1000:.1f} km; this layer "
                f"answers for at most {largest_m / 1000:.0f} × {largest_m / 1000:.0f} km: "
                "zoom in."
            }
        )
    return box


def _dataset_and_srid(session: Session, box: BoundingBox, name: str | None, metric: int):
    centre = Point((box.min_lon + box.max_lon) / 2, (box.min_lat + box.max_lat) / 2)
    half_diagonal_m = sum(size**2 for size in box_size_m(box)) ** 0.5 / 2
    dataset = current_population_dataset(session, name, centre, half_diagonal_m)
    return dataset, metric_srid(metric, centre.x, centre.y)


def population_layer(
    session: Session, box: BoundingBox | None, settings: EvaluationSettings, name: str | None = None
) -> PopulationLayer:
    """Population density in the map's box (the dataset covering it, or the one named)."""
    box = _check_box(box, MAX_DENSITY_BOX_M)
    dataset, srid = _dataset_and_srid(session, box, name, settings.metric_srid)
    if dataset is None:
        return PopulationLayer(None, [])
    return PopulationLayer(dataset.name, population_density(session, dataset, box, srid))


def coverage_gap_layer(
    session: Session,
    box: BoundingBox | None,
    radius_m: float,
    settings: EvaluationSettings,
    name: str | None = None,
) -> PopulationLayer:
    """Where people in the map's box live beyond ``radius_m`` of every stop, and how many."""
    if not 1 <= radius_m <= MAX_GAP_RADIUS_M:
        raise ValidationFailed({"radius_m": f"radius_m must be 1 to {MAX_GAP_RADIUS_M}."})
    box = _check_box(box, MAX_GAP_BOX_M)
    dataset, srid = _dataset_and_srid(session, box, name, settings.metric_srid)
    if dataset is None:
        return PopulationLayer(None, [])
    return PopulationLayer(dataset.name, coverage_gap(session, dataset, box, radius_m, srid))


@dataclass(frozen=True)
class PlannerMapView:
    extent: BoundingBox | None
    districts: list[str]


def planner_map_view(session: Session) -> PlannerMapView:
    """What the map page needs before its data loads: where to look, which districts exist."""
    names = session.scalars(select(ServiceArea.name).order_by(ServiceArea.name))
    return PlannerMapView(service_areas_extent(session), list(names))
