"""Small builders for test data, so each test states only what matters to its story."""

from __future__ import annotations

from geoalchemy2.shape import from_shape
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transitreq.models import Event, ServiceArea, StopRequest, Support
from transitreq.services.stop_requests import RequestDraft, RequestLimits, submit_request

# Central Helsinki, where the shared reference data lives.
CENTRAL_HELSINKI = box(24.90, 60.150, 24.98, 60.190)
RAILWAY_SQUARE = Point(24.9432, 60.1710)  # lon, lat
WGS84 = Geod(ellps="WGS84")


def add_service_area(session: Session, polygon=CENTRAL_HELSINKI, name="Central Helsinki"):
    area = ServiceArea(name=name, boundary=from_shape(MultiPolygon([polygon]), srid=4326))
    session.add(area)
    session.commit()
    return area


def draft(**overrides) -> RequestDraft:
    values = dict(
        title="Stop for the senior housing on Kaisaniemi",
        description="Elderly residents walk 600 m to the nearest stop.",
        served_groups=["elderly"],
        landmark="Kaisaniemi park gate",
        point=RAILWAY_SQUARE,
        reporter_name="Aino Virtanen",
        reporter_contact="aino@example.org",
        notify_progress=True,
    )
    values.update(overrides)
    return RequestDraft(**values)


def file_request(session: Session, **overrides) -> StopRequest:
    return submit_request(session, draft(**overrides), RequestLimits())


def offset(point: Point, bearing_degrees: float, distance_m: float) -> Point:
    """The point ``distance_m`` from ``point`` along a geodesic, computed independently."""
    lon, lat, _ = WGS84.fwd(point.x, point.y, bearing_degrees, distance_m)
    return Point(lon, lat)


def geodesic_m(a: Point, b: Point) -> float:
    return WGS84.inv(a.x, a.y, b.x, b.y)[2]


def row_counts(session: Session) -> dict[str, int]:
    """How many requests, supports and events exist: the proof that nothing half-wrote."""
    session.expire_all()
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model))
        for model in (StopRequest, Support, Event)
    }
