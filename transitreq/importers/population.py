"""Population layers: read a file of polygons, points or raster cells, check it, then load it.

A layer is either areal units (polygons and raster cells, counted by the share of their area
inside a catchment) or points (counted whole). The file is checked whole before the database is
touched, and what a row carries decides what happens to it:

- **skipped, with a warning**: a row with no geometry (null or empty), or with no population (a
  blank cell, null, or NaN). Without either it can say nothing about where people live, and
  leaving it out changes no other row's answer. ``strict`` refuses the file instead.
- **kept as null, with an info**: a blank optional extra cell (``extra_fields``).
- **refused**, naming file, row and field: a population or extra count that is not a number, is
  infinite, or (for population) negative; a geometry that is invalid, not a point or polygon,
  or of the other kind than the rest. Loading such a row would make every answer that counts it
  wrong. So is a file where every row was skipped: there would be nothing to load.

Rasters decide for their cells in their reader (``readers/raster.py``). Accepted units go to a
temporary file (``population_units.py``) and are written in one transaction with the import's
record (``records.py``), replacing an earlier dataset of the same name and its record.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy import LargeBinary, bindparam, delete, func, insert, select
from sqlalchemy.orm import Session

from transitreq.db import unit_of_work
from transitreq.errors import ImportFailed
from transitreq.importers.population_units import UnitChunk, UnitSpool, unit_spool
from transitreq.importers.problems import Problem, problem
from transitreq.importers.readers import CHUNK_FEATURES, Layer, Record, open_layer
from transitreq.importers.records import record_import
from transitreq.importers.report import ImportReport
from transitreq.importers.street_links import link_population
from transitreq.models import (
    POINTS,
    POLYGONS,
    WGS84_SRID,
    DatasetKind,
    PopulationDataset,
    PopulationUnit,
)
from transitreq.services.analysis.coverage import refresh_coverage

MAX_NAME_CHARS = PopulationDataset.__table__.c.name.type.length
DEFAULT_POPULATION_FIELD = "population"

ROW_WITHOUT_GEOMETRY = "row_without_geometry"
ROW_WITHOUT_POPULATION = "row_without_population"
BLANK_OPTIONAL_VALUE = "blank_optional_value"

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
    # Rows (or raster cells) read but not loaded; the report says why.
    skipped: int
    report: ImportReport


def import_population(
    session: Session,
    source: Path,
    *,
    name: str,
    population_field: str = DEFAULT_POPULATION_FIELD,
    extra_fields: Sequence[str] = (),
    layer: str | None = None,
    lon_field: str = "lon",
    lat_field: str = "lat",
    source_crs: str | None = None,
    strict: bool = False,
    progress: Progress | None = None,
) -> PopulationSummary:
    """Load a population layer as dataset ``name``, replacing an earlier dataset of that name.

    The format follows the extension (``readers.open_layer``); a raster's cells carry their
    value in ``population``. ``extra_fields`` are further numeric columns kept per unit
    (elderly, jobs). ``strict`` refuses the file at the first warning instead of skipping the
    row. ``progress(stage, done, total)`` hears of reading ("validating") and "writing".
    Raises ImportFailed, naming file, row and field, with the database untouched.
    """
    source = Path(source)
    _check_name(name, source.name)
    extras = tuple(dict.fromkeys(extra_fields))
    report = ImportReport(source.name, strict=strict)
    notify = progress or _no_progress
    with unit_spool() as units:
        with open_layer(
            source,
            report=report,
            layer=layer,
            lon_field=lon_field,
            lat_field=lat_field,
            source_crs=source_crs,
        ) as opened:
            skipped = _validate(opened, population_field, extras, units, report, notify)
        dataset = PopulationDataset(
            name=name,
            source=source.name,
            population_field=population_field,
            geometry_kind=units.kind,
            extra_fields=list(extras),
            unit_count=units.count,
            total_population=units.total_population,
        )
        with unit_of_work(session):
            _replace_dataset(session, dataset, units, notify)
            link_population(session, dataset.id)
            refresh_coverage(session, [dataset.id])
            record_import(
                session,
                DatasetKind.POPULATION,
                name,
                source,
                report,
                {"units": units.count, "people": units.total_population, "skipped": skipped},
                units.extent,
            )
    return PopulationSummary(
        name, dataset.geometry_kind, dataset.unit_count, dataset.total_population, skipped, report
    )


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    """Progress reports go nowhere unless a caller listens."""


def _check_name(name: str, source: str) -> None:
    if not name or not name.strip():
        raise ImportFailed(source, problem("dataset_needs_name"), field="name")
    if len(name) > MAX_NAME_CHARS:
        said = problem("dataset_name_too_long", max_chars=MAX_NAME_CHARS)
        raise ImportFailed(source, said, field="name")


def _require_fields(layer: Layer, names: Iterable[str]) -> None:
    for name in names:
        if name not in layer.fields:
            said = (
                problem("no_column", column=name, columns=list(layer.fields))
                if layer.fields
                else problem("no_column_none", column=name)
            )
            raise ImportFailed(layer.source, said, field=name)


def _chunks(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    while chunk := list(islice(records, size)):
        yield chunk


def _validate(
    layer: Layer,
    population_field: str,
    extras: tuple[str, ...],
    units: UnitSpool,
    report: ImportReport,
    notify: Progress,
) -> int:
    """Check every row into ``units``; returns how many rows (or cells) were left out."""
    if layer.feature_count == 0:
        raise ImportFailed(layer.source, problem("layer_no_features"))
    _require_fields(layer, (population_field, *extras))
    skipped = read = 0
    for chunk in _chunks(layer.records, CHUNK_FEATURES):
        read += len(chunk)
        geometries = np.array([record.geometry for record in chunk], dtype=object)
        absent = shapely.is_missing(geometries) | shapely.is_empty(geometries)
        kept: list[int] = []
        population: list[float] = []
        extra_values: list[tuple[float | None, ...]] = []
        for index, record in enumerate(chunk):
            people = _kept_population(layer, record, population_field, bool(absent[index]), report)
            if people is None:
                skipped += 1
                continue
            kept.append(index)
            population.append(people)
            extra_values.append(tuple(_extra(layer, record, name, report) for name in extras))
        if kept:
            units.kind = _check_geometries(
                layer, geometries[kept], [chunk[index].row for index in kept], units.kind
            )
            units.add(geometries[kept], population, extra_values)
        done = read + layer.skipped
        notify("validating", done, max(layer.feature_count, done))
    skipped += layer.skipped
    if units.count == 0 and skipped:
        raise ImportFailed(layer.source, problem("nothing_to_load", count=skipped))
    if units.count == 0:
        raise ImportFailed(layer.source, problem("layer_no_features"))
    return skipped


def _kept_population(
    layer: Layer, record: Record, field: str, no_geometry: bool, report: ImportReport
) -> float | None:
    """The row's population, or None (warned of) when the row is skipped."""
    if no_geometry:
        report.warn(
            ROW_WITHOUT_GEOMETRY,
            problem("no_geometry_skipped"),
            file=layer.source,
            row=record.row,
            field=layer.geometry_field,
        )
        return None
    value = record.properties.get(field)
    people = _count(layer.source, record.row, field, value, minimum=0.0)
    if people is None:
        report.warn(
            ROW_WITHOUT_POPULATION,
            problem("no_population_skipped"),
            file=layer.source,
            row=record.row,
            field=field,
            value=value,
        )
    return people


