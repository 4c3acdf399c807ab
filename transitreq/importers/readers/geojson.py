"""GeoJSON FeatureCollections (RFC 7946), including the legacy ``crs`` member.

RFC 7946 coordinates are WGS 84 longitude/latitude. Files written before it (and by many tools
still) may carry a top-level ``"crs": {"type": "name", "properties": {"name": "EPSG:3067"}}``;
it is honoured by reprojecting. Rows are features numbered from 1 in file order.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pyproj import CRS
from shapely.errors import ShapelyError
from shapely.geometry import shape

from transitreq.errors import ImportFailed
from transitreq.importers.problems import problem
from transitreq.importers.readers import CHUNK_FEATURES, Layer, Record
from transitreq.importers.readers.crs import Reprojection, choose_crs, parse_crs

GEOMETRY_FIELD = "geometry"


@contextmanager
def open_geojson(path: Path, *, source_crs: str | None = None) -> Iterator[Layer]:
    """The features of a GeoJSON FeatureCollection (the whole document is parsed up front)."""
    source = path.name
    document = _load(path, source)
    features = _features(document, source)
    crs = choose_crs(_declared_crs(document, source), source_crs, source)
    fields = _property_names(features)
    yield Layer(
        source=source,
        fields=fields,
        geometry_field=GEOMETRY_FIELD,
        feature_count=len(features),
        records=_records(features, Reprojection(crs, source)),
    )


def _load(path: Path, source: str) -> Any:
    try:
        with path.open(encoding="utf-8-sig") as handle:
            return json.load(handle)
    except UnicodeDecodeError:
        raise ImportFailed(source, problem("geojson_not_utf8")) from None
    except json.JSONDecodeError as error:
        said = problem("json_invalid", line=error.lineno, column=error.colno, error=error.msg)
        raise ImportFailed(source, said) from None


def _features(document: Any, source: str) -> list:
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ImportFailed(source, problem("not_feature_collection"))
    features = document.get("features")
    if not isinstance(features, list):
        raise ImportFailed(source, problem("no_feature_list"))
    return features


def _declared_crs(document: dict, source: str) -> CRS | None:
    """The legacy (GeoJSON 2008) ``crs`` member, by name or by EPSG code; None if absent."""
    member = document.get("crs")
    if member is None:
        return None
    properties = member.get("properties") if isinstance(member, dict) else None
    if not isinstance(properties, dict):
        raise ImportFailed(source, problem("unknown_crs", crs=repr(member)), field="crs")
    if member.get("type") == "EPSG" and "code" in properties:
        return parse_crs(f"EPSG:{properties['code']}", source, field="crs")
    name = properties.get("name")
    if member.get("type") != "name" or not isinstance(name, str):
        raise ImportFailed(source, problem("unknown_crs", crs=repr(member)), field="crs")
    return parse_crs(name, source, field="crs")


def _property_names(features: list) -> tuple[str, ...]:
    """Every property name any feature has, in order of first appearance."""
    names: dict[str, None] = {}
    for feature in features:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if isinstance(properties, dict):
            names.update(dict.fromkeys(properties))
    return tuple(names)


def _records(features: list, reprojection: Reprojection) -> Iterator[Record]:
    for start in range(0, len(features), CHUNK_FEATURES):
        rows = range(start + 1, min(start + CHUNK_FEATURES, len(features)) + 1)
        parsed = [_parse_feature(features[row - 1], reprojection.source, row) for row in rows]
        geometries = reprojection.to_lon_lat(
            [geometry for geometry, _ in parsed], rows, GEOMETRY_FIELD, GEOMETRY_FIELD
        )
        for row, geometry, (_, properties) in zip(rows, geometries, parsed, strict=True):
            yield Record(row, geometry, properties)


def _parse_feature(feature: Any, source: str, row: int) -> tuple[Any, dict[str, Any]]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ImportFailed(source, problem("not_feature"), row)
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        raise ImportFailed(source, problem("properties_not_object"), row, "properties")
    geometry = feature.get(GEOMETRY_FIELD)
    if geometry is None:
        return None, properties
    try:
        return shape(geometry), properties
    except (ShapelyError, AttributeError, IndexError, KeyError, TypeError, ValueError) as error:
        said = problem("invalid_geojson_geometry", error=str(error))
        raise ImportFailed(source, said, row, GEOMETRY_FIELD) from None
