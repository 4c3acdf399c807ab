"""Computing the stored coverage: once per change of stops, population or settings, not per site.

For every unit of a population dataset: metres to the nearest stop of any mode and of each mode
(``PopulationUnit.nearest_*_m``); for polygon units, at each catchment radius the app uses, the
part beyond every stop's reach and, per mode, the part within reach of that mode's stops
(``CoveragePart``). It is the same geometry the evaluation used to draw per site (each stop a
circle of 32 segments a quarter, as far as its modes reach, in the metric CRS), drawn here once
with Shapely over all stops; each unit meets only the circles of the stops near it.

Why in Python rather than SQL: one nearest-neighbour search over a tree of the stops answers
1,000,000 points in seconds on both databases alike, where a per-row KNN query is a minute on
PostGIS and has no index at all on SpatiaLite. The database only stores and sums.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import shapely
from geoalchemy2.shape import from_shape
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from transitreq.backends import backend_of
from transitreq.geo.metric import BoundingBox, box_around
from transitreq.geo.metric_crs import UTM_SRIDS, metric_srid, transformer
from transitreq.geo.modes import ModeRules
from transitreq.geo.sql import CIRCLE_QUADRANT_SEGMENTS
from transitreq.models import (
    BEYOND,
    POINTS,
    SERVED,
    WGS84_SRID,
    CoveragePart,
    CoverageState,
    PopulationDataset,
    PopulationUnit,
    Stop,
    StopMode,
    utc_now,
)
from transitreq.models.coverage import stop_revision
from transitreq.models.population import STORED_MODES

_WRITE_BATCH = 20_000
# The temporary table the distances pass through on their way to population_units.
_DISTANCES = "coverage_distances_in"


@dataclass(frozen=True)
class StopsSeen:
    """How many stops there were and the highest id: a store computed for other stops is stale."""

    count: int
    last_id: int


@dataclass(frozen=True)
class _Stops:
    ids: np.ndarray
    points: np.ndarray  # shapely points in the metric CRS
    modes: list[frozenset[str]]


def settings_key(rules: ModeRules, radii_m: tuple[int, ...], configured_srid: int) -> str:
    """What the store depends on besides the data, as one comparable text."""
    return json.dumps(
        {
            "catchment_m": sorted(rules.catchment_m.items()),
            "new_stop_modes": sorted(rules.new_stop_modes),
            "radii_m": sorted(radii_m),
            "metric_srid": configured_srid,
        },
        sort_keys=True,
    )


def current_stop_revision(session: Session, *, lock: bool = False) -> int:
    """The stops' revision now (``models.coverage.stop_revision``), in this transaction; with
    ``lock``, held until it ends (PostgreSQL: no other stop change can commit in between;
    SQLite has one writer at a time anyway)."""
    statement = select(stop_revision.c.revision).where(stop_revision.c.id == 1)
    if lock:
        statement = statement.with_for_update()
    return int(session.scalar(statement))


def stops_seen(session: Session) -> StopsSeen:
    count, last_id = session.execute(select(func.count(Stop.id), func.max(Stop.id))).one()
    return StopsSeen(int(count or 0), int(last_id or 0))


def _read_stops(session: Session, to_metric: Transformer) -> _Stops:
    rows = session.execute(
        select(Stop.id, func.ST_X(Stop.location), func.ST_Y(Stop.location)).order_by(Stop.id)
    ).all()
    modes: dict[int, set[str]] = defaultdict(set)
    for stop_id, mode in session.execute(select(StopMode.stop_id, StopMode.mode)):
        modes[stop_id].add(mode)
    if not rows:
        return _Stops(np.array([], dtype=np.int64), np.array([], dtype=object), [])
    ids, lon, lat = (np.array(column) for column in zip(*rows, strict=True))
    x, y = to_metric.transform(lon.astype(float), lat.astype(float))
    return _Stops(ids, shapely.points(x, y), [frozenset(modes.get(i, ())) for i in ids])


def _read_units(session: Session, dataset: PopulationDataset):
    """(ids, WGS 84 geometries, population) of the dataset's units."""
    unit = PopulationUnit
    if dataset.geometry_kind == POINTS:
        rows = session.execute(
            select(unit.id, func.ST_X(unit.geom), func.ST_Y(unit.geom), unit.population)
            .where(unit.dataset_id == dataset.id)
            .order_by(unit.id)
        ).all()
        if not rows:
            return np.array([], dtype=np.int64), np.array([], dtype=object), np.array([])
        ids, lon, lat, people = (np.array(column) for column in zip(*rows, strict=True))
        return ids, shapely.points(lon.astype(float), lat.astype(float)), people.astype(float)
    rows = session.execute(
        select(unit.id, func.ST_AsBinary(unit.geom), unit.population)
        .where(unit.dataset_id == dataset.id)
        .order_by(unit.id)
    ).all()
    if not rows:
        return np.array([], dtype=np.int64), np.array([], dtype=object), np.array([])
    ids = np.array([row[0] for row in rows])
    shapes = shapely.from_wkb([bytes(row[1]) for row in rows])
    return ids, shapes, np.array([row[2] for row in rows], dtype=float)


