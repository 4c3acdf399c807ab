"""The one map builder: folium maps with our own assets, our tiles (or none), our layers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import folium
from branca.element import MacroElement
from flask import current_app, url_for
from folium.plugins import MarkerCluster
from jinja2 import Template
from markupsafe import Markup, escape

from transitreq.geo.metric import BoundingBox
from transitreq.web import assets
from transitreq.web.security import csp_nonce

MAX_ZOOM = 19
MIN_ZOOM = 3
# New stops from residents' requests: the "Stop in service" green of the status badges.
NEW_STOP_COLOUR = "#14532d"
_FOLIUM_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>', re.DOTALL)
_BARE_SCRIPT_TAG = re.compile(r"<script>")


@dataclass(frozen=True)
class RenderedMap:
    """The three pieces of a folium page, to place inside our own templates."""

    header: Markup
    body: Markup
    script: Markup


class _ExposeMap(MacroElement):
    """Publish the Leaflet map as ``window.transitreqMap`` for the page's own scripts."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "window.transitreqMap = {{ this._parent.get_name() }};"
        "{% endmacro %}"
    )


class _BoundContent(MacroElement):
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


def _tooltip(layer, text: str) -> None:
    _BoundContent("bindTooltip", escape(text)).add_to(layer)


def _popup(layer, html: Markup) -> None:
    _BoundContent("bindPopup", html).add_to(layer)


def _base_map(location: tuple[float, float], zoom: int, element_id: str) -> folium.Map:
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
    _ExposeMap().add_to(fmap)
    return fmap


def _fit(fmap: folium.Map, box: BoundingBox | None) -> None:
    if box is not None:
        fmap.fit_bounds([[box.min_lat, box.min_lon], [box.max_lat, box.max_lon]])


def _render(fmap: folium.Map) -> RenderedMap:
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


def _dot(
    layer: Any,
    location: list[float],
    tooltip: str,
    *,
    radius: int,
    fill: str,
    outline: str = "#ffffff",
    weight: int = 2,
    fill_opacity: float = 1.0,
    class_name: str | None = None,
) -> folium.CircleMarker:
    """A filled circle on ``layer`` with its tooltip bound safely: the one way maps draw points."""
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
    _tooltip(marker, tooltip)
    return marker


def _lat_lon(point_feature: dict[str, Any]) -> list[float]:
    lon, lat = point_feature["geometry"]["coordinates"]
    return [lat, lon]


def _add_routes(fmap: folium.Map, routes: dict[str, Any]) -> None:
    group = folium.FeatureGroup(name="Bus routes", show=True).add_to(fmap)
    for route in routes["features"]:
        for line in route["geometry"]["coordinates"]:
            polyline = folium.PolyLine(
                [[lat, lon] for lon, lat in line],
                color=route["properties"]["colour"],
                weight=5,
                opacity=0.8,
            ).add_to(group)
            _tooltip(polyline, f"Line {route['properties']['name']}")


def _add_stops(fmap: folium.Map, stops: dict[str, Any]) -> None:
    group = folium.FeatureGroup(name="Bus stops", show=True).add_to(fmap)
    for stop in stops["features"]:
        properties = stop["properties"]
        lines = ", ".join(properties["routes"]) or "no line"
        _dot(
            group,
            _lat_lon(stop),
            f"Stop {properties['name']} (lines {lines})",
            radius=5,
            fill="#ffffff",
            outline="#1b2631",
        )


def _add_new_stops(fmap: folium.Map, new_stops: dict[str, Any]) -> None:
    """Stops opened or on their way from residents' requests: a square-ish green mark for one in
    service, an outlined one for one still planned, each saying where it stands."""
    group = folium.FeatureGroup(name="New stops (planned and in service)", show=True).add_to(fmap)
    for stop in new_stops["features"]:
        properties = stop["properties"]
        in_service = properties["stage"] == "in_service"
        where = properties["service_summary"] or f"planned: {properties['stage_label'].lower()}"
        _dot(
            group,
            _lat_lon(stop),
            f"New stop {properties['name']}: {where}",
            radius=7,
            fill=NEW_STOP_COLOUR if in_service else "#ffffff",
            outline=NEW_STOP_COLOUR,
            weight=3,
            class_name="new-stop-marker" + (" in-service" if in_service else " planned"),
        )


