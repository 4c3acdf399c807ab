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
from transitreq.importers.readers import GEOJSON_SUFFIXES, Record, require_file
from transitreq.importers.readers.geojson import GEOMETRY_FIELD, open_geojson
from transitreq.models import WGS84_SRID, ServiceArea

MAX_NAME_CHARS = ServiceArea.__table__.c.name.type.length


@dataclass(frozen=True)
class AreasSummary:
    names: list[str]


def import_service_areas(session: Session, source: Path, name_field: str = "name") -> AreasSummary:
    """Load every named polygon of a GeoJSON file as a service area, replacing same-named ones.

    Raises ImportFailed (naming the feature, counted from 1, and the field) with nothing written
    for a missing, empty or repeated name, or a boundary that is not a valid (multi)polygon.
    """
    source = Path(source)
    require_file(source)
    if source.suffix.lower() not in GEOJSON_SUFFIXES:
        raise ImportFailed(
            source.name,
            f"unsupported file type {source.suffix or '(none)'!r}; "
            "service areas come as GeoJSON (.geojson or .json)",
        )
    with open_geojson(source) as layer:
        boundaries: dict[str, MultiPolygon] = {}
        first_row: dict[str, int] = {}
        for record in layer.records:
            name = _name(layer.source, record, name_field, first_row)
            boundaries[name] = _boundary(layer.source, record)
            first_row[name] = record.row
    if not boundaries:
        raise ImportFailed(source.name, "the file has no features")
    with unit_of_work(session):
        session.execute(delete(ServiceArea).where(ServiceArea.name.in_(list(boundaries))))
        session.add_all(
            ServiceArea(name=name, boundary=from_shape(boundary, srid=WGS84_SRID))
            for name, boundary in boundaries.items()
        )
    return AreasSummary(names=list(boundaries))


def _name(source: str, record: Record, name_field: str, first_row: dict[str, int]) -> str:
    value = record.properties.get(name_field)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ImportFailed(source, "the area has no name", record.row, name_field)
    if not isinstance(value, str):
        raise ImportFailed(source, f"the name must be text, not {value!r}", record.row, name_field)
    name = value.strip()
    if len(name) > MAX_NAME_CHARS:
        raise ImportFailed(
            source, f"the name is longer than {MAX_NAME_CHARS} characters", record.row, name_field
        )
    if name in first_row:
        raise ImportFailed(
            source,
            f"the name {name!r} is already used by row {first_row[name]}",
            record.row,
            name_field,
        )
    return name


def _boundary(source: str, record: Record) -> MultiPolygon:
    geometry = record.geometry
    if geometry is None or geometry.is_empty:
        raise ImportFailed(source, "the area has no boundary", record.row, GEOMETRY_FIELD)
    if not isinstance(geometry, Polygon | MultiPolygon):
        raise ImportFailed(
            source,
            f"a {geometry.geom_type} cannot bound an area; use Polygon or MultiPolygon",
            record.row,
            GEOMETRY_FIELD,
        )
    if not shapely.is_valid(geometry):
        raise ImportFailed(
            source,
            f"invalid geometry: {shapely.is_valid_reason(geometry)}",
            record.row,
            GEOMETRY_FIELD,
        )
    return geometry if isinstance(geometry, MultiPolygon) else MultiPolygon([geometry])