def _reprojected(shapes: np.ndarray, transformer: Transformer) -> np.ndarray:
    def move(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(shapes, move)


def _effective_modes(stops: _Stops, rules: ModeRules) -> list[frozenset[str]]:
    """A stop no trip calls at counts as one of the new-stop modes (``geo/modes.py``)."""
    return [modes or rules.new_stop_modes for modes in stops.modes]


def _nearest_m(units: np.ndarray, stop_points: np.ndarray) -> np.ndarray:
    """Metres from each unit to the nearest of ``stop_points`` (NaN with no stop)."""
    distances = np.full(len(units), np.nan)
    if len(stop_points) == 0 or len(units) == 0:
        return distances
    tree = shapely.STRtree(stop_points)
    (unit_index, _), metres = tree.query_nearest(units, return_distance=True, all_matches=False)
    distances[unit_index] = metres
    return distances


def _distances(units: np.ndarray, stops: _Stops, rules: ModeRules) -> dict[str, np.ndarray]:
    """Column name → metres for every unit: the nearest stop, and the nearest of each mode."""
    columns = {"nearest_stop_m": _nearest_m(units, stops.points)}
    effective = _effective_modes(stops, rules)
    for mode in STORED_MODES:
        mask = np.array([mode in modes for modes in effective], dtype=bool)
        columns[f"nearest_{mode}_m"] = _nearest_m(units, stops.points[mask] if mask.any() else [])
    return columns


def _write_distances(session: Session, ids: np.ndarray, columns: dict[str, np.ndarray]) -> None:
    """Every unit's distances, in one pass: the rows streamed into a temporary table, then one
    UPDATE … FROM it (a million single-row updates would take minutes on PostgreSQL)."""
    names = list(columns)
    values = np.column_stack([columns[name] for name in names])
    missing = np.isnan(values)
    values = values.astype(object)
    values[missing] = None

    def rows():
        # Plain Python rows, a chunk at a time: NumPy builds them, not a loop per value.
        for start in range(0, len(ids), _WRITE_BATCH):
            chunk = np.column_stack(
                [
                    ids[start : start + _WRITE_BATCH].astype(object),
                    values[start : start + _WRITE_BATCH],
                ]
            )
            yield from (tuple(row) for row in chunk.tolist())

    session.execute(text(f"DROP TABLE IF EXISTS {_DISTANCES}"))
    declared = ", ".join(f"{name} DOUBLE PRECISION" for name in names)
    session.execute(
        text(f"CREATE TEMPORARY TABLE {_DISTANCES} (unit_id INTEGER PRIMARY KEY, {declared})")
    )
    backend_of(session).copy_rows(session.connection(), _DISTANCES, ["unit_id", *names], rows())
    assignments = ", ".join(f"{name} = d.{name}" for name in names)
    session.execute(
        text(
            f"UPDATE population_units SET {assignments} FROM {_DISTANCES} AS d"
            " WHERE population_units.id = d.unit_id"
        )
    )
    session.execute(text(f"DROP TABLE {_DISTANCES}"))


def _circles_union(
    stops: _Stops, candidates: np.ndarray, reach_m: np.ndarray
) -> BaseGeometry | None:
    if len(candidates) == 0:
        return None
    circles = shapely.buffer(
        stops.points[candidates], reach_m[candidates], quad_segs=CIRCLE_QUADRANT_SEGMENTS
    )
    return shapely.union_all(circles)


def _stop_reach_m(stops: _Stops, rules: ModeRules, radius_m: int, mode: str | None) -> np.ndarray:
    """How far each stop serves at ``radius_m`` (of ``mode`` only: NaN for the others), as
    ``geo/modes.py`` says: the farthest of its modes' catchments, at least the radius."""
    if mode is None:
        return np.array(
            [
                max([float(radius_m), *(rules.reach_m(m, radius_m) for m in ms)])
                for ms in stops.modes
            ]
        )
    effective = _effective_modes(stops, rules)
    reach = rules.reach_m(mode, radius_m)
    return np.array([reach if mode in modes else np.nan for modes in effective])


def _polygon_parts(
    dataset: PopulationDataset,
    ids: np.ndarray,
    shapes_m: np.ndarray,
    people: np.ndarray,
    stops: _Stops,
    rules: ModeRules,
    radii_m: tuple[int, ...],
    to_wgs84: Transformer,
) -> list[dict]:
    """Each polygon's part beyond every stop's reach, and within reach of each mode, per
    radius, as rows for ``coverage_parts``."""
    areas_m2 = shapely.area(shapes_m)
    tree = shapely.STRtree(stops.points) if len(stops.points) else None
    rows: list[dict] = []
    for radius_m in radii_m:
        for mode in (None, *STORED_MODES):
            reach_m = _stop_reach_m(stops, rules, radius_m, mode)
            counted = ~np.isnan(reach_m)
            if mode is not None and not counted.any():
                continue
            near = _stops_near(tree, shapes_m, reach_m, counted)
            for index, unit_shape in enumerate(shapes_m):
                if areas_m2[index] <= 0:
                    continue
                union = _circles_union(stops, near.get(index, np.array([], dtype=int)), reach_m)
                if mode is None:
                    part = unit_shape if union is None else unit_shape.difference(union)
                elif union is None:
                    continue
                else:
                    part = unit_shape.intersection(union)
                part_area_m2 = float(shapely.area(part))
                if part_area_m2 <= 0:
                    continue
                density = float(people[index]) / float(areas_m2[index])
                rows.append(
                    {
                        "dataset_id": dataset.id,
                        "unit_id": int(ids[index]),
                        "radius_m": int(radius_m),
                        "kind": BEYOND if mode is None else SERVED,
                        "mode": mode or "",
                        "geom": from_shape(_reprojected(part, to_wgs84), srid=WGS84_SRID),
                        "population": density * part_area_m2,
                        "people_per_m2": density,
                        "area_m2": part_area_m2,
                    }
                )
    return rows


def _stops_near(tree, shapes_m: np.ndarray, reach_m: np.ndarray, counted: np.ndarray) -> dict:
    """Unit index → indexes of the counted stops whose circle can meet it."""
    if tree is None or not counted.any():
        return {}
    farthest_m = float(np.nanmax(reach_m))
    unit_index, stop_index = tree.query(shapes_m, predicate="dwithin", distance=farthest_m)
    keep = counted[stop_index]
    near: dict[int, list[int]] = defaultdict(list)
    for unit, stop in zip(unit_index[keep], stop_index[keep], strict=True):
        near[int(unit)].append(int(stop))
    return {unit: np.array(found, dtype=int) for unit, found in near.items()}


def _dataset_srid(shapes: np.ndarray, configured_srid: int) -> int:
    if len(shapes) == 0:
        return configured_srid or 32631
    min_x, min_y, max_x, max_y = shapely.total_bounds(shapes)
    return metric_srid(configured_srid, (min_x + max_x) / 2, (min_y + max_y) / 2)


def refresh_dataset(
    session: Session,
    dataset: PopulationDataset,
    rules: ModeRules,
    radii_m: tuple[int, ...],
    configured_srid: int,
) -> None:
    """Compute and store one dataset's coverage, replacing what was stored; the caller's
    transaction commits it."""
    ids, shapes, people = _read_units(session, dataset)
    srid = _dataset_srid(shapes, configured_srid)
    # Read before the stops: a change committed while this runs (PostgreSQL reads each statement
    # afresh) then leaves the record behind the stops, so it is seen as stale, never the reverse.
    revision = current_stop_revision(session)
    seen = stops_seen(session)
    stops = _read_stops(session, transformer(WGS84_SRID, srid))
    shapes_m = _reprojected(shapes, transformer(WGS84_SRID, srid))
    _write_distances(session, ids, _distances(shapes_m, stops, rules))
    session.execute(delete(CoveragePart).where(CoveragePart.dataset_id == dataset.id))
    if dataset.geometry_kind != POINTS:
        rows = _polygon_parts(
            dataset, ids, shapes_m, people, stops, rules, radii_m, transformer(srid, WGS84_SRID)
        )
        for start in range(0, len(rows), _WRITE_BATCH):
            session.execute(insert(CoveragePart), rows[start : start + _WRITE_BATCH])
    state = session.get(CoverageState, dataset.id) or CoverageState(dataset_id=dataset.id)
    state.settings_key = settings_key(rules, radii_m, configured_srid)
    state.radii_m = sorted(radii_m)
    state.metric_srid = srid
    state.extent = [float(value) for value in shapely.total_bounds(shapes)] if len(ids) else []
    _record_stops(session, state, seen, revision)


def _record_stops(session: Session, state: CoverageState, seen: StopsSeen, revision: int) -> None:
    state.stop_count = seen.count
    state.last_stop_id = seen.last_id
    state.stops_revision = revision
    state.refreshed_at = utc_now()
    session.add(state)
    session.flush()


def refresh_near_new_stop(
    session: Session,
    dataset: PopulationDataset,
    rules: ModeRules,
    radii_m: tuple[int, ...],
    stop_id: int,
) -> bool:
    """Take one stop just added into a store that was up to date before it, touching only the
    units it can change: those it is now nearer to than their nearest stop (of any mode, and
    of each of its modes), and the polygons within its reach, whose parts are drawn again
    against every stop near them. The result is what ``refresh_dataset`` would store.

    False, with nothing written, when the change cannot be bounded that way: some unit had no
    stop at all of one of the new stop's modes, or the reach wraps around 180°. The caller
    then refreshes the dataset whole.
    """
    # Locked: a whole refresh or a population import rewriting the store meanwhile waits.
    state = session.get(CoverageState, dataset.id, with_for_update=True)
    if state.metric_srid not in UTM_SRIDS:
        # The box below is drawn in geodesic metres; a UTM zone's scale stays within 0.04 % of
        # them, another projection's (a configured national CRS) need not.
        return False
    revision = current_stop_revision(session)
    lon, lat = (
        float(value)
        for value in session.execute(
            select(func.ST_X(Stop.location), func.ST_Y(Stop.location)).where(Stop.id == stop_id)
        ).one()
    )
    modes = frozenset(session.scalars(select(StopMode.mode).where(StopMode.stop_id == stop_id)))
    effective = modes or rules.new_stop_modes
    touched = [
        "nearest_stop_m",
        *(f"nearest_{mode}_m" for mode in STORED_MODES if mode in effective),
    ]
    unit = PopulationUnit
    farthest_row = session.execute(
        select(
            func.count(),
            *(func.count(getattr(unit, name)) for name in touched),
            *(func.max(getattr(unit, name)) for name in touched),
        ).where(unit.dataset_id == dataset.id)
    ).one()
    total = farthest_row[0]
    counted = farthest_row[1 : 1 + len(touched)]
    farthest = farthest_row[1 + len(touched) :]
    # A unit with no stop of a mode yet may be nearest to this one however far away it is.
    if any(count < total for count in counted):
        return False
    # The farthest the new stop serves, at any radius, for any of its modes.
    reach_m = max(
        [
            *(float(radius) for radius in radii_m),
            *(rules.reach_m(mode, radius) for mode in effective for radius in radii_m),
        ]
    )
    bound_m = max([reach_m, *(float(value) for value in farthest if value is not None)])
    box = box_around(lon, lat, bound_m * 1.01 + 10.0)
    if box.min_lon <= -180.0 or box.max_lon >= 180.0:
        return False
    if total:
        _take_in_stop(
            session, dataset, state.metric_srid, box, (lon, lat), touched, rules, radii_m, reach_m
        )
    _record_stops(session, state, stops_seen(session), revision)
    return True


def _take_in_stop(
    session: Session,
    dataset: PopulationDataset,
    srid: int,
    box: BoundingBox,
    lon_lat: tuple[float, float],
    touched: list[str],
    rules: ModeRules,
    radii_m: tuple[int, ...],
    reach_m: float,
) -> None:
    to_metric = transformer(WGS84_SRID, srid)
    names = ["nearest_stop_m", *(f"nearest_{mode}_m" for mode in STORED_MODES)]
    unit = PopulationUnit
    # One read: the units and what is stored for them, row for row.
    rows = session.execute(
        select(
            unit.id,
            func.ST_AsBinary(unit.geom),
            unit.population,
            *(getattr(unit, name) for name in names),
        )
        .where(unit.dataset_id == dataset.id, backend_of(session).in_box(unit.geom, box))
        .order_by(unit.id)
    ).all()
    if not rows:
        return
    ids = np.array([row[0] for row in rows])
    shapes = shapely.from_wkb([bytes(row[1]) for row in rows])
    people = np.array([row[2] for row in rows], dtype=float)
    old = {
        name: np.array([np.nan if row[3 + i] is None else row[3 + i] for row in rows], dtype=float)
        for i, name in enumerate(names)
    }
    shapes_m = _reprojected(shapes, to_metric)
    site = shapely.points(*to_metric.transform(*lon_lat))
    metres = shapely.distance(shapes_m, site)
    new = {name: np.fmin(old[name], metres) if name in touched else old[name] for name in names}
    changed = np.zeros(len(ids), dtype=bool)
    for name in touched:
        changed |= new[name] < old[name]
    if changed.any():
        _write_distances(
            session, ids[changed], {name: values[changed] for name, values in new.items()}
        )
    if dataset.geometry_kind == POINTS:
        return
    within = metres <= reach_m
    if not within.any():
        return
    near_ids, near_shapes = ids[within], shapes_m[within]
    stops = _stops_around(session, to_metric, near_shapes, rules, radii_m)
    rows = _polygon_parts(
        dataset,
        near_ids,
        near_shapes,
        people[within],
        stops,
        rules,
        radii_m,
        transformer(srid, WGS84_SRID),
    )
    for start in range(0, len(near_ids), _WRITE_BATCH):
        chunk = [int(value) for value in near_ids[start : start + _WRITE_BATCH]]
        session.execute(
            delete(CoveragePart).where(
                CoveragePart.dataset_id == dataset.id, CoveragePart.unit_id.in_(chunk)
            )
        )
    for start in range(0, len(rows), _WRITE_BATCH):
        session.execute(insert(CoveragePart), rows[start : start + _WRITE_BATCH])


def _stops_around(
    session: Session,
    to_metric: Transformer,
    shapes_m: np.ndarray,
    rules: ModeRules,
    radii_m: tuple[int, ...],
) -> _Stops:
    """Every stop whose reach can meet ``shapes_m``: those within the farthest any stop
    reaches of their bounds."""
    stops = _read_stops(session, to_metric)
    if not len(stops.ids):
        return stops
    margin_m = max(rules.farthest_reach_m(radius) for radius in radii_m) + 1.0
    min_x, min_y, max_x, max_y = shapely.total_bounds(shapes_m)
    x, y = shapely.get_x(stops.points), shapely.get_y(stops.points)
    keep = (
        (x >= min_x - margin_m)
        & (x <= max_x + margin_m)
        & (y >= min_y - margin_m)
        & (y <= max_y + margin_m)
    )
    return _Stops(
        stops.ids[keep], stops.points[keep], [stops.modes[i] for i in np.flatnonzero(keep)]
    )
