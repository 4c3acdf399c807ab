"""The metric CRS every area and along-line length is computed in.

A deployment names its own (``METRIC_SRID``, e.g. 3067 for Finland), or each site is measured
in its own WGS 84 / UTM zone. UTM keeps scale within 0.04 % inside a zone, far below the 1 % the
planners' numbers need, and both PostGIS and SpatiaLite carry every UTM zone (SpatiaLite's own
table lacks zone 60 south; ``backends/spatialite.py`` adds it).
"""

from __future__ import annotations

import math
from functools import lru_cache

from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

# EPSG codes of every WGS 84 / UTM zone, north (326xx) and south (327xx).
UTM_SRIDS = tuple(range(32601, 32661)) + tuple(range(32701, 32761))


def utm_srid(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 / UTM zone containing (lon, lat)."""
    zone = min(int(math.floor((lon + 180.0) / 6.0)) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


@lru_cache(maxsize=64)
def transformer(source_srid: int, target_srid: int) -> Transformer:
    """A lon/lat-ordered transformer, made once per pair: making one costs about a millisecond,
    using one microseconds (pyproj's transformers are safe to share between threads)."""
    return Transformer.from_crs(source_srid, target_srid, always_xy=True)


def metric_srid(configured_srid: int, lon: float, lat: float) -> int:
    """The configured SRID, else the UTM zone of the site itself."""
    return configured_srid or utm_srid(lon, lat)


def check_metric_srid(srid: int) -> None:
    """Refuse at start a METRIC_SRID that is unknown or not a projected CRS in metres."""
    if not srid:
        return
    try:
        crs = CRS.from_epsg(srid)
    except CRSError:
        raise ValueError(f"METRIC_SRID {srid} is not a known EPSG code") from None
    units = {axis.unit_name for axis in crs.axis_info}
    if not crs.is_projected or units != {"metre"}:
        raise ValueError(f"METRIC_SRID {srid} must be a projected CRS in metres")
