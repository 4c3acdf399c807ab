"""Front-end libraries, served from our own static folder (never a CDN).

``scripts/vendor-assets`` copies pinned npm packages into ``static/vendor/`` at set-up; folium's
own defaults point at CDNs, so every map we build is given these local URLs instead.
"""

from __future__ import annotations

from flask import url_for


def leaflet_js() -> list[tuple[str, str]]:
    return [("leaflet", url_for("static", filename="vendor/leaflet/leaflet.js"))]


def leaflet_css() -> list[tuple[str, str]]:
    return [("leaflet_css", url_for("static", filename="vendor/leaflet/leaflet.css"))]


def marker_cluster_js() -> list[tuple[str, str]]:
    return [
        (
            "markerclusterjs",
            url_for("static", filename="vendor/leaflet.markercluster/leaflet.markercluster.js"),
        )
    ]


def marker_cluster_css() -> list[tuple[str, str]]:
    return [
        (
            "markerclustercss",
            url_for("static", filename="vendor/leaflet.markercluster/MarkerCluster.css"),
        ),
        (
            "markerclusterdefaultcss",
            url_for("static", filename="vendor/leaflet.markercluster/MarkerCluster.Default.css"),
        ),
    ]