def _extra(layer: Layer, record: Record, field: str, report: ImportReport) -> float | None:
    value = record.properties.get(field)
    number = _count(layer.source, record.row, field, value)
    if number is None:
        report.info(
            BLANK_OPTIONAL_VALUE,
            problem("blank_stored_as_null"),
            file=layer.source,
            row=record.row,
            field=field,
            value=value,
        )
    return number


def _check_geometries(layer: Layer, geometries: np.ndarray, rows: list[int], kind: str | None):
    """Refuse invalid or unsupported geometry, or a second kind; return the layer's kind."""

    def fail_at(mask: np.ndarray, said: Callable[[Any], Problem]) -> None:
        if mask.any():
            index = int(np.argmax(mask))
            raise ImportFailed(
                layer.source, said(geometries[index]), rows[index], layer.geometry_field
            )

    type_ids = shapely.get_type_id(geometries)
    fail_at(
        ~np.isin(type_ids, list(_KIND_OF_TYPE)),
        lambda geometry: problem("cannot_hold_population", geometry_type=geometry.geom_type),
    )
    kind = kind or _KIND_OF_TYPE[int(type_ids[0])]
    mixed = "mixed_among_points" if kind == POINTS else "mixed_among_polygons"
    fail_at(
        np.array([_KIND_OF_TYPE[int(type_id)] != kind for type_id in type_ids]),
        lambda geometry: problem(mixed, geometry_type=geometry.geom_type),
    )
    fail_at(
        ~shapely.is_valid(geometries),
        lambda geometry: problem("invalid_geometry", reason=shapely.is_valid_reason(geometry)),
    )
    return kind


def _count(
    source: str, row: int, name: str, value: Any, minimum: float | None = None
) -> float | None:
    """A finite number from a cell (numbers, or text holding one); None for a blank cell
    (empty or spaces, null, NaN); ImportFailed for anything else, or for less than ``minimum``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError):
        said = problem("not_number", value=_quoted(value))
        raise ImportFailed(source, said, row, name) from None
    if math.isnan(number):
        return None
    if math.isinf(number):
        raise ImportFailed(source, problem("not_finite", value=_quoted(value)), row, name)
    if minimum is not None and number < minimum:
        raise ImportFailed(source, problem("negative", value=_quoted(value)), row, name)
    return number


def _quoted(value: Any) -> str:
    """A cell's value as a message quotes it: text as it is, anything else as Python shows it."""
    return value if isinstance(value, str) else repr(value)


def _replace_dataset(
    session: Session, dataset: PopulationDataset, units: UnitSpool, notify: Progress
) -> None:
    """Delete any dataset of the same name and write this one (inside the caller's
    transaction)."""
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
    written = 0
    for chunk in units.chunks():
        session.execute(statement, _unit_rows(dataset, chunk))
        written += len(chunk.wkb)
        notify("writing", written, units.count)


def _insert_unit_statement():
    """A bulk INSERT taking each geometry as WKB, through ST_GeomFromWKB on both backends.

    Exact, and cheaper than GeoAlchemy2's per-row conversion of a WKBElement to EWKT. Built
    afresh per import: compiling for SpatiaLite renames the function element in place, so a
    statement shared between a SpatiaLite and a PostGIS engine would break the latter.
    """
    return insert(PopulationUnit.__table__).values(
        geom=func.ST_GeomFromWKB(bindparam("geom_wkb", type_=LargeBinary), WGS84_SRID)
    )


def _unit_rows(dataset: PopulationDataset, chunk: UnitChunk) -> list[dict]:
    names = dataset.extra_fields
    return [
        {
            "dataset_id": dataset.id,
            "geom_wkb": wkb,
            "population": population,
            "attributes": dict(zip(names, extras, strict=True)),
        }
        for wkb, population, extras in zip(chunk.wkb, chunk.population, chunk.extras, strict=True)
    ]
