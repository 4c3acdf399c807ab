"""The metric CRS every area and along-line length is computed in.

A deployment names its own (``METRIC_SRID``, e.g. 3067 for Finland) or gets the UTM zone of its
service areas' centre. UTM keeps scale within 0.04 % inside a zone, far below the 1 % the
planners' numbers need, and both PostGIS and SpatiaLite carry every UTM zone.
"""

from __future__ import annotations

import math

from sqlalchemy.orm import Session

from transitreq.geo.service_areas import service_areas_extent


def utm_srid(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 / UTM zone containing (lon, lat)."""
    zone = min(int(math.floor((lon + 180.0) / 6.0)) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


def metric_srid(session: Session, configured_srid: int, lon: float, lat: float) -> int:
    """The configured SRID, else the UTM zone of the service areas (or of the point itself)."""
    if configured_srid:
        return configured_srid
    extent = service_areas_extent(session)
    if extent is not None:
        lon = (extent.min_lon + extent.max_lon) / 2
        lat = (extent.min_lat + extent.max_lat) / 2
    return utm_srid(lon, lat)