def _request_popup(properties: dict[str, Any]) -> Markup:
    tracking_url = url_for("public.track", reference=properties["reference"])
    html = Markup(
        "<div class='map-popup'><strong>{title}</strong><br>{label} · {supporters} "
        "supporter(s)<br><a href='{url}'>{reference}</a></div>"
    ).format(
        title=properties["title"],
        label=properties["status_label"],
        supporters=properties["supporters"],
        url=tracking_url,
        reference=properties["reference"],
    )
    return html


def _add_requests(fmap: folium.Map, requests: dict[str, Any]) -> None:
    cluster = MarkerCluster(
        name="Stop requests",
        show=True,
        options={"maxClusterRadius": 40, "disableClusteringAtZoom": 16},
    )
    cluster.default_js = assets.marker_cluster_js()
    cluster.default_css = assets.marker_cluster_css()
    cluster.add_to(fmap)
    for stop_request in requests["features"]:
        properties = stop_request["properties"]
        marker = _dot(
            cluster,
            _lat_lon(stop_request),
            f"{properties['title']} ({properties['status_label']})",
            radius=9,
            fill=properties["colour"],
            fill_opacity=0.95,
            class_name=f"request-marker status-{properties['status']}",
        )
        _popup(marker, _request_popup(properties))


def city_map(
    extent: BoundingBox | None,
    routes: dict[str, Any],
    stops: dict[str, Any],
    requests: dict[str, Any],
    new_stops: dict[str, Any],
) -> RenderedMap:
    """The residents' home map: routes, stops, new stops and requests, framed on the service
    area."""
    centre = (
        ((extent.min_lat + extent.max_lat) / 2, (extent.min_lon + extent.max_lon) / 2)
        if extent
        else (0.0, 0.0)
    )
    fmap = _base_map(centre, 13 if extent else 2, "city")
    _fit(fmap, extent)
    _add_routes(fmap, routes)
    _add_stops(fmap, stops)
    _add_new_stops(fmap, new_stops)
    _add_requests(fmap, requests)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return _render(fmap)


def request_map(lat: float, lon: float, colour: str, routes: dict[str, Any]) -> RenderedMap:
    """The small map on a tracking page: the requested spot, with the lines around it."""
    fmap = _base_map((lat, lon), 16, "request")
    _add_routes(fmap, routes)
    _dot(
        fmap,
        [lat, lon],
        "The requested stop",
        radius=11,
        fill=colour,
        weight=3,
        class_name="request-marker",
    )
    return _render(fmap)


def evaluation_map(
    lat: float,
    lon: float,
    radii_m: tuple[int, ...],
    routes: dict[str, Any],
    nearest_stops: list[tuple[float, float, str]],
) -> RenderedMap:
    """The evaluated site with its walking catchments, the routes near it and nearest stops."""
    fmap = _base_map((lat, lon), 15, "evaluation")
    _add_routes(fmap, routes)
    for radius_m in sorted(radii_m, reverse=True):
        circle = folium.Circle(
            [lat, lon],
            radius=radius_m,
            color="#17202a",
            weight=2,
            dash_array="6 6",
            fill=True,
            fill_opacity=0.06,
        ).add_to(fmap)
        _tooltip(circle, f"{radius_m} m walking catchment")
    for stop_lat, stop_lon, label in nearest_stops:
        _dot(fmap, [stop_lat, stop_lon], label, radius=6, fill="#ffffff", outline="#1b2631")
    _dot(
        fmap,
        [lat, lon],
        "The site evaluated",
        radius=10,
        fill="#e08a00",
        weight=3,
        class_name="evaluated-site",
    )
    return _render(fmap)


