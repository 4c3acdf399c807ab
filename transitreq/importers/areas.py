"""Service areas: the named boundaries within which the transit office takes requests.

Boundaries come as a GeoJSON FeatureCollection of named polygons. An import replaces the areas
whose names it carries and keeps every other area, so one district can be redrawn alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import shapely
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy import delete
from sqlalchemy.orm import Session

from transitreq.db import unit_of_work
from transitreq.errors import ImportFailed
from transitreq.geo.metric import BoundingBox
from transitreq.importers.problems import problem
from transitreq.importers.readers import GEOJSON_SUFFIXES, Record, require_file
from transitreq.importers.readers.geojson import GEOMETRY_FIELD, open_geojson
from transitreq.importers.records import record_import
from transitreq.importers.report import ImportReport
from transitreq.models import WGS84_SRID, DatasetKind, ServiceArea
from transitreq.services.places.index import refresh_areas

MAX_NAME_CHARS = ServiceArea.__table__.c.name.type.length


@dataclass(frozen=True)
class AreasSummary:
    names: list[str]


def import_service_areas(
    session: Session, source: Path, name_field: str = "name", set_name: str | None = None
) -> AreasSummary:
    """Load every named polygon of a GeoJSON file as a service area, replacing same-named ones.

    The file's areas are recorded for the Data page as one set, ``set_name`` (the file's name
    without its suffix unless given). Raises ImportFailed (naming the feature, counted from 1,
    and the field) with nothing written for a missing, empty or repeated name, or a boundary
    that is not a valid (multi)polygon.
    """
    source = Path(source)
    require_file(source)
    if source.suffix.lower() not in GEOJSON_SUFFIXES:
        said = (
            problem("areas_unsupported_type", suffix=source.suffix)
            if source.suffix
            else problem("areas_no_suffix")
        )
        raise ImportFailed(source.name, said)
    with open_geojson(source) as layer:
        boundaries: dict[str, MultiPolygon] = {}
        first_row: dict[str, int] = {}
        for record in layer.records:
            name = _name(layer.source, record, name_field, first_row)
            boundaries[name] = _boundary(layer.source, record)
            first_row[name] = record.row
    if not boundaries:
        raise ImportFailed(source.name, problem("file_no_features"))
    min_lon, min_lat, max_lon, max_lat = shapely.total_bounds(list(boundaries.values()))
    with unit_of_work(session):
        session.execute(delete(ServiceArea).where(ServiceArea.name.in_(list(boundaries))))
        session.add_all(
            ServiceArea(name=name, boundary=from_shape(boundary, srid=WGS84_SRID))
            for name, boundary in boundaries.items()
        )
        refresh_areas(session)
        record_import(
            session,
            DatasetKind.SERVICE_AREAS,
            (set_name or source.stem)[:MAX_NAME_CHARS],
            source,
            ImportReport(source.name),
            {"areas": len(boundaries), "names": list(boundaries)},
            BoundingBox(float(min_lon), float(min_lat), float(max_lon), float(max_lat)),
        )
    return AreasSummary(names=list(boundaries))


def _name(source: str, record: Record, name_field: str, first_row: dict[str, int]) -> str:
    value = record.properties.get(name_field)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ImportFailed(source, problem("area_no_name"), record.row, name_field)
    if not isinstance(value, str):
        said = problem("area_name_not_text", value=repr(value))
        raise ImportFailed(source, said, record.row, name_field)
    name = value.strip()
    if len(name) > MAX_NAME_CHARS:
        said = problem("area_name_too_long", max_chars=MAX_NAME_CHARS)
        raise ImportFailed(source, said, record.row, name_field)
    if name in first_row:
        said = problem("area_name_taken", name=name, row=first_row[name])
        raise ImportFailed(source, said, record.row, name_field)
    return name


def _boundary(source: str, record: Record) -> MultiPolygon:
    geometry = record.geometry
    if geometry is None or geometry.is_empty:
        raise ImportFailed(source, problem("area_no_boundary"), record.row, GEOMETRY_FIELD)
    if not isinstance(geometry, Polygon | MultiPolygon):
        said = problem("area_not_polygon", geometry_type=geometry.geom_type)
        raise ImportFailed(source, said, record.row, GEOMETRY_FIELD)
    if not shapely.is_valid(geometry):
        said = problem("invalid_geometry", reason=shapely.is_valid_reason(geometry))
        raise ImportFailed(source, said, record.row, GEOMETRY_FIELD)
    return geometry if isinstance(geometry, MultiPolygon) else MultiPolygon([geometry])
