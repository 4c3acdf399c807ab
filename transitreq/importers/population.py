"""Population layers: read a file of polygons or points, validate all of it, then load it.

A layer is either areal units (polygons, counted by the share of their area inside a catchment)
or points (counted whole). Everything is checked before the database is touched, so a bad row
anywhere leaves nothing behind; the accepted rows are held compactly (WKB and numbers) and
written in one transaction, in chunks of bulk inserts so a million points load in one go.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy import LargeBinary, bindparam, delete, func, insert, select
from sqlalchemy.orm import Session

from transitreq.db import unit_of_work
from transitreq.errors import ImportFailed
from transitreq.importers.readers import CHUNK_FEATURES, Layer, Record, open_layer
from transitreq.models import POINTS, POLYGONS, WGS84_SRID, PopulationDataset, PopulationUnit

# Rows per bulk INSERT: large enough to amortise round trips, small enough for steady progress.
INSERT_CHUNK_ROWS = 10_000
MAX_NAME_CHARS = PopulationDataset.__table__.c.name.type.length

# Shapely geometry type ids and the dataset kind each belongs to.
_POINT, _POLYGON, _MULTIPOLYGON = 0, 3, 6
_KIND_OF_TYPE = {_POINT: POINTS, _POLYGON: POLYGONS, _MULTIPOLYGON: POLYGONS}

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class PopulationSummary:
    name: str
    geometry_kind: str
    units: int
    total_population: float


@dataclass
class _Units:
    """A validated layer, held as WKB and numbers until it is written."""

    kind: str | None = None
    wkb: list[bytes] = field(default_factory=list)
    population: list[float] = field(default_factory=list)
    # One tuple per unit, in the order of the extra fields.
    extras: list[tuple[float, ...]] = field(default_factory=list)


def import_population(
    session: Session,
    source: Path,
    *,
    name: str,
    population_field: str,
    extra_fields: Sequence[str] = (),
    layer: str | None = None,
    lon_field: str = "lon",
    lat_field: str = "lat",
    source_crs: str | None = None,
    progress: Progress | None = None,
) -> PopulationSummary:
    """Load a population layer as dataset ``name``, replacing an earlier dataset of that name.

    The format follows the extension: .gpkg, .geojson/.json or .csv (points in ``lon_field``/
    ``lat_field``). ``extra_fields`` are further numeric columns kept per unit (elderly, jobs).
    ``progress(stage, done, total)`` hears of reading ("validating") and "writing".
    Raises ImportFailed, naming file, row and field, with the database untouched.
    """
    source = Path(source)
    _check_name(name, source.name)
    extras = tuple(dict.fromkeys(extra_fields))
    report = progress or _no_progress
    with open_layer(
        source, layer=layer, lon_field=lon_field, lat_field=lat_field, source_crs=source_crs
    ) as opened:
        units = _validated_units(opened, population_field, extras, report)
    dataset = PopulationDataset(
        name=name,
        source=source.name,
        population_field=population_field,
        geometry_kind=units.kind,
        extra_fields=list(extras),
        unit_count=len(units.wkb),
        total_population=math.fsum(units.population),
    )
    _replace_dataset(session, dataset, units, report)
    return PopulationSummary(
        name, dataset.geometry_kind, dataset.unit_count, dataset.total_population
    )


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    """Progress reports go nowhere unless a caller listens."""


def _check_name(name: str, source: str) -> None:
    if not name or not name.strip():
        raise ImportFailed(source, "the dataset needs a name", field="name")
    if len(name) > MAX_NAME_CHARS:
        raise ImportFailed(
            source, f"dataset name is longer than {MAX_NAME_CHARS} characters", field="name"
        )


def _require_fields(layer: Layer, names: Iterable[str]) -> None:
    for name in names:
        if name not in layer.fields:
            raise ImportFailed(
                layer.source,
                f"no column {name!r}; columns are: {', '.join(layer.fields) or 'none'}",
                field=name,
            )


def _chunks(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    while chunk := list(islice(records, size)):
        yield chunk


def _validated_units(
    layer: Layer, population_field: str, extras: tuple[str, ...], report: Progress
) -> _Units:
    """Every row checked: geometry kind and validity, a count ≥ 0, numeric extra fields."""
    if layer.feature_count <= 0:
        raise ImportFailed(layer.source, "the layer has no features")
    _require_fields(layer, (population_field, *extras))
    units = _Units()
    for chunk in _chunks(layer.records, CHUNK_FEATURES):
        geometries = np.array([record.geometry for record in chunk], dtype=object)
        rows = [record.row for record in chunk]
        units.kind = _check_geometries(layer, geometries, rows, units.kind)
        for record in chunk:
            properties = record.properties
            units.population.append(
                _number(layer.source, record.row, population_field, properties, minimum=0.0)
            )
            units.extras.append(
                tuple(_number(layer.source, record.row, name, properties) for name in extras)
            )
        units.wkb.extend(shapely.to_wkb(geometries))
        report("validating", len(units.wkb), max(layer.feature_count, len(units.wkb)))
    if not units.wkb:
        raise ImportFailed(layer.source, "the layer has no features")
    return units


def _check_geometries(layer: Layer, geometries: np.ndarray, rows: list[int], kind: str | None):
    """Refuse missing, empty, invalid or unsupported geometry, or a second kind; return the kind."""

    def fail_at(mask: np.ndarray, problem: Callable[[Any], str]) -> None:
        if mask.any():
            index = int(np.argmax(mask))
            raise ImportFailed(
                layer.source, problem(geometries[index]), rows[index], layer.geometry_field
            )

    fail_at(shapely.is_missing(geometries) | shapely.is_empty(geometries), lambda _: "no geometry")
    type_ids = shapely.get_type_id(geometries)
    fail_at(
        ~np.isin(type_ids, list(_KIND_OF_TYPE)),
        lambda geometry: (
            f"a {geometry.geom_type} cannot hold population; use Point, Polygon or MultiPolygon"
        ),
    )
    kind = kind or _KIND_OF_TYPE[int(type_ids[0])]
    fail_at(
        np.array([_KIND_OF_TYPE[int(type_id)] != kind for type_id in type_ids]),
        lambda geometry: (
            f"a {geometry.geom_type} among {kind}; a layer holds points or polygons, not both"
        ),
    )
    fail_at(
        ~shapely.is_valid(geometries),
        lambda geometry: f"invalid geometry: {shapely.is_valid_reason(geometry)}",
    )
    return kind


def _number(
    source: str, row: int, name: str, properties: dict[str, Any], minimum: float | None = None
) -> float:
    """A finite number from a cell (numbers, or text holding one); ImportFailed otherwise."""
    value = properties.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ImportFailed(source, "the value is missing", row, name)
    try:
        if isinstance(value, bool):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError):
        raise ImportFailed(source, f"{value!r} is not a number", row, name) from None
    if not math.isfinite(number):
        raise ImportFailed(source, f"{value!r} is not a finite number", row, name)
    if minimum is not None and number < minimum:
        raise ImportFailed(source, f"{value!r} is negative", row, name)
    return number


def _replace_dataset(
    session: Session, dataset: PopulationDataset, units: _Units, report: Progress
) -> None:
    """Delete any dataset of the same name and write this one, in one transaction."""
    with unit_of_work(session):
        earlier = select(PopulationDataset.id).where(PopulationDataset.name == dataset.name)
        session.execute(
            delete(PopulationUnit)
            .where(PopulationUnit.dataset_id.in_(earlier))
            .execution_options(synchronize_session=False)
        )
        session.execute(delete(PopulationDataset).where(PopulationDataset.name == dataset.name))
        session.add(dataset)
        session.flush()
        statement = _insert_unit_statement()
        total = len(units.wkb)
        for start in range(0, total, INSERT_CHUNK_ROWS):
            stop = min(start + INSERT_CHUNK_ROWS, total)
            session.execute(statement, _unit_rows(dataset, units, start, stop))
            report("writing", stop, total)


def _insert_unit_statement():
    """A bulk INSERT taking each geometry as WKB, through ST_GeomFromWKB on both backends.

    Exact, and cheaper than GeoAlchemy2's per-row conversion of a WKBElement to EWKT. Built
    afresh per import: compiling for SpatiaLite renames the function element in place, so a
    statement shared between a SpatiaLite and a PostGIS engine would break the latter.
    """
    return insert(PopulationUnit.__table__).values(
        geom=func.ST_GeomFromWKB(bindparam("geom_wkb", type_=LargeBinary), WGS84_SRID)
    )


def _unit_rows(dataset: PopulationDataset, units: _Units, start: int, stop: int) -> list[dict]:
    names = dataset.extra_fields
    return [
        {
            "dataset_id": dataset.id,
            "geom_wkb": units.wkb[index],
            "population": units.population[index],
            "attributes": dict(zip(names, units.extras[index], strict=True)),
        }
        for index in range(start, stop)
    ]