def review_map(
    lat: float,
    lon: float,
    colour: str,
    routes: dict[str, Any],
    nearby: list[tuple[float, float, str]],
) -> RenderedMap:
    """A request under review, the lines and the other requests around it; the page's script
    adds the draggable pin for where an approved stop would go."""
    fmap = _base_map((lat, lon), 16, "review")
    _add_routes(fmap, routes)
    for near_lat, near_lon, label in nearby:
        _dot(
            fmap,
            [near_lat, near_lon],
            label,
            radius=7,
            fill="#5d6d7e",
            fill_opacity=0.9,
            class_name="nearby-request-marker",
        )
    _dot(
        fmap,
        [lat, lon],
        "The resident's pin",
        radius=11,
        fill=colour,
        weight=3,
        class_name="request-marker",
    )
    return _render(fmap)


def project_map(
    lat: float,
    lon: float,
    reach_m: float,
    routes: dict[str, Any],
    linked: list[tuple[float, float, str]],
) -> RenderedMap:
    """A stop project's site, the circle within which routes are offered for its launch, those
    routes, and the residents' pins of the requests it answers."""
    fmap = _base_map((lat, lon), 14, "project")
    _add_routes(fmap, routes)
    circle = folium.Circle(
        [lat, lon],
        radius=reach_m,
        color="#17202a",
        weight=2,
        dash_array="6 6",
        fill=True,
        fill_opacity=0.04,
    ).add_to(fmap)
    _tooltip(circle, f"Routes within {reach_m:.0f} m may call here")
    for request_lat, request_lon, label in linked:
        _dot(
            fmap,
            [request_lat, request_lon],
            label,
            radius=7,
            fill="#5d6d7e",
            fill_opacity=0.9,
            class_name="linked-request-marker",
        )
    _dot(
        fmap,
        [lat, lon],
        "The new stop",
        radius=11,
        fill="#0b8a5f",
        weight=3,
        class_name="project-site",
    )
    return _render(fmap)


def sites_map(sites: list[tuple[float, float, str]]) -> RenderedMap:
    """Several project sites on one small map, framed on all of them: a department's sign-offs."""
    lats = [site[0] for site in sites] or [0.0]
    lons = [site[1] for site in sites] or [0.0]
    fmap = _base_map(((min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2), 15, "sites")
    if len(sites) > 1:
        fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(30, 30))
    for site_lat, site_lon, label in sites:
        _dot(
            fmap,
            [site_lat, site_lon],
            label,
            radius=9,
            fill="#0b8a5f",
            weight=3,
            class_name="project-site",
        )
    return _render(fmap)


class _ExposeLayers(MacroElement):
    """Publish named Leaflet layers as ``window.transitreqLayers`` for the page's own scripts."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "window.transitreqLayers = { "
        "{% for key, layer in this.layers.items() %}{{ key | tojson }}: {{ layer.get_name() }},"
        "{% endfor %}};"
        "{% endmacro %}"
    )

    def __init__(self, layers: dict[str, Any]) -> None:
        super().__init__()
        self.layers = layers


def planner_map(extent: BoundingBox | None) -> RenderedMap:
    """The planners' map: empty, named layers that the page's script fills from the planner API
    for the area in view (requests clustered, routes, stops, population density, coverage gap),
    switched on and off in the layer control."""
    centre = (
        ((extent.min_lat + extent.max_lat) / 2, (extent.min_lon + extent.max_lon) / 2)
        if extent
        else (0.0, 0.0)
    )
    fmap = _base_map(centre, 13 if extent else 2, "planner")
    _fit(fmap, extent)
    layers: dict[str, Any] = {
        "population": folium.FeatureGroup(name="Population density", show=False),
        "gap": folium.FeatureGroup(name="Coverage gap (beyond 400 m of a stop)", show=True),
        "routes": folium.FeatureGroup(name="Bus routes", show=True),
        "stops": folium.FeatureGroup(name="Bus stops (zoom in)", show=True),
    }
    cluster = MarkerCluster(
        name="Stop requests",
        show=True,
        options={"maxClusterRadius": 40, "disableClusteringAtZoom": 16},
    )
    cluster.default_js = assets.marker_cluster_js()
    cluster.default_css = assets.marker_cluster_css()
    layers["requests"] = cluster
    layers["selection"] = folium.FeatureGroup(name="Selected request", control=False)
    for layer in layers.values():
        layer.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    _ExposeLayers(layers).add_to(fmap)
    return _render(fmap)
