"""The one way maps are built: folium builds a shell, our script draws everything on it.

folium (through branca) compiles the output of every element it renders as a Jinja template
once more, so any text inside a folium element is template source: a resident's title
``{{ 7*7 }}`` would be evaluated on the server. By design, therefore, nothing but numbers we
chose ever goes into folium: the shell is the Leaflet map (centre, zoom, scale bar, our own
assets) and a line that publishes it to the page. Everything else — tiles, the layer switcher,
every data layer, marks and circles with their labels — is described by a configuration
dictionary that the page's template writes as JSON (``tojson``) and ``static/js/map_core.js``
draws, setting every text as text. Data layers come from the ``/api/layers/*`` endpoints for the
view's box and zoom (points counted per grid cell where many, lines simplified), so a page's
size does not grow with the city.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import folium
from branca.element import MacroElement
from jinja2 import Template
from markupsafe import Markup

from transitreq.geo.metric import BoundingBox
from transitreq.i18n import html_lang
from transitreq.web import assets
from transitreq.web.app_settings import settings
from transitreq.web.map_messages import map_messages
from transitreq.web.security import csp_nonce

MAX_ZOOM = 19
MIN_ZOOM = 3
_FOLIUM_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>', re.DOTALL)
_BARE_SCRIPT_TAG = re.compile(r"<script>")
# The data layers map_core.js knows how to load, each from /api/layers/<name>.
DATA_LAYERS = frozenset({"service_areas", "routes", "stops", "new_stops", "requests"})


@dataclass(frozen=True)
class MapMark:
    """A point the page itself marks: the evaluated site, a resident's pin, a project site."""

    lat: float
    lon: float
    label: str
    kind: str
    colour: str | None = None


@dataclass(frozen=True)
class MapCircle:
    """A circle in metres around a point (a catchment, a reach), with an optional label."""

    lat: float
    lon: float
    radius_m: float
    label: str = ""
    class_name: str = "catchment"
    fill_opacity: float = 0.06


@dataclass(frozen=True)
class MapArea:
    """A shape the page draws over its circles (a walking area), as a GeoJSON geometry."""

    geometry: dict[str, Any]
    label: str = ""
    class_name: str = "walking-area"


@dataclass(frozen=True)
class MapShell:
    """What a page places in its template: the folium pieces (free of any data) and the
    configuration our script reads, written by the template with ``tojson``."""

    header: Markup
    body: Markup
    script: Markup
    config: dict[str, Any] = field(default_factory=dict)


class _ExposeMap(MacroElement):
    """Publish the Leaflet map as ``window.transitreqMap`` for our scripts."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "window.transitreqMap = {{ this._parent.get_name() }};"
        "{% endmacro %}"
    )


def _folium_shell(
    element_id: str, centre: tuple[float, float], zoom: int, extent: BoundingBox | None
) -> tuple[Markup, Markup, Markup]:
    """The Leaflet map alone, rendered: only numbers and our own asset URLs go in."""
    assets_used = (
        tuple(assets.leaflet_js() + assets.marker_cluster_js()),
        tuple(assets.leaflet_css() + assets.marker_cluster_css()),
    )
    header, body, script = _rendered_shell(element_id, centre, zoom, extent, assets_used)
    # Inline scripts run only with this response's CSP nonce (see web/security.py).
    nonce_attribute = f'<script nonce="{csp_nonce()}">'
    return (
        Markup(_BARE_SCRIPT_TAG.sub(nonce_attribute, header)),
        Markup(body),
        Markup(nonce_attribute) + Markup(script) + Markup("</script>"),
    )


@lru_cache(maxsize=256)
def _rendered_shell(
    element_id: str,
    centre: tuple[float, float],
    zoom: int,
    extent: BoundingBox | None,
    assets_used: tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]],
) -> tuple[str, str, str]:
    """folium's rendering of a map, kept per map: the same numbers give the same shell, and
    branca compiles a template for each element it renders (about half the home page's time)."""
    # The scale bar is map_core.js's: metric only, as every distance on our pages is.
    fmap = folium.Map(location=centre, zoom_start=zoom, tiles=None, control_scale=False)
    # With no tile layer Leaflet knows no zoom limit, and marker clustering refuses to start
    # without one: state it on the map itself.
    fmap.options.update(max_zoom=MAX_ZOOM, min_zoom=MIN_ZOOM)
    fmap.default_js, fmap.default_css = list(assets_used[0]), list(assets_used[1])
    fmap._id = element_id
    if extent is not None:
        fmap.fit_bounds(
            [[extent.min_lat, extent.min_lon], [extent.max_lat, extent.max_lon]],
            padding=(20, 20),
            max_zoom=16,
        )
    _ExposeMap().add_to(fmap)
    root = fmap.get_root()
    root.render()
    # folium's header forbids zooming the page (user-scalable=no), which fails residents who
    # enlarge text; our base template sets its own viewport.
    header = _FOLIUM_VIEWPORT.sub("", root.header.render())
    return header, root.html.render(), root.script.render()


def map_shell(
    element_id: str,
    *,
    centre: tuple[float, float] | None = None,
    zoom: int = 15,
    extent: BoundingBox | None = None,
    layers: Sequence[str] = (),
    marks: Sequence[MapMark] = (),
    circles: Sequence[MapCircle] = (),
    areas: Sequence[MapArea] = (),
) -> MapShell:
    """A map framed on ``extent`` (or centred on ``centre``), loading the named data layers for
    the area in view and drawing the page's marks, circles and areas (over the circles)."""
    unknown = set(layers) - DATA_LAYERS
    if unknown:
        raise ValueError(f"unknown map layers: {sorted(unknown)}")
    if centre is None:
        centre = extent.centre_lat_lon if extent is not None else (0.0, 0.0)
        zoom = 13 if extent is not None else 2
    header, body, script = _folium_shell(element_id, centre, zoom, extent)
    tile_url = settings().tile_url
    config: dict[str, Any] = {
        "tiles": (
            {"url": tile_url, "attribution": settings().tile_attribution} if tile_url else None
        ),
        # The box the map was first framed on: "back to the service area" returns to it.
        "fit": (
            [[extent.min_lat, extent.min_lon], [extent.max_lat, extent.max_lon]]
            if extent is not None
            else None
        ),
        "layers": list(layers),
        "marks": [vars(mark) for mark in marks],
        "circles": [vars(circle) for circle in circles],
        "areas": [vars(area) for area in areas],
        "messages": map_messages(),
        # How the scripts write numbers (``toLocaleString``): the page's language.
        "locale": html_lang(),
    }
    return MapShell(header=header, body=body, script=script, config=config)
