"""Geometry on the wire: the one place database geometries become GeoJSON."""

from __future__ import annotations

from typing import Any

from geoalchemy2 import WKBElement
from geoalchemy2.shape import to_shape
from shapely.geometry import Point, mapping
from shapely.geometry.base import BaseGeometry

# Seven decimals of a degree is about a centimetre: more only bloats the payload.
COORDINATE_DECIMALS = 7


def _rounded(coordinates: Any) -> Any:
    if isinstance(coordinates, (int, float)):
        return round(coordinates, COORDINATE_DECIMALS)
    return [_rounded(part) for part in coordinates]


def geometry_to_geojson(geometry: WKBElement | BaseGeometry) -> dict[str, Any]:
    """A GeoJSON geometry object from a stored geometry (WKB element) or a Shapely geometry."""
    shape = geometry if hasattr(geometry, "geom_type") else to_shape(geometry)
    as_mapping = mapping(shape)
    return {"type": as_mapping["type"], "coordinates": _rounded(as_mapping["coordinates"])}


def feature(
    geometry: WKBElement | BaseGeometry, properties: dict[str, Any], feature_id: Any = None
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "type": "Feature",
        "geometry": geometry_to_geojson(geometry),
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
    lon: float, lat: float, properties: dict[str, Any], feature_id: Any = None
) -> dict[str, Any]:
    """A Point feature straight from numbers: for thousands of map markers per response, without
    building a Shapely object for each."""
    result: dict[str, Any] = {
        "type": "Feature",
        "geometry": {
            "type": "Point",
            "coordinates": [round(lon, COORDINATE_DECIMALS), round(lat, COORDINATE_DECIMALS)],
        },
        "properties": properties,
    }
    if feature_id is not None:
        result["id"] = feature_id
    return result
