"""Coordinates coming in from residents: parse, check, and explain what is wrong."""

from __future__ import annotations

import math
import re

from shapely.geometry import Point

from transitreq.errors import InvalidCoordinates, SwappedCoordinates
from transitreq.i18n import _

# "60.17, 24.94", "60.17 24.94", "60.17;24.94": decimal degrees, latitude first.
_LAT_LON_TEXT = re.compile(
    r"^\s*(?P<lat>[-+]?\d+(?:\.\d+)?)\s*[,; ]\s*(?P<lon>[-+]?\d+(?:\.\d+)?)\s*$"
)


def _as_float(value: object, field: str, label: str) -> float:
    """``value`` as a number; ``label`` names it in the reader's language ("Latitude")."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidCoordinates(_("%(label)s is missing.", label=label), field)
    not_degrees = _("%(label)s must be a number in decimal degrees.", label=label)
    if isinstance(value, bool):
        raise InvalidCoordinates(not_degrees, field)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidCoordinates(not_degrees, field) from None
    if not math.isfinite(number):
        raise InvalidCoordinates(
            _("%(label)s must be a finite number, not “%(value)s”.", label=label, value=value),
            field,
        )
    return number


def point_from_lat_lon(lat: object, lon: object) -> Point:
    """A WGS 84 point (x = longitude, y = latitude) from user-supplied numbers.

    A latitude beyond ±90 that would be a fine longitude is almost always the two numbers given in
    the wrong order, so the message says so instead of a bare "out of range".
    """
    latitude = _as_float(lat, "lat", _("Latitude"))
    longitude = _as_float(lon, "lon", _("Longitude"))
    if not -90 <= latitude <= 90:
        if -90 <= longitude <= 90 and -180 <= latitude <= 180:
            raise SwappedCoordinates(
                _(
                    "Latitude %(lat)s is out of range; latitude and longitude look swapped: "
                    "did you mean %(lon)s, %(lat)s? Give latitude first.",
                    lat=latitude,
                    lon=longitude,
                ),
                "lat",
            )
        raise InvalidCoordinates(
            _("Latitude must be between -90 and 90, not %(lat)s.", lat=latitude), "lat"
        )
    if not -180 <= longitude <= 180:
        raise InvalidCoordinates(
            _("Longitude must be between -180 and 180, not %(lon)s.", lon=longitude), "lon"
        )
    return Point(longitude, latitude)


def parse_lat_lon_text(text: str, field: str = "location") -> Point:
    """Parse the typed "lat, lon" field used by residents without a mouse."""
    match = _LAT_LON_TEXT.match(text or "")
    if not match:
        raise InvalidCoordinates(
            _("Type the place as decimal latitude and longitude, e.g. 60.1699, 24.9384."), field
        )
    return point_from_lat_lon(match["lat"], match["lon"])


def swapped(point: Point) -> Point | None:
    """The same numbers read the other way round, if that is a valid position at all."""
    if -90 <= point.x <= 90:
        return Point(point.y, point.x)
    return None
