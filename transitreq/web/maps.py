"""The residents' maps: the city with its lines, stops, new stops and requests, and the small
map of one request. Built from ``web/map_base.py`` only."""

from __future__ import annotations

from typing import Any

import folium
from flask import url_for
from folium.plugins import MarkerCluster
from markupsafe import Markup

from transitreq.geo.metric import BoundingBox
from transitreq.web import assets
from transitreq.web.map_base import (
    RenderedMap,
    add_routes,
    base_map,
    dot,
    fit,
    lat_lon,
    popup,
    render,
)

# New stops from residents' requests: the "Stop in service" green of the status badges.
NEW_STOP_COLOUR = "#14532d"


def _add_stops(fmap: folium.Map, stops: dict[str, Any]) -> None:
    group = folium.FeatureGroup(name="Bus stops", show=True).add_to(fmap)
    for stop in stops["features"]:
        properties = stop["properties"]
        lines = ", ".join(properties["routes"]) or "no line"
        dot(
            group,
            lat_lon(stop),
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
        dot(
            group,
            lat_lon(stop),
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
        marker = dot(
            cluster,
            lat_lon(stop_request),
            f"{properties['title']} ({properties['status_label']})",
            radius=9,
            fill=properties["colour"],
            fill_opacity=0.95,
            class_name=f"request-marker status-{properties['status']}",
        )
        popup(marker, _request_popup(properties))


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
    fmap = base_map(centre, 13 if extent else 2, "city")
    fit(fmap, extent)
    add_routes(fmap, routes)
    _add_stops(fmap, stops)
    _add_new_stops(fmap, new_stops)
    _add_requests(fmap, requests)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return render(fmap)


def request_map(lat: float, lon: float, colour: str, routes: dict[str, Any]) -> RenderedMap:
    """The small map on a tracking page: the requested spot, with the lines around it."""
    fmap = base_map((lat, lon), 16, "request")
    add_routes(fmap, routes)
    dot(
        fmap,
        [lat, lon],
        "The requested stop",
        radius=11,
        fill=colour,
        weight=3,
        class_name="request-marker",
    )
    return render(fmap)
