"""A stop project in service is a stop: the routes named at launch call at it in order, the
evaluation finds it, the stored coverage counts it, and the operator's feed settles with it."""

from __future__ import annotations

import pytest
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import MultiLineString, Point
from sqlalchemy import func, select

from tests.factories import (
    add_service_area,
    add_user,
    approve_request,
    file_request,
    geodesic_m,
    offset,
    take_to_stage,
    version_of,
)
from tests.gtfs_feeds import DURING_THE_FEED, STOP_LON_LAT, STOPS, write_feed
from tests.helsinki import GRID, POINTS
from tests.reference_data import POPULATION_POINTS
from transitreq.config import default_settings
from transitreq.db import make_sessionmaker
from transitreq.errors import ImportFailed
from transitreq.importers.demo_city import DEMO_FEED, seed_demo_city
from transitreq.importers.gtfs import import_gtfs
from transitreq.importers.population import import_population
from transitreq.models import (
    CoveragePart,
    PlaceName,
    PopulationDataset,
    PopulationUnit,
    ProjectStage,
    Route,
    RouteStop,
    Stop,
    StopMode,
    StopProject,
    StopRequest,
    utc_now,
)
from transitreq.models.population import STORED_MODES
from transitreq.services.analysis.coverage import (
    refresh_coverage,
    take_in_new_stop,
    up_to_date_datasets,
)
from transitreq.services.analysis.evaluation import evaluate_site, stored_coverage_of
from transitreq.services.analysis.scores import due_count, score_basis, write_scores
from transitreq.services.projects import stages as projects
from transitreq.services.projects.opening import (
    PROJECT_FEED,
    SAME_STOP_M,
    insertion_index,
    project_stop_id,
)

C1, MKT = (Point(STOP_LON_LAT[name]) for name in ("C1", "MKT"))
# Between Central Station and Market Square, 25 m off the line joining them.
SITE = offset(Point((C1.x + MKT.x) / 2, (C1.y + MKT.y) / 2), 0, 25)


@pytest.fixture
def planner(session):
    add_service_area(session)
    return add_user(session, "planner")


def _import(session, tmp_path, name: str, changes: dict | None = None) -> None:
    import_gtfs(session, write_feed(tmp_path / name, changes), "city", today=DURING_THE_FEED)


def _open(session, planner, site: Point = SITE, routes=("1",)) -> StopProject:
    """A project at ``site`` taken into service with ``routes`` named at launch."""
    project = approve_request(session, planner, point=site)
    project = take_to_stage(session, project, planner, "construction")
    today = utc_now().date()
    projects.finish_construction(session, project.id, version_of(session, project), planner, today)
    projects.set_launch(session, project.id, version_of(session, project), planner, routes, today)
    projects.put_in_service(session, project.id, version_of(session, project), planner)
    session.expire_all()
    return session.get(StopProject, project.id)


def _patterns(session, route_label: str = "1") -> dict[int, list[str]]:
    """Direction → the stops' feed ids in calling order, for the route named ``route_label``."""
    rows = session.execute(
        select(RouteStop.direction_id, Stop.gtfs_stop_id)
        .join(Stop, Stop.id == RouteStop.stop_id)
        .join(Route, Route.id == RouteStop.route_id)
        .where(Route.short_name == route_label)
        .order_by(RouteStop.direction_id, RouteStop.sequence)
    ).all()
    patterns: dict[int, list[str]] = {}
    for direction_id, stop_id in rows:
        patterns.setdefault(direction_id, []).append(stop_id)
    return patterns


def _sequences(session) -> dict[int, list[int]]:
    rows = session.execute(
        select(RouteStop.direction_id, RouteStop.sequence).order_by(
            RouteStop.direction_id, RouteStop.sequence
        )
    ).all()
    found: dict[int, list[int]] = {}
    for direction_id, sequence in rows:
        found.setdefault(direction_id, []).append(sequence)
    return found


def _project_stop(session, project: StopProject) -> Stop | None:
    return session.scalar(select(Stop).where(Stop.gtfs_stop_id == project_stop_id(project.id)))


