"""Riverbend (江湾), the demo city: a deterministic network and requests so a new install looks
alive, in English or Simplified Chinese.

The layout is drawn in metres on a local plane and projected to WGS 84, so distances between
stops are real walking distances. Two neighbourhoods tell the story. Northgate, the large one
north of Riverside Avenue, is served by line 7 alone, which is why most requests are there.
Willow Bank, on the south bank of the river, has one bus line (12); its older residents cross
the Willow footbridge to the library and line 1 on the north bank, and their request for a stop
at the bridge's north end went all the way into service, with their thanks.

Every name and text exists in both languages (``Text``); ``seed_demo_city`` writes one of them,
the city's ``DEFAULT_LOCALE`` unless told otherwise, because what residents and planners write
is data shown as written, not translated for each reader.
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
from transitreq.geo.metric import BoundingBox
from transitreq.i18n import LOCALES
from transitreq.importers.demo_population import build_demo_population, remove_demo_population
from transitreq.importers.demo_projects import build_demo_projects, remove_demo_projects
from transitreq.importers.demo_streets import (
    DEMO_NETWORK,
    build_demo_streets,
    remove_demo_streets,
)
from transitreq.importers.demo_text import DEMO_PLANNER, DEMO_RESIDENT, Text
from transitreq.importers.records import record_import
from transitreq.importers.report import ImportReport
from transitreq.models import (
    WGS84_SRID,
    Audience,
    DatasetKind,
    Event,
    EventKind,
    PopulationDataset,
    RequestStatus,
    Route,
    RouteStop,
    ServiceArea,
    Stop,
    StopRequest,
    StreetNetwork,
    Support,
)
from transitreq.services.analysis.coverage import refresh_coverage
from transitreq.services.analysis.scores import write_scores
from transitreq.services.context import settings_of
from transitreq.services.places.index import refresh_areas, refresh_landmarks, refresh_stops
from transitreq.services.requests.rules import move

DEMO_AREA = Text("Riverbend (demo city)", "江湾（演示城市）")
DEMO_AREA_NAME = DEMO_AREA.en
# The Willow footbridge, in local metres: it crosses the river from Willow Bank (south) to the
# library on Riverside Avenue (north); the only way across on foot for 2 km either side.
FOOTBRIDGE_M = ((-2200.0, -980.0), (-2200.0, -470.0))
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
    long_name: Text
    colour: str
    waypoints_m: tuple[tuple[float, float], ...]
    street: Text
    # One direction modelled; a bus every 10 minutes from 5:30 to 23:30 is about 108 trips.
    trips_per_weekday: int = 108


ROUTES = (
    DemoRoute(
        "1",
        "1",
        Text("Riverside Avenue", "沿江大道"),
        "D1462F",
        ((-4800, -250), (-3000, -50), (-1000, -350), (1000, -150), (2500, -300), (4800, -100)),
        Text("Riverside Avenue", "沿江大道"),
    ),
    DemoRoute(
        "3",
        "3",
        Text("Station – Hospital", "火车站—医院"),
        "0B8A5F",
        ((2500, -3200), (2500, -300), (2600, 1200), (2500, 3200)),
        Text("Hospital Road", "医院路"),
    ),
    DemoRoute(
        "7",
        "7",
        Text("Northgate Line", "北门线"),
        "1F6FD1",
        ((-4500, 2000), (-2500, 2100), (-500, 1900), (1200, 2050), (2500, 1800)),
        Text("Northgate Street", "北门街"),
        trips_per_weekday=144,
    ),
    DemoRoute(
        "12",
        "12",
        Text("South Loop", "南环线"),
        "8E44AD",
        ((-3800, -900), (-3800, -2800), (-500, -2900), (1500, -2600), (2500, -1500), (1000, -900)),
        Text("Market Road", "集市路"),
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
    title: Text
    description: Text
    served: tuple[str, ...]
    landmark: Text
    position_m: tuple[float, float]
    status: RequestStatus
    supporters: int
    days_ago: int
    public_note: Text = Text("", "")


REQUESTS = (
    DemoRequest(
        Text("Stop for the Northgate East compounds", "北门东苑需要一个公交站"),
        Text(
            "Twelve residential blocks and no stop within a kilometre; older residents "
            "cannot walk to line 7.",
            "十二栋住宅楼，一公里内没有公交站；老人走不到 7 路车站。",
        ),
        ("elderly", "disabled_access"),
        Text("Northgate East gate", "北门东苑大门"),
        (1000, 3050),
        RequestStatus.SUBMITTED,
        14,
        4,
    ),
    DemoRequest(
        Text("Maple Street senior centre", "枫林街老年活动中心"),
        Text(
            "The senior day centre has 200 visitors a day who arrive by taxi because the "
            "bus is too far.",
            "老年活动中心每天有两百位老人来，公交站太远，只好打车。",
        ),
        ("elderly", "health"),
        Text("Maple Street senior centre", "枫林街老年活动中心"),
        (-2600, 3050),
        RequestStatus.SUBMITTED,
        3,
        9,
    ),
    DemoRequest(
        Text("School crossing at Willow Park", "柳园小学门口设站"),
        Text(
            "Children walk along the arterial road to reach line 1.",
            "孩子们要沿着主干道走到 1 路车站。",
        ),
        ("school",),
        Text("Willow Park primary school", "柳园小学"),
        (-1500, 950),
        RequestStatus.UNDER_REVIEW,
        6,
        21,
        Text("A planner is looking at this request.", "规划人员正在研究这个申请。"),
    ),
    DemoRequest(
        Text("Clinic on Harbour Road", "港口路诊所门口设站"),
        Text(
            "Patients of the Harbour Road clinic need a stop at the entrance.",
            "港口路诊所的病人需要在门口有个车站。",
        ),
        ("health",),
        Text("Harbour Road clinic", "港口路诊所"),
        (3900, -1900),
        RequestStatus.NEEDS_INFO,
        2,
        30,
        Text(
            "Which entrance do patients use: Harbour Road or the car park side?",
            "病人走哪个门：港口路一侧，还是停车场一侧？",
        ),
    ),
    DemoRequest(
        Text("Market square stop", "集市广场设站"),
        Text(
            "The Saturday market draws people from the whole south side.",
            "周六的集市吸引了整个南城的人。",
        ),
        ("workplace", "other"),
        Text("Old market square", "老集市广场"),
        (-3300, -2000),
        RequestStatus.APPROVED,
        9,
        60,
        Text("A stop on line 12 at the market.", "在集市旁设 12 路车站。"),
    ),
    DemoRequest(
        Text("Northgate health centre", "北门社区卫生服务中心"),
        Text(
            "The new health centre opened on Northgate Street, between two stops of line 7.",
            "新的社区卫生服务中心在北门街开业，正好在 7 路两站之间。",
        ),
        ("health", "elderly"),
        Text("Northgate health centre", "北门社区卫生服务中心"),
        (200, 2250),
        RequestStatus.APPROVED,
        17,
        75,
        Text("A stop on line 7 at the health centre.", "在卫生服务中心旁设 7 路车站。"),
    ),
    DemoRequest(
        Text("Riverside library", "沿江图书馆"),
        Text(
            "Older residents of Willow Bank cross the Willow footbridge to the library, then "
            "walk 700 m along Riverside Avenue to the nearest stop of line 1. A stop at the "
            "bridge would serve them and the library's visitors.",
            "柳岸社区的老人走过柳岸人行桥来图书馆，还要沿着沿江大道走七百米才到最近的 1 路"
            "车站。在桥头设站，既方便老人，也方便来图书馆的人。",
        ),
        ("elderly",),
        Text("Riverside library, by the Willow footbridge", "沿江图书馆（柳岸人行桥北桥头）"),
        (-2200, -450),
        RequestStatus.APPROVED,
        23,
        95,
        Text("A stop on line 1 at the footbridge.", "在人行桥北桥头设 1 路车站。"),
    ),
    DemoRequest(
        Text("Extra stop next to the bridge", "大桥旁再加一个站"),
        Text(
            "A stop right at the bridge would save a short walk.",
            "在大桥边设个站，可以少走几步。",
        ),
        ("other",),
        Text("River bridge", "江湾大桥"),
        (2430, -230),
        RequestStatus.REJECTED,
        0,
        45,
        Text(
            "There is already a stop within 100 m, served by lines 1 and 3.",
            "100 米内已有公交站，1 路和 3 路都停靠。",
        ),
    ),
)
REVIEWING = Text("A planner is reviewing it.", "规划人员正在审核。")


def _stop_positions(path_m: LineString) -> list[Point]:
    count = max(int(path_m.length // STOP_SPACING_M), 1)
    step_m = path_m.length / count
    return [path_m.interpolate(step_m * index) for index in range(count + 1)]


def _stop_name(street: str, sequence: int, language: str) -> str:
    return f"{street}{sequence}号站" if language.startswith("zh") else f"{street} {sequence}"


def _build_network(session: Session, language: str) -> None:
    placed: list[tuple[Point, Stop]] = []
    for route_spec in ROUTES:
        path_m = LineString(route_spec.waypoints_m)
        route = Route(
            feed=DEMO_FEED,
            gtfs_route_id=route_spec.code,
            short_name=route_spec.short_name,
            long_name=route_spec.long_name.pick(language),
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
                    name=_stop_name(route_spec.street.pick(language), sequence, language),
                    location=from_shape(Point(_lon_lat(*position_m.coords[0])), srid=WGS84_SRID),
                    trips_per_weekday=0,
                )
                placed.append((position_m, stop))
            stop.trips_per_weekday += route_spec.trips_per_weekday
            session.add(RouteStop(route=route, stop=stop, sequence=sequence))


_DECISION_KINDS = {
    RequestStatus.APPROVED: EventKind.APPROVED,
    RequestStatus.REJECTED: EventKind.REJECTED,
    RequestStatus.NEEDS_INFO: EventKind.INFO_REQUESTED,
}
# The public reason of the demo's one request not approved.
_DEMO_REJECTION = {"reason": "too_close_to_existing_stop"}


def _build_requests(session: Session, language: str) -> None:
    for number, spec in enumerate(REQUESTS, start=1):
        filed_at = DEMO_EPOCH - timedelta(days=spec.days_ago)
        stop_request = StopRequest(
            title=spec.title.pick(language),
            description=spec.description.pick(language),
            served_groups=list(spec.served),
            landmark=spec.landmark.pick(language),
            location=from_shape(Point(_lon_lat(*spec.position_m)), srid=WGS84_SRID),
            status=RequestStatus.SUBMITTED,
            reporter_name=DEMO_RESIDENT.pick(language),
            reporter_contact=f"demo-reporter-{number}@example.org",
            notify_progress=False,
            locale=language,
            is_demo=True,
            created_at=filed_at,
            updated_at=filed_at,
        )
        session.add(stop_request)
        session.add(
            Event(
                request=stop_request,
                kind=EventKind.SUBMITTED,
                to_status="submitted",
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
            note = (spec.public_note if status is spec.status else REVIEWING).pick(language)
            # The same event kinds as a planner's decisions, so the demo reads like real use.
            kind = _DECISION_KINDS.get(status, EventKind.STATUS_CHANGED)
            facts = _DEMO_REJECTION if kind is EventKind.REJECTED else None
            event = move(
                session,
                stop_request,
                status,
                actor=DEMO_PLANNER.pick(language),
                note=note,
                kind=kind,
                facts=facts,
            )
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
    session.execute(delete(ServiceArea).where(ServiceArea.name.in_(DEMO_AREA)))
    remove_demo_population(session)
    remove_demo_streets(session)
    # The bulk deletes bypassed the session: forget the objects it still holds, or SQLite's
    # reused row ids would collide with them when the city is built again.
    session.flush()
    session.expunge_all()


def seed_demo_city(session: Session, language: str | None = None) -> dict[str, int]:
    """Replace the demo city in one transaction and say how much of it there is.

    ``language`` ("en" or "zh_Hans") is the one its names and texts are written in; by default
    the city's ``DEFAULT_LOCALE``.
    """
    language = language or settings_of(session).default_locale
    if language not in LOCALES:
        raise ValueError(f"the demo city is written in {', '.join(LOCALES)}, not {language!r}")
    area_name = DEMO_AREA.pick(language)
    with unit_of_work(session):
        remove_demo_city(session)
        boundary = MultiPolygon([_projected(Polygon(SERVICE_AREA_M))])
        session.add(ServiceArea(name=area_name, boundary=from_shape(boundary, srid=WGS84_SRID)))
        _build_network(session, language)
        _build_requests(session, language)
        projects = build_demo_projects(session, DEMO_FEED, language)
        population = build_demo_population(session, _projected, language)
        session.flush()
        streets = build_demo_streets(session, FOOTBRIDGE_M, _lon_lat, language)
        refresh_stops(session, DEMO_FEED)
        refresh_areas(session)
        refresh_landmarks(session)
        refresh_coverage(session)
        # Planners find every demo request scored, as they would requests filed through the site.
        write_scores(
            session, list(session.scalars(select(StopRequest.id).where(StopRequest.is_demo)))
        )
        stop_count = session.scalar(select(func.count(Stop.id)).where(Stop.feed == DEMO_FEED))
        counts = {
            "routes": len(ROUTES),
            "stops": stop_count,
            "requests": len(REQUESTS),
            "projects": projects,
            "population": round(population.total_population),
        }
        _record_demo_datasets(session, boundary, stop_count, population, area_name, streets)
    return counts


def _record_demo_datasets(
    session: Session,
    boundary: MultiPolygon,
    stop_count: int,
    population: PopulationDataset,
    area_name: str,
    streets: StreetNetwork,
) -> None:
    """The Data page lists the demo's feed, population and area like imported ones, so
    planners trying the service see where its numbers come from."""
    min_lon, min_lat, max_lon, max_lat = boundary.bounds
    extent = BoundingBox(min_lon, min_lat, max_lon, max_lat)
    source = population.source
    report = ImportReport(source)
    for kind, name, counts in (
        (DatasetKind.GTFS, DEMO_FEED, {"stops": stop_count, "routes": len(ROUTES)}),
        (
            DatasetKind.POPULATION,
            population.name,
            {"units": population.unit_count, "population": round(population.total_population)},
        ),
        (DatasetKind.SERVICE_AREAS, area_name, {"areas": 1, "names": [area_name]}),
        (
            DatasetKind.STREET_NETWORK,
            DEMO_NETWORK,
            {"nodes": streets.node_count, "edges": streets.edge_count},
        ),
    ):
        record_import(session, kind, name, source, report, counts, extent, imported_by="seed-demo")
