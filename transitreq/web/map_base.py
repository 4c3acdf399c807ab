"""The one way maps are built: folium with our own Leaflet assets, our tiles (or none), a
nonce on every script, and every tooltip or popup bound as escaped text. The residents' maps
(``web/maps.py``) and the staff's (``web/staff_maps.py``) are drawn with these parts only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import folium
from branca.element import MacroElement
from flask import current_app
from jinja2 import Template
from markupsafe import Markup, escape

from transitreq.geo.metric import BoundingBox
from transitreq.web import assets
from transitreq.web.security import csp_nonce

MAX_ZOOM = 19
MIN_ZOOM = 3
_FOLIUM_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>', re.DOTALL)
_BARE_SCRIPT_TAG = re.compile(r"<script>")


@dataclass(frozen=True)
class RenderedMap:
    """The three pieces of a folium page, to place inside our own templates."""

    header: Markup
    body: Markup
    script: Markup


class ExposeMap(MacroElement):
    """Publish the Leaflet map as ``window.transitreqMap`` for the page's own scripts."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "window.transitreqMap = {{ this._parent.get_name() }};"
        "{% endmacro %}"
    )


class BoundContent(MacroElement):
    """A tooltip or popup bound to its layer as a JSON string.

    folium puts tooltip text inside a JavaScript template literal, where a backtick or ``${…}``
    in a resident's title would run as code, and its popups need jQuery, which we do not ship.
    Here the content is HTML-escaped by the caller and then JSON-encoded (``tojson`` also escapes
    ``<``, ``>`` and ``&``), so user text can never leave the string.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.{{ this.method }}({{ this.html | tojson }}"
        "{% if this.method == 'bindPopup' %}, {maxWidth: 280}{% endif %});"
        "{% endmacro %}"
    )

    def __init__(self, method: str, html: Markup) -> None:
        super().__init__()
        self.method = method
        self.html = str(html)


def tooltip(layer, text: str) -> None:
    """Plain text, escaped and bound as a JSON string: titles residents typed can never run."""
    BoundContent("bindTooltip", escape(text)).add_to(layer)


def popup(layer, html: Markup) -> None:
    """Markup built by the caller with ``Markup.format``, which escapes every value it takes."""
    BoundContent("bindPopup", html).add_to(layer)


def base_map(location: tuple[float, float], zoom: int, element_id: str) -> folium.Map:
    tile_url = current_app.config["TILE_URL"]
    fmap = folium.Map(location=location, zoom_start=zoom, tiles=None, control_scale=True)
    # With no tile layer Leaflet knows no zoom limit, and marker clustering refuses to start
    # without one: state it on the map itself.
    fmap.options.update(max_zoom=MAX_ZOOM, min_zoom=MIN_ZOOM)
    fmap.default_js = assets.leaflet_js()
    fmap.default_css = assets.leaflet_css()
    fmap._id = element_id
    if tile_url:
        folium.TileLayer(
            tiles=tile_url,
            max_zoom=MAX_ZOOM,
            attr=current_app.config["TILE_ATTRIBUTION"],
            name="Background map",
            control=False,
        ).add_to(fmap)
    ExposeMap().add_to(fmap)
    return fmap


def fit(fmap: folium.Map, box: BoundingBox | None) -> None:
    if box is not None:
        fmap.fit_bounds([[box.min_lat, box.min_lon], [box.max_lat, box.max_lon]])


def render(fmap: folium.Map) -> RenderedMap:
    root = fmap.get_root()
    root.render()
    # folium's header forbids zooming the page (user-scalable=no), which fails residents who
    # enlarge text; our base template sets its own viewport.
    header = _FOLIUM_VIEWPORT.sub("", root.header.render())
    # Inline scripts run only with this response's CSP nonce (see web/security.py).
    nonce_attribute = f'<script nonce="{csp_nonce()}">'
    return RenderedMap(
        header=Markup(_BARE_SCRIPT_TAG.sub(nonce_attribute, header)),
        body=Markup(root.html.render()),
        script=Markup(nonce_attribute) + Markup(root.script.render()) + Markup("</script>"),
    )


def dot(
    layer: Any,
    location: list[float],
    label: str,
    *,
    radius: int,
    fill: str,
    outline: str = "#ffffff",
    weight: int = 2,
    fill_opacity: float = 1.0,
    class_name: str | None = None,
) -> folium.CircleMarker:
    """A filled circle on ``layer`` with ``label`` as its tooltip, bound safely: the one way
    maps draw points."""
    options = {"class_name": class_name} if class_name else {}
    marker = folium.CircleMarker(
        location,
        radius=radius,
        color=outline,
        weight=weight,
        fill=True,
        fill_color=fill,
        fill_opacity=fill_opacity,
        **options,
    ).add_to(layer)
    tooltip(marker, label)
    return marker


def lat_lon(point_feature: dict[str, Any]) -> list[float]:
    lon, lat = point_feature["geometry"]["coordinates"]
    return [lat, lon]


def add_routes(fmap: folium.Map, routes: dict[str, Any]) -> None:
    group = folium.FeatureGroup(name="Bus routes", show=True).add_to(fmap)
    for route in routes["features"]:
        for line in route["geometry"]["coordinates"]:
            polyline = folium.PolyLine(
                [[lat, lon] for lon, lat in line],
                color=route["properties"]["colour"],
                weight=5,
                opacity=0.8,
            ).add_to(group)
            tooltip(polyline, f"Line {route['properties']['name']}")