def test_a_project_in_service_is_a_stop_its_launch_routes_call_at_in_order(
    session, planner, tmp_path
):
    _import(session, tmp_path, "feed")
    route = session.scalar(select(Route).where(Route.short_name == "1"))
    before = _patterns(session)
    assert before == {0: ["C1", "MKT", "HRB"], 1: ["HRB", "MKT", "C1"]}

    project = _open(session, planner)

    stop = _project_stop(session, project)
    assert stop is not None and stop.feed == PROJECT_FEED
    assert stop.name == project.name
    assert geodesic_m(to_shape(stop.location), SITE) < 0.01
    assert [mode.mode for mode in stop.modes] == ["bus"]
    assert stop.trips_per_weekday == route.trips_per_weekday > 0
    # Between the two stops it lies between, in both directions, the rest renumbered.
    new = project_stop_id(project.id)
    assert _patterns(session) == {0: ["C1", new, "MKT", "HRB"], 1: ["HRB", "MKT", new, "C1"]}
    assert _sequences(session) == {0: [1, 2, 3, 4], 1: [1, 2, 3, 4]}

    # The evaluation finds it as the nearest stop, with the route that calls there.
    evaluation = evaluate_site(session, SITE, default_settings().evaluation)
    nearest = evaluation.nearest_stops[0]
    assert nearest.stop_id == stop.id and nearest.distance_m < 1
    assert nearest.routes == ["1"] and nearest.modes == ["bus"]
    # Residents find it by name in the place search.
    assert session.scalar(
        select(func.count(PlaceName.id)).where(
            PlaceName.dataset == PROJECT_FEED, PlaceName.name == stop.name
        )
    )


def test_the_stored_coverage_counts_the_new_stop_at_once(session, planner, tmp_path):
    _import(session, tmp_path, "feed")
    import_population(session, POPULATION_POINTS, name="points", population_field="population")
    dataset = session.scalar(select(PopulationDataset))
    settings = default_settings().evaluation
    nearest_unit = session.scalars(
        select(PopulationUnit).order_by(
            func.abs(func.ST_X(PopulationUnit.geom) - SITE.x)
            + func.abs(func.ST_Y(PopulationUnit.geom) - SITE.y)
        )
    ).first()
    unit_point = to_shape(nearest_unit.geom)
    assert nearest_unit.nearest_stop_m > geodesic_m(unit_point, SITE) + 50

    _open(session, planner)

    session.expire_all()
    assert stored_coverage_of(session, dataset, settings) is not None
    refreshed = session.get(PopulationUnit, nearest_unit.id)
    assert refreshed.nearest_stop_m == pytest.approx(geodesic_m(unit_point, SITE), abs=1.0)
    assert refreshed.nearest_bus_m == pytest.approx(refreshed.nearest_stop_m)


def test_a_stop_of_the_operators_feed_within_reach_replaces_the_project_stop(
    session, planner, tmp_path
):
    _import(session, tmp_path, "feed")
    project = _open(session, planner)
    new = project_stop_id(project.id)

    # The same feed again: the routes are written anew and call at the project's stop again.
    _import(session, tmp_path, "again")
    session.expire_all()
    assert _patterns(session) == {0: ["C1", new, "MKT", "HRB"], 1: ["HRB", "MKT", new, "C1"]}

    # A feed that now has a stop 10 m from it: that is the stop, and ours gives way.
    carried = offset(SITE, 90, 10)
    assert geodesic_m(carried, SITE) < SAME_STOP_M
    stops = [*STOPS, ["OPS9", "H009", "Riverside", f"{carried.y:.7f}", f"{carried.x:.7f}", ""]]
    _import(session, tmp_path, "carried", {"stops.txt": stops})
    session.expire_all()
    assert _project_stop(session, project) is None
    assert (
        session.scalar(select(func.count(PlaceName.id)).where(PlaceName.dataset == PROJECT_FEED))
        == 0
    )
    dataset_count = session.scalar(select(func.count(Stop.id)).where(Stop.feed == PROJECT_FEED))
    assert dataset_count == 0


def test_a_stop_of_the_feed_farther_than_the_same_stop_leaves_the_project_stop(
    session, planner, tmp_path
):
    _import(session, tmp_path, "feed")
    project = _open(session, planner)
    apart = offset(SITE, 90, SAME_STOP_M + 15)
    stops = [*STOPS, ["OPS9", "H009", "Riverside", f"{apart.y:.7f}", f"{apart.x:.7f}", ""]]
    _import(session, tmp_path, "apart", {"stops.txt": stops})
    session.expire_all()
    assert _project_stop(session, project) is not None


def test_a_launch_route_with_no_pattern_still_opens_the_stop(session, planner):
    from tests.factories import add_route

    route = add_route(session, "7")
    project = _open(session, planner, routes=("7",))
    stop = _project_stop(session, project)
    assert stop is not None and stop.trips_per_weekday == route.trips_per_weekday
    assert session.scalar(select(func.count()).select_from(RouteStop)) == 0
    assert project.status is ProjectStage.IN_SERVICE


def test_the_feed_name_of_the_project_stops_is_kept_for_them(session, tmp_path):
    with pytest.raises(ImportFailed) as refusal:
        import_gtfs(session, write_feed(tmp_path / "feed"), PROJECT_FEED, today=DURING_THE_FEED)
    assert "kept for the stops the stop projects opened" in str(refusal.value)
    assert session.scalar(select(func.count(Stop.id))) == 0


