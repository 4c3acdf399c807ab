"""Geometry on the wire: the one place database geometries become GeoJSON."""

from __future__ import annotations

import math
from typing import Any

import numpy
import shapely
from geoalchemy2 import WKBElement
from geoalchemy2.shape import to_shape
from shapely.geometry import Point, mapping
from shapely.geometry.base import BaseGeometry

# Seven decimals of a degree is about a centimetre: more only bloats the payload.
COORDINATE_DECIMALS = 7


def decimals_for_zoom(zoom: int) -> int:
    """Decimals of a degree a map at ``zoom`` can show: the last one is under a screen pixel
    (256-pixel Web Mercator tiles), so more only bloats the payload; never more than 7."""
    pixels_per_degree = 256 * 2**zoom / 360
    return max(0, min(COORDINATE_DECIMALS, math.ceil(math.log10(pixels_per_degree))))


def _rounded(coordinates: Any, decimals: int) -> Any:
    if isinstance(coordinates, (int, float)):
        return round(coordinates, decimals)
    return [_rounded(part, decimals) for part in coordinates]


def geometry_to_geojson(
    geometry: WKBElement | BaseGeometry, decimals: int = COORDINATE_DECIMALS
) -> dict[str, Any]:
    """A GeoJSON geometry object from a stored geometry (WKB element) or a Shapely geometry,
    its coordinates rounded to ``decimals`` (see ``decimals_for_zoom``)."""
    shape = geometry if hasattr(geometry, "geom_type") else to_shape(geometry)
    if shape.geom_type in ("LineString", "MultiLineString"):
        return _lines_to_geojson(shape, decimals)
    as_mapping = mapping(shape)
    return {
        "type": as_mapping["type"],
        "coordinates": _rounded(as_mapping["coordinates"], decimals),
    }


def _lines_to_geojson(shape: BaseGeometry, decimals: int) -> dict[str, Any]:
    """Lines rounded by numpy, all parts at once: a city's routes are tens of thousands of
    vertices, which rounding one number at a time in Python takes a second over."""
    parts = shapely.get_parts(shape)
    coordinates, part_of = shapely.get_coordinates(parts, return_index=True)
    rounded = numpy.round(coordinates, decimals)
    splits = numpy.flatnonzero(numpy.diff(part_of)) + 1
    lines = [piece.tolist() for piece in numpy.split(rounded, splits)] if len(rounded) else []
    if shape.geom_type == "LineString":
        return {"type": "LineString", "coordinates": lines[0] if lines else []}
    return {"type": "MultiLineString", "coordinates": lines}


def feature(
    geometry: WKBElement | BaseGeometry,
    properties: dict[str, Any],
    feature_id: Any = None,
    decimals: int = COORDINATE_DECIMALS,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "type": "Feature",
        "geometry": geometry_to_geojson(geometry, decimals),
        "properties": properties,
    }
    if feature_id is not None:
        result["id"] = feature_id
    return result


def feature_collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def as_point(geometry: WKBElement) -> Point:
    return to_shape(geometry)


def point_feature(
    lon: float,
    lat: float,
    properties: dict[str, Any],
    feature_id: Any = None,
    decimals: int = COORDINATE_DECIMALS,
) -> dict[str, Any]:
    """A Point feature straight from numbers: for thousands of map markers per response, without
    building a Shapely object for each."""
    result: dict[str, Any] = {
        "type": "Feature",
        "geometry": {
            "type": "Point",
            "coordinates": [round(lon, decimals), round(lat, decimals)],
        },
        "properties": properties,
    }
    if feature_id is not None:
        result["id"] = feature_id
    return result
