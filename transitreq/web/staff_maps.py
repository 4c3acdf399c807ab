"""The staff's maps: a site's evaluation, a request under review, a stop project, the sites a
department signs off, and the planners' map. Shells from ``web/map_base.py``; the data comes
as JSON. Every label is made during the request, in the reader's language; the maps whose page
script adds more (the planners' map, the review pin) carry that script's sentences too
(``web/planner_messages.py``)."""

from __future__ import annotations

from collections.abc import Sequence

from transitreq.geo.metric import BoundingBox
from transitreq.i18n import _, format_number
from transitreq.services.analysis.layers import MAX_DENSITY_BOX_M, MAX_GAP_BOX_M
from transitreq.web.map_base import MapArea, MapCircle, MapMark, MapShell, map_shell
from transitreq.web.planner_messages import planner_messages
from transitreq.web.suggestion_messages import suggestion_messages
from transitreq.web.walk_messages import walk_messages


def _with_page_script(shell: MapShell) -> MapShell:
    """The shell, its messages joined by those of the page script drawing on it."""
    shell.config["messages"].update(planner_messages())
    shell.config["messages"].update(walk_messages())
    shell.config["messages"].update(suggestion_messages())
    return shell


def evaluation_map(
    lat: float,
    lon: float,
    radii_m: Sequence[int],
    nearest_stops: Sequence[MapMark],
    walking_areas: Sequence[MapArea] = (),
) -> MapShell:
    """The evaluated site with its catchments (the walking areas over the circles), the lines
    around it and the nearest stops."""
    return map_shell(
        "evaluation",
        centre=(lat, lon),
        zoom=15,
        layers=("routes",),
        circles=[
            MapCircle(
                lat,
                lon,
                radius_m,
                _("%(metres)s m catchment", metres=format_number(radius_m)),
                f"catchment catchment-{radius_m}",
            )
            for radius_m in sorted(radii_m, reverse=True)
        ],
        areas=walking_areas,
        marks=[*nearest_stops, MapMark(lat, lon, _("The site evaluated"), "site")],
    )


def review_map(lat: float, lon: float, colour: str) -> MapShell:
    """A request under review with the lines and the other requests around it; the page's
    script adds the draggable pin for where an approved stop would go."""
    shell = map_shell(
        "review",
        centre=(lat, lon),
        zoom=16,
        layers=("routes", "requests"),
        marks=[MapMark(lat, lon, _("The resident's pin"), "request", colour)],
    )
    return _with_page_script(shell)


def project_map(lat: float, lon: float, reach_m: float, linked: Sequence[MapMark]) -> MapShell:
    """A stop project's site, the circle within which routes are offered for its launch, the
    lines, and the residents' pins of the requests it answers."""
    return map_shell(
        "project",
        centre=(lat, lon),
        zoom=15,
        layers=("routes",),
        circles=[
            MapCircle(
                lat,
                lon,
                reach_m,
                _("Routes within %(metres)s m may call here", metres=format_number(reach_m)),
                "launch-reach",
                0.04,
            )
        ],
        marks=[*linked, MapMark(lat, lon, _("The new stop"), "project")],
    )


def sites_map(sites: Sequence[MapMark]) -> MapShell:
    """Several project sites on one small map, framed on all of them: a department's sign-offs."""
    lats = [site.lat for site in sites]
    lons = [site.lon for site in sites]
    if len(sites) > 1:
        extent = BoundingBox(min(lons), min(lats), max(lons), max(lats))
        return map_shell("sites", extent=extent, marks=sites)
    return map_shell("sites", centre=(lats[0], lons[0]), zoom=15, marks=sites)


# The largest view (each side, metres) the planners' map asks a layer for, by the layer's name
# in static/js/planner_map.js: past it, the map says on itself to zoom in rather than calling an
# endpoint that would refuse. A layer whose endpoint answers any box (with coarser cells) has
# no entry, and is asked at every zoom.
PLANNER_LAYER_BOX_LIMITS_M: dict[str, float] = {
    "population": MAX_DENSITY_BOX_M,
    "gapWalk": MAX_GAP_BOX_M,
}


def planner_map(extent: BoundingBox | None) -> MapShell:
    """The planners' map: lines and stops for the view; the page's script adds the requests
    from the review queue, population density, the coverage gap and the selected request."""
    shell = map_shell("planner", extent=extent, layers=("service_areas", "routes", "stops"))
    shell.config["layer_box_limits_m"] = PLANNER_LAYER_BOX_LIMITS_M
    return _with_page_script(shell)