# Three stops 500 m apart heading east, in each quadrant of the globe and across 180°.
@pytest.mark.parametrize(
    "start",
    [
        Point(24.94, 60.17),
        Point(-46.63, -23.55),
        Point(-74.0, 40.7),
        Point(151.2, -33.87),
        Point(179.996, -17.8),
    ],
    ids=["north-east", "south-west", "north-west", "south-east", "across 180°"],
)
def test_a_new_stop_goes_where_it_lengthens_the_journey_least(start):
    stops = [offset(start, 90, metres) for metres in (0, 500, 1000)]
    pattern = [(stop.x, stop.y) for stop in stops]

    def index_of(point: Point) -> int:
        return insertion_index(pattern, point.x, point.y)

    assert index_of(offset(stops[0], 90, 250)) == 1
    assert index_of(offset(offset(stops[1], 90, 300), 0, 40)) == 2
    assert index_of(offset(stops[0], 270, 200)) == 0
    assert index_of(offset(stops[2], 90, 200)) == 3
    assert insertion_index([], start.x, start.y) == 0


def test_the_demo_citys_stop_in_service_is_one_of_its_stops_once_however_often_seeded(session):
    seed_demo_city(session, "en")
    seed_demo_city(session, "en")
    opened = session.scalars(
        select(StopProject).where(StopProject.status == ProjectStage.IN_SERVICE)
    ).all()
    assert opened
    for project in opened:
        stops = session.scalars(
            select(Stop).where(Stop.gtfs_stop_id == project_stop_id(project.id))
        ).all()
        assert len(stops) == 1 and stops[0].feed == DEMO_FEED
        assert stops[0].calls, "the demo's launch routes call at it"


# --- The store takes in the new stop around it -------------------------------------------------

_DISTANCE_COLUMNS = ("nearest_stop_m", *(f"nearest_{mode}_m" for mode in STORED_MODES))


def _stored(session) -> tuple[dict, dict]:
    """Every unit's distances and every coverage part's people and area, by their keys."""
    session.expire_all()
    distances = {
        row[0]: row[1:]
        for row in session.execute(
            select(
                PopulationUnit.id,
                *(getattr(PopulationUnit, name) for name in _DISTANCE_COLUMNS),
            )
        )
    }
    parts: dict[tuple, list[float]] = {}
    for unit_id, radius_m, kind, mode, population, area_m2 in session.execute(
        select(
            CoveragePart.unit_id,
            CoveragePart.radius_m,
            CoveragePart.kind,
            CoveragePart.mode,
            CoveragePart.population,
            CoveragePart.area_m2,
        )
    ):
        found = parts.setdefault((unit_id, radius_m, kind, mode), [0.0, 0.0])
        found[0] += population
        found[1] += area_m2
    return distances, parts


def _same(taken_in: tuple[dict, dict], whole: tuple[dict, dict]) -> None:
    distances, parts = taken_in
    assert distances.keys() == whole[0].keys()
    for unit_id, values in distances.items():
        assert values == pytest.approx(whole[0][unit_id], abs=1e-6), unit_id
    assert parts.keys() == whole[1].keys()
    for key, (population, area_m2) in parts.items():
        assert population == pytest.approx(whole[1][key][0], rel=1e-6, abs=1e-6), key
        assert area_m2 == pytest.approx(whole[1][key][1], rel=1e-6, abs=1e-3), key


def _add_stop(session, site: Point, modes: tuple[str, ...]) -> int:
    stop = Stop(
        feed="by-hand",
        gtfs_stop_id=f"new-{len(modes)}",
        name="New stop",
        location=from_shape(site, srid=4326),
        modes=[StopMode(mode=mode) for mode in modes],
    )
    session.add(stop)
    session.flush()
    return stop.id


def _farthest_from_any_stop(session) -> Point:
    """20 m from the people farthest from every stop: where a new stop changes the most."""
    unit = session.scalars(
        select(PopulationUnit)
        .join(PopulationDataset)
        .where(PopulationDataset.name == POINTS)
        .order_by(PopulationUnit.nearest_stop_m.desc())
    ).first()
    return offset(to_shape(unit.geom), 90, 20)


