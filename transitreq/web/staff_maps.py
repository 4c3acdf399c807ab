"""The staff's maps: a site's evaluation, a request under review, a stop project, the sites a
department signs off, and the planners' map. Built from ``web/map_base.py`` only."""

from __future__ import annotations

from typing import Any

import folium
from branca.element import MacroElement
from folium.plugins import MarkerCluster
from jinja2 import Template

from transitreq.geo.metric import BoundingBox
from transitreq.web import assets
from transitreq.web.map_base import (
    RenderedMap,
    add_routes,
    base_map,
    dot,
    fit,
    render,
    tooltip,
)


def evaluation_map(
    lat: float,
    lon: float,
    radii_m: tuple[int, ...],
    routes: dict[str, Any],
    nearest_stops: list[tuple[float, float, str]],
) -> RenderedMap:
    """The evaluated site with its walking catchments, the routes near it and nearest stops."""
    fmap = base_map((lat, lon), 15, "evaluation")
    add_routes(fmap, routes)
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
        tooltip(circle, f"{radius_m} m walking catchment")
    for stop_lat, stop_lon, label in nearest_stops:
        dot(fmap, [stop_lat, stop_lon], label, radius=6, fill="#ffffff", outline="#1b2631")
    dot(
        fmap,
        [lat, lon],
        "The site evaluated",
        radius=10,
        fill="#e08a00",
        weight=3,
        class_name="evaluated-site",
    )
    return render(fmap)


def review_map(
    lat: float,
    lon: float,
    colour: str,
    routes: dict[str, Any],
    nearby: list[tuple[float, float, str]],
) -> RenderedMap:
    """A request under review, the lines and the other requests around it; the page's script
    adds the draggable pin for where an approved stop would go."""
    fmap = base_map((lat, lon), 16, "review")
    add_routes(fmap, routes)
    for near_lat, near_lon, label in nearby:
        dot(
            fmap,
            [near_lat, near_lon],
            label,
            radius=7,
            fill="#5d6d7e",
            fill_opacity=0.9,
            class_name="nearby-request-marker",
        )
    dot(
        fmap,
        [lat, lon],
        "The resident's pin",
        radius=11,
        fill=colour,
        weight=3,
        class_name="request-marker",
    )
    return render(fmap)


def project_map(
    lat: float,
    lon: float,
    reach_m: float,
    routes: dict[str, Any],
    linked: list[tuple[float, float, str]],
) -> RenderedMap:
    """A stop project's site, the circle within which routes are offered for its launch, those
    routes, and the residents' pins of the requests it answers."""
    fmap = base_map((lat, lon), 14, "project")
    add_routes(fmap, routes)
    circle = folium.Circle(
        [lat, lon],
        radius=reach_m,
        color="#17202a",
        weight=2,
        dash_array="6 6",
        fill=True,
        fill_opacity=0.04,
    ).add_to(fmap)
    tooltip(circle, f"Routes within {reach_m:.0f} m may call here")
    for request_lat, request_lon, label in linked:
        dot(
            fmap,
            [request_lat, request_lon],
            label,
            radius=7,
            fill="#5d6d7e",
            fill_opacity=0.9,
            class_name="linked-request-marker",
        )
    dot(
        fmap,
        [lat, lon],
        "The new stop",
        radius=11,
        fill="#0b8a5f",
        weight=3,
        class_name="project-site",
    )
    return render(fmap)


def sites_map(sites: list[tuple[float, float, str]]) -> RenderedMap:
    """Several project sites on one small map, framed on all of them: a department's sign-offs."""
    lats = [site[0] for site in sites] or [0.0]
    lons = [site[1] for site in sites] or [0.0]
    fmap = base_map(((min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2), 15, "sites")
    if len(sites) > 1:
        fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(30, 30))
    for site_lat, site_lon, label in sites:
        dot(
            fmap,
            [site_lat, site_lon],
            label,
            radius=9,
            fill="#0b8a5f",
            weight=3,
            class_name="project-site",
        )
    return render(fmap)


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
    fmap = base_map(centre, 13 if extent else 2, "planner")
    fit(fmap, extent)
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
    return render(fmap)
