"""Riverbend, the demo city: a deterministic network and requests so a new install looks alive.

The layout is drawn in metres on a local plane and projected to WGS 84, so distances between
stops are real walking distances. Northgate, the large neighbourhood north of the river, is
served by line 7 alone, which is why most of the demo requests are there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import shapely
from geoalchemy2.shape import from_shape
from pyproj import Transformer
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from transitreq.db import unit_of_work
from transitreq.importers.demo_population import build_demo_population, remove_demo_population
from transitreq.importers.demo_projects import build_demo_projects, remove_demo_projects
from transitreq.models import (
    WGS84_SRID,
    Audience,
    Event,
    RequestStatus,
    Route,
    RouteStop,
    ServiceArea,
    Stop,
    StopRequest,
    Support,
)
from transitreq.services.status_rules import move

DEMO_AREA_NAME = "Riverbend (demo city)"
DEMO_FEED = "demo"
# The demo's origin; any place works, this one has no real network that could be confused with it.
ORIGIN_LAT, ORIGIN_LON = 45.0, 10.0
STOP_SPACING_M = 450.0
# A new stop this close to one already placed is the same stop (an interchange).
SHARED_STOP_WITHIN_M = 150.0
DEMO_EPOCH = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)

_to_wgs84 = Transformer.from_crs(
    f"+proj=aeqd +lat_0={ORIGIN_LAT} +lon_0={ORIGIN_LON} +datum=WGS84 +units=m",
    "EPSG:4326",
    always_xy=True,
)


def _lon_lat(x_m: float, y_m: float) -> tuple[float, float]:
    lon, lat = _to_wgs84.transform(x_m, y_m)
    return round(lon, 7), round(lat, 7)


def _projected(geometry):
    """A geometry drawn in local metres, as WGS 84 longitude/latitude."""
    return shapely.transform(
        geometry, lambda xy: np.column_stack(_to_wgs84.transform(xy[:, 0], xy[:, 1]))
    )


@dataclass(frozen=True)
class DemoRoute:
    code: str
    short_name: str
    long_name: str
    colour: str
    waypoints_m: tuple[tuple[float, float], ...]
    street: str
    # One direction modelled; a bus every 10 minutes from 5:30 to 23:30 is about 108 trips.
    trips_per_weekday: int = 108


ROUTES = (
    DemoRoute(
        "1",
        "1",
        "Riverside Avenue",
        "D1462F",
        ((-4800, -250), (-3000, -50), (-1000, -350), (1000, -150), (2500, -300), (4800, -100)),
        "Riverside",
    ),
    DemoRoute(
        "3",
        "3",
        "Station – Hospital",
        "0B8A5F",
        ((2500, -3200), (2500, -300), (2600, 1200), (2500, 3200)),
        "Hospital Road",
    ),
    DemoRoute(
        "7",
        "7",
        "Northgate Line",
        "1F6FD1",
        ((-4500, 2000), (-2500, 2100), (-500, 1900), (1200, 2050), (2500, 1800)),
        "Northgate Street",
        trips_per_weekday=144,
    ),
    DemoRoute(
        "12",
        "12",
        "South Loop",
        "8E44AD",
        ((-3800, -900), (-3800, -2800), (-500, -2900), (1500, -2600), (2500, -1500), (1000, -900)),
        "Market Road",
    ),
)

SERVICE_AREA_M = (
    (-5200, -3600),
    (0, -3900),
    (5200, -3500),
    (5400, 0),
    (5100, 3600),
    (0, 3800),
    (-5300, 3500),
    (-5500, 0),
)


@dataclass(frozen=True)
class DemoRequest:
    title: str
    description: str
    served: tuple[str, ...]
    landmark: str
    position_m: tuple[float, float]
    status: RequestStatus
    supporters: int
    days_ago: int
    public_note: str = ""


REQUESTS = (
    DemoRequest(
        "Stop for the Northgate East compounds",
        "Twelve residential blocks and no stop within a kilometre; older residents "
        "cannot walk to line 7.",
        ("elderly", "disabled_access"),
        "Northgate East gate",
        (1000, 3050),
        RequestStatus.SUBMITTED,
        14,
        4,
    ),
    DemoRequest(
        "Maple Street senior centre",
        "The senior day centre has 200 visitors a day who arrive by taxi because the "
        "bus is too far.",
        ("elderly", "health"),
        "Maple Street senior centre",
        (-2600, 3050),
        RequestStatus.SUBMITTED,
        3,
        9,
    ),
    DemoRequest(
        "School crossing at Willow Park",
        "Children walk along the arterial road to reach line 1.",
        ("school",),
        "Willow Park primary school",
        (-1500, 950),
        RequestStatus.UNDER_REVIEW,
        6,
        21,
        "A planner is looking at this request.",
    ),
    DemoRequest(
        "Clinic on Harbour Road",
        "Patients of the Harbour Road clinic need a stop at the entrance.",
        ("health",),
        "Harbour Road clinic",
        (3900, -1900),
        RequestStatus.NEEDS_INFO,
        2,
        30,
        "Which entrance do patients use: Harbour Road or the car park side?",
    ),
    DemoRequest(
        "Market square stop",
        "The Saturday market draws people from the whole south side.",
        ("workplace", "other"),
        "Old market square",
        (-3300, -2000),
        RequestStatus.APPROVED,
        9,
        60,
        "Approved: a stop on line 12 at the market.",
    ),
    DemoRequest(
        "Northgate health centre",
        "The new health centre opened on Northgate Street, between two stops of line 7.",
        ("health", "elderly"),
        "Northgate health centre",
        (200, 2250),
        RequestStatus.APPROVED,
        17,
        75,
        "Approved: a stop on line 7 at the health centre.",
    ),
    DemoRequest(
        "Riverside library",
        "Library visitors, many of them elderly, walk 700 m from the nearest stop of line 1.",
        ("elderly",),
        "Riverside library",
        (-2200, -450),
        RequestStatus.APPROVED,
        23,
        95,
        "Approved: a stop on line 1 at the library.",
    ),
    DemoRequest(
        "Extra stop next to the bridge",
        "A stop right at the bridge would save a short walk.",
        ("other",),
        "River bridge",
        (2430, -230),
        RequestStatus.REJECTED,
        0,
        45,
        "There is already a stop within 100 m, served by lines 1 and 3.",
    ),
)


def _stop_positions(path_m: LineString) -> list[Point]:
    count = max(int(path_m.length // STOP_SPACING_M), 1)
    step_m = path_m.length / count
    return [path_m.interpolate(step_m * index) for index in range(count + 1)]


def _build_network(session: Session) -> None:
    placed: list[tuple[Point, Stop]] = []
    for route_spec in ROUTES:
        path_m = LineString(route_spec.waypoints_m)
        route = Route(
            feed=DEMO_FEED,
            gtfs_route_id=route_spec.code,
            short_name=route_spec.short_name,
            long_name=route_spec.long_name,
            route_type=3,
            colour=route_spec.colour,
            text_colour="FFFFFF",
            path=from_shape(MultiLineString([_projected(path_m)]), srid=WGS84_SRID),
            trips_per_weekday=route_spec.trips_per_weekday,
        )
        session.add(route)
        for sequence, position_m in enumerate(_stop_positions(path_m), start=1):
            stop = next(
                (
                    stop
                    for point, stop in placed
                    if point.distance(position_m) < SHARED_STOP_WITHIN_M
                ),
                None,
            )
            if stop is None:
                stop = Stop(
                    feed=DEMO_FEED,
                    gtfs_stop_id=f"{route_spec.code}-{sequence}",
                    code=f"{route_spec.code}{sequence:02d}",
                    name=f"{route_spec.street} {sequence}",
                    location=from_shape(Point(_lon_lat(*position_m.coords[0])), srid=WGS84_SRID),
                    trips_per_weekday=0,
                )
                placed.append((position_m, stop))
            stop.trips_per_weekday += route_spec.trips_per_weekday
            session.add(RouteStop(route=route, stop=stop, sequence=sequence))


_DECISION_KINDS = {
    RequestStatus.APPROVED: "approved",
    RequestStatus.REJECTED: "rejected",
    RequestStatus.NEEDS_INFO: "info_requested",
}


def _build_requests(session: Session) -> None:
    for number, spec in enumerate(REQUESTS, start=1):
        filed_at = DEMO_EPOCH - timedelta(days=spec.days_ago)
        stop_request = StopRequest(
            title=spec.title,
            description=spec.description,
            served_groups=list(spec.served),
            landmark=spec.landmark,
            location=from_shape(Point(_lon_lat(*spec.position_m)), srid=WGS84_SRID),
            status=RequestStatus.SUBMITTED,
            reporter_name="Demo resident",
            reporter_contact=f"demo-reporter-{number}@example.org",
            notify_progress=False,
            is_demo=True,
            created_at=filed_at,
            updated_at=filed_at,
        )
        session.add(stop_request)
        session.add(
            Event(
                request=stop_request,
                kind="submitted",
                to_status="submitted",
                note="Request received.",
                audience=Audience.PUBLIC,
                actor="resident",
                created_at=filed_at,
            )
        )
        for supporter in range(spec.supporters):
            session.add(
                Support(
                    request=stop_request,
                    contact=f"demo-supporter-{number}-{supporter}@example.org",
                    created_at=filed_at + timedelta(hours=supporter + 1),
                )
            )
        steps = {
            RequestStatus.SUBMITTED: (),
            RequestStatus.UNDER_REVIEW: (RequestStatus.UNDER_REVIEW,),
            RequestStatus.NEEDS_INFO: (RequestStatus.NEEDS_INFO,),
        }.get(spec.status, (RequestStatus.UNDER_REVIEW, spec.status))
        for day, status in enumerate(steps, start=1):
            note = spec.public_note if status is spec.status else "A planner is reviewing it."
            # The same event kinds as a planner's decisions, so the demo reads like real use.
            kind = _DECISION_KINDS.get(status, "status_changed")
            event = move(session, stop_request, status, actor="Demo planner", note=note, kind=kind)
            event.created_at = filed_at + timedelta(days=day)
        session.flush()


def remove_demo_city(session: Session) -> None:
    """Delete what an earlier seed wrote, so seeding twice gives the same city, not two."""
    remove_demo_projects(session)
    session.execute(delete(StopRequest).where(StopRequest.is_demo.is_(True)))
    demo_routes = select(Route.id).where(Route.feed == DEMO_FEED)
    session.execute(delete(RouteStop).where(RouteStop.route_id.in_(demo_routes)))
    session.execute(delete(Route).where(Route.feed == DEMO_FEED))
    session.execute(delete(Stop).where(Stop.feed == DEMO_FEED))
    session.execute(delete(ServiceArea).where(ServiceArea.name == DEMO_AREA_NAME))
    remove_demo_population(session)
    # The bulk deletes bypassed the session: forget the objects it still holds, or SQLite's
    # reused row ids would collide with them when the city is built again.
    session.flush()
    session.expunge_all()


def seed_demo_city(session: Session) -> dict[str, int]:
    """Replace the demo city in one transaction and say how much of it there is."""
    with unit_of_work(session):
        remove_demo_city(session)
        boundary = MultiPolygon([_projected(Polygon(SERVICE_AREA_M))])
        session.add(
            ServiceArea(name=DEMO_AREA_NAME, boundary=from_shape(boundary, srid=WGS84_SRID))
        )
        _build_network(session)
        _build_requests(session)
        projects = build_demo_projects(session)
        population = build_demo_population(session, _projected)
        session.flush()
        stop_count = session.scalar(select(func.count(Stop.id)).where(Stop.feed == DEMO_FEED))
        counts = {
            "routes": len(ROUTES),
            "stops": stop_count,
            "requests": len(REQUESTS),
            "projects": projects,
            "population": round(population.total_population),
        }
    return counts
