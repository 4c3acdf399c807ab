"""The residents' maps: the city with its lines, stops, new stops and requests, and the small
map of one request. Shells from ``web/map_base.py``; the data comes as JSON."""

from __future__ import annotations

from transitreq.geo.metric import BoundingBox
from transitreq.i18n import _
from transitreq.web.map_base import MapMark, MapShell, map_shell

CITY_LAYERS = ("service_areas", "routes", "stops", "new_stops", "requests")


def city_map(extent: BoundingBox | None) -> MapShell:
    """The residents' home map, framed on the service area, every layer loaded for the view."""
    return map_shell("city", extent=extent, layers=CITY_LAYERS)


def request_map(lat: float, lon: float, colour: str) -> MapShell:
    """The small map on a tracking page: the requested spot, with the lines around it."""
    return map_shell(
        "request",
        centre=(lat, lon),
        zoom=16,
        layers=("routes",),
        marks=(MapMark(lat, lon, _("The requested stop"), "request", colour),),
    )