@pytest.mark.parametrize("modes", [("bus",), ("bus", "tram")], ids=["bus", "bus and tram"])
def test_the_store_takes_in_a_new_stop_as_a_whole_refresh_would(database_url, engine, modes):
    _load_helsinki(database_url)
    session = make_sessionmaker(engine)()
    before = _stored(session)

    site = _farthest_from_any_stop(session)
    up_to_date = up_to_date_datasets(session)
    assert len(up_to_date) == 2
    stop_id = _add_stop(session, site, modes)
    assert take_in_new_stop(session, stop_id, up_to_date) == [], "no dataset refreshed whole"
    session.commit()
    taken_in = _stored(session)
    settings = default_settings().evaluation
    for dataset in session.scalars(select(PopulationDataset)):
        assert stored_coverage_of(session, dataset, settings) is not None

    refresh_coverage(session)
    session.commit()
    _same(taken_in, _stored(session))
    # Not vacuous: the new stop is some units' nearest, and some grid cells' parts changed.
    nearer = [u for u, values in taken_in[0].items() if values[0] < before[0][u][0] - 1]
    assert len(nearer) >= 2  # a point and the grid cell it lies in
    assert {key for key in taken_in[1] if key[0] in nearer} != {
        key for key in before[1] if key[0] in nearer
    }
    session.close()


def test_a_stop_of_a_mode_no_unit_had_refreshes_the_store_whole(database_url, engine):
    _load_helsinki(database_url)
    session = make_sessionmaker(engine)()
    site = _farthest_from_any_stop(session)
    up_to_date = up_to_date_datasets(session)
    stop_id = _add_stop(session, site, ("funicular",))
    assert sorted(take_in_new_stop(session, stop_id, up_to_date)) == sorted([GRID, POINTS])
    session.commit()
    funicular = session.scalar(select(func.min(PopulationUnit.nearest_funicular_m)))
    assert funicular is not None and funicular < 400
    session.close()


def _load_helsinki(url: str) -> None:
    from tests.helsinki import _load

    _load(url)


def test_of_two_routes_named_alike_only_the_one_serving_the_site_calls_at_the_stop(
    session, planner, tmp_path
):
    _import(session, tmp_path, "feed")
    # Another operator's line "1", 40 km away.
    far = Route(
        feed="elsewhere",
        gtfs_route_id="1",
        short_name="1",
        route_type=0,
        trips_per_weekday=500,
        path=from_shape(MultiLineString([[(25.6, 60.4), (25.7, 60.4)]]), srid=4326),
    )
    session.add(far)
    session.commit()
    project = _open(session, planner)
    stop = _project_stop(session, project)
    near = session.scalar(select(Route).where(Route.feed == "city"))
    assert {call.route_id for call in stop.calls} == {near.id}
    assert stop.trips_per_weekday == near.trips_per_weekday
    assert [mode.mode for mode in stop.modes] == ["bus"], "not the far line's tram"


def test_the_requests_around_the_new_stop_are_scored_again(session, planner, tmp_path):
    _import(session, tmp_path, "feed")
    around = file_request(session, title="Round the corner", point=offset(SITE, 180, 300))
    far_away = file_request(session, title="Up the hill", point=offset(SITE, 20, 2300))
    project = approve_request(session, planner, point=SITE)
    write_scores(session, [around.id, far_away.id])
    session.commit()
    assert due_count(session) == 0

    take_to_stage(session, project, planner, "construction")
    today = utc_now().date()
    projects.finish_construction(session, project.id, version_of(session, project), planner, today)
    projects.set_launch(session, project.id, version_of(session, project), planner, ["1"], today)
    projects.put_in_service(session, project.id, version_of(session, project), planner)

    session.expire_all()
    assert due_count(session) == 1
    assert (
        score_basis(default_settings().evaluation)
        != session.get(StopRequest, around.id).score_basis
    )
    assert session.get(StopRequest, far_away.id).score_basis == score_basis(
        default_settings().evaluation
    )


def test_seeding_the_demo_again_removes_the_stop_a_demo_project_opened_since(session):
    seed_demo_city(session, "en")
    waiting = session.scalars(
        select(StopProject).where(StopProject.status != ProjectStage.IN_SERVICE)
    ).first()
    # As if a planner had since put it in service: its stop in our own feed.
    session.add(
        Stop(
            feed=PROJECT_FEED,
            gtfs_stop_id=project_stop_id(waiting.id),
            name=waiting.name,
            location=waiting.location,
        )
    )
    session.commit()
    seed_demo_city(session, "en")
    assert session.scalar(select(func.count(Stop.id)).where(Stop.feed == PROJECT_FEED)) == 0


def test_a_store_in_a_configured_national_crs_is_refreshed_whole(database_url, engine):
    from dataclasses import replace

    from transitreq.services.context import SETTINGS_KEY

    _load_helsinki(database_url)
    session = make_sessionmaker(engine)()
    settings = default_settings(METRIC_SRID=3067)  # ETRS-TM35FIN, Finland's national grid
    session.info[SETTINGS_KEY] = replace(settings)
    refresh_coverage(session)
    session.commit()
    up_to_date = up_to_date_datasets(session)
    assert len(up_to_date) == 2
    stop_id = _add_stop(session, _farthest_from_any_stop(session), ("bus",))
    assert sorted(take_in_new_stop(session, stop_id, up_to_date)) == sorted([GRID, POINTS])
    session.close()
