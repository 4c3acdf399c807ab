"""Public shapes of our data, as JSON and GeoJSON: the one place they are decided.

Reporter and supporter names and contacts never pass through here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from flask import url_for
from geoalchemy2 import WKBElement
from shapely.geometry.base import BaseGeometry

from transitreq.geo.clusters import Cluster
from transitreq.geo.coverage import PopulationPart
from transitreq.geo.geojson import (
    COORDINATE_DECIMALS,
    as_point,
    feature,
    feature_collection,
    geometry_to_geojson,
    point_feature,
)
from transitreq.geo.layers import PointsForZoom
from transitreq.models import RequestPhoto, Route, ServiceArea, Stop, StopProject, StopRequest
from transitreq.services.analysis.evaluation import SiteEvaluation
from transitreq.services.analysis.layers import PopulationLayer
from transitreq.services.analysis.queue import QueuePage, QueueRow
from transitreq.services.places.search import PlaceMatch
from transitreq.services.requests.photos import published_photos
from transitreq.services.requests.rules import is_supportable
from transitreq.services.requests.tracking import TimelineEntry, project_progress, public_timeline
from transitreq.web.app_settings import public_root


def tracking_url(reference: str) -> str:
    """The address residents keep: on PUBLIC_URL when set (behind proxies), else this host."""
    return public_root() + url_for("public.track", reference=reference)


def photo_url(photo: RequestPhoto) -> str:
    """A published photo's address (on PUBLIC_URL when set), as the JSON API gives it."""
    return public_root() + url_for(
        "request_photos.photo", reference=photo.request.reference, photo_id=photo.id
    )


def request_properties(stop_request: StopRequest) -> dict[str, Any]:
    return {
        "reference": stop_request.reference,
        "title": stop_request.title,
        "status": stop_request.status.value,
        "status_label": stop_request.status.label,
        "colour": stop_request.status.colour,
        "supporters": stop_request.supporter_count,
        "supportable": is_supportable(stop_request.status),
        "created_at": stop_request.created_at.isoformat(),
        "is_demo": stop_request.is_demo,
    }


def public_event(entry: TimelineEntry) -> dict[str, Any]:
    """One step of the public timeline; ``source`` says whether the request or its stop project
    took it (project steps' statuses are project stages)."""
    event = entry.event
    return {
        "kind": event.kind,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "title": entry.title,
        "source": entry.source,
        # What residents read (the system's sentence and a person's words), and the words
        # alone, as typed.
        "text": entry.text,
        "note": event.note,
        "at": event.created_at.isoformat(),
    }


def public_project(project: StopProject) -> dict[str, Any]:
    """What residents may know of the stop project a request joined."""
    progress = project_progress(project)
    return {
        "stage": project.status.value,
        "stage_label": project.status.label,
        "launch_routes": list(project.launch_routes or []),
        "service_start_date": (
            project.service_start_date.isoformat() if project.service_start_date else None
        ),
        "service_summary": progress.service_summary,
        "cancel_reason": progress.cancel_reason,
    }


def public_request(stop_request: StopRequest, with_timeline: bool = True) -> dict[str, Any]:
    point = as_point(stop_request.location)
    body = request_properties(stop_request) | {
        "description": stop_request.description,
        "served_groups": stop_request.served_groups,
        "landmark": stop_request.landmark,
        "media_urls": list(stop_request.media_urls or []),
        "lat": round(point.y, 7),
        "lon": round(point.x, 7),
        "tracking_url": tracking_url(stop_request.reference),
    }
    if with_timeline:
        body["timeline"] = [public_event(entry) for entry in public_timeline(stop_request)]
        project = stop_request.project
        body["project"] = public_project(project) if project is not None else None
        # Only those a planner has published; the others are for staff until then.
        body["photos"] = [
            {"url": photo_url(photo), "width": photo.width, "height": photo.height}
            for photo in published_photos(stop_request)
        ]
    return body


def public_place(place: PlaceMatch) -> dict[str, Any]:
    """A place found by name; ``lat``/``lon`` to 7 decimals, like every point we send."""
    return {
        "name": place.name,
        "kind": place.kind.value,
        "lat": round(place.lat, COORDINATE_DECIMALS),
        "lon": round(place.lon, COORDINATE_DECIMALS),
        "inside_service_area": place.inside_service_area,
    }


def request_features(
    stop_requests: list[StopRequest], decimals: int = COORDINATE_DECIMALS
) -> list[dict[str, Any]]:
    return [
        feature(
            stop_request.location,
            request_properties(stop_request),
            stop_request.reference,
            decimals,
        )
        for stop_request in stop_requests
    ]


def requests_geojson(stop_requests: list[StopRequest]) -> dict[str, Any]:
    return feature_collection(request_features(stop_requests))


def cluster_features(clusters: list[Cluster], decimals: int) -> list[dict[str, Any]]:
    """Bubbles of several points: where to draw each, how many it holds, and the box its
    points span (what a click on it zooms to)."""
    return [
        point_feature(
            cluster.lon,
            cluster.lat,
            {
                "cluster": True,
                "count": cluster.count,
                "bounds": [
                    round(value, decimals)
                    for value in (
                        cluster.bounds.min_lon,
                        cluster.bounds.min_lat,
                        cluster.bounds.max_lon,
                        cluster.bounds.max_lat,
                    )
                ],
            },
            decimals=decimals,
        )
        for cluster in clusters
    ]


def points_for_zoom_geojson(
    points: PointsForZoom[Any],
    features_of: Callable[[list[Any], int], list[dict[str, Any]]],
    decimals: int,
) -> dict[str, Any]:
    """A point layer at a zoom: its points shown alone, then its bubbles; ``total`` is how many
    points the box holds (the points alone plus every bubble's count)."""
    collection = feature_collection(
        features_of(points.rows, decimals) + cluster_features(points.clusters, decimals)
    )
    return collection | {"total": points.total, "clustered": bool(points.clusters)}


def _route_line(route: Route, paths: dict[int, WKBElement | BaseGeometry]) -> Any:
    """The cut line when there is one, without reading the stored (whole, maybe deferred) one."""
    cut = paths.get(route.id)
    return route.path if cut is None else cut


def routes_geojson(
    routes: list[Route],
    paths: dict[int, WKBElement | BaseGeometry] | None = None,
    decimals: int = COORDINATE_DECIMALS,
) -> dict[str, Any]:
    """Routes as GeoJSON; ``paths`` replaces a route's geometry (e.g. cut to the map's area)."""
    paths = paths or {}
    return feature_collection(
        [
            feature(
                _route_line(route, paths),
                {
                    "name": route.display_name,
                    "short_name": route.short_name,
                    "colour": f"#{route.colour}",
                    "mode": route.mode,
                    "trips_per_weekday": route.trips_per_weekday,
                },
                f"{route.feed}:{route.gtfs_route_id}",
                decimals,
            )
            for route in routes
        ]
    )


def stops_geojson(stops: list[Stop]) -> dict[str, Any]:
    return feature_collection(stop_features(stops))


def stop_features(stops: list[Stop], decimals: int = COORDINATE_DECIMALS) -> list[dict[str, Any]]:
    features = []
    for stop in stops:
        route_names = sorted({call.route.short_name or call.route.long_name for call in stop.calls})
        properties = {
            "name": stop.name,
            "code": stop.code,
            "routes": route_names,
            # Every mode a trip calls here with; a stop no trip calls at has none.
            "modes": [stop_mode.mode for stop_mode in stop.modes],
            "trips_per_weekday": stop.trips_per_weekday,
        }
        features.append(
            feature(stop.location, properties, f"{stop.feed}:{stop.gtfs_stop_id}", decimals)
        )
    return features


def new_stops_geojson(projects: list[StopProject]) -> dict[str, Any]:
    """Stops being built or opened, with what residents may know of each (see public_project)."""
    return feature_collection(new_stop_features(projects))


def new_stop_features(
    projects: list[StopProject], decimals: int = COORDINATE_DECIMALS
) -> list[dict[str, Any]]:
    return [
        feature(
            project.location,
            {"name": project.name} | public_project(project),
            str(project.id),
            decimals,
        )
        for project in projects
    ]


def service_areas_geojson(areas: list[ServiceArea]) -> dict[str, Any]:
    return feature_collection(
        [feature(area.boundary, {"name": area.name}, str(area.id)) for area in areas]
    )


def evaluation_json(evaluation: SiteEvaluation) -> dict[str, Any]:
    """The evaluation as JSON: every number in metres or people, rounded for reading."""
    body = asdict(evaluation)
    for catchment in body["catchments"]:
        area = catchment["area"]
        catchment["area"] = geometry_to_geojson(area) if area is not None else None
        for key in ("population", "newly_served"):
            if catchment[key] is not None:
                catchment[key] = round(catchment[key], 1)
        for served in catchment["already_served_by"]:
            served["population"] = round(served["population"], 1)
    for group in ("nearest_stops", "routes_in_catchment", "routes_passing_by"):
        for item in body[group]:
            item["distance_m"] = round(item["distance_m"], 1)
    for item in body["nearest_stops"]:
        if item["walk_m"] is not None:
            item["walk_m"] = round(item["walk_m"], 1)
    for item in body["spacing"]:
        for key in ("previous_m", "next_m"):
            if item[key] is not None:
                item[key] = round(item[key], 1)
    body["demand"]["residents"] = evaluation.demand.residents
    for term in body["score"]["terms"]:
        term["points"] = round(term["points"], 1)
    return body


def _queue_row(row: QueueRow, now: datetime) -> dict[str, Any]:
    return {
        "reference": row.reference,
        "title": row.title,
        "status": row.status.value,
        "status_label": row.status.label,
        "colour": row.status.colour,
        "supporters": row.supporters,
        "score": None if row.score is None else round(row.score, 1),
        "created_at": row.created_at.isoformat(),
        "age_days": max(0, (now - row.created_at).days),
        "district": row.district,
        "assignee": row.assignee,
        "lat": round(row.lat, 7),
        "lon": round(row.lon, 7),
        # The planners' review page for the request.
        "review_url": f"/planning/requests/{row.reference}",
    }


def review_queue_json(page: QueuePage, now: datetime) -> dict[str, Any]:
    """The queue's page for the table, and the map's markers: each match while they are few
    (``"points"``), else counts per grid cell (``"clusters"``). Markers carry only what they
    show, positions rounded to about a metre."""
    if page.clustered:
        features = [
            point_feature(
                round(cluster.lon, 5),
                round(cluster.lat, 5),
                {"count": cluster.count},
            )
            for cluster in page.clusters
        ]
    else:
        features = [
            point_feature(
                round(point.lon, 5),
                round(point.lat, 5),
                {
                    "status": point.status.value,
                    "colour": point.status.colour,
                    "supporters": point.supporters,
                    "score": None if point.score is None else round(point.score, 1),
                },
                point.reference,
            )
            for point in page.points
        ]
    return {
        "total": page.total,
        "page": page.query.page,
        "per_page": page.query.per_page,
        "pages": page.pages,
        "rows": [_queue_row(row, now) for row in page.rows],
        # "points": one feature per request (its id the reference); "clusters": one per cell.
        "map": "clusters" if page.clustered else "points",
        "cell_deg": None if page.cell_deg is None else round(page.cell_deg, 6),
        "features": feature_collection(features),
    }


def population_layer_json(parts: list[PopulationPart], dataset: str | None) -> dict[str, Any]:
    """Population units (or grid cells, or their uncovered parts) with people and density."""
    collection = feature_collection(
        [
            feature(
                part.geometry,
                {
                    "kind": part.kind,
                    "population": round(part.population, 1),
                    "area_km2": round(part.area_km2, 4),
                    "people_per_km2": None
                    if part.people_per_km2 is None
                    else round(part.people_per_km2, 1),
                },
            )
            for part in parts
        ]
    )
    collection["dataset"] = dataset
    collection["total_population"] = round(sum(part.population for part in parts), 1)
    return collection


def coverage_gap_json(layer: PopulationLayer) -> dict[str, Any]:
    """The coverage gap as the population layer's FeatureCollection, with what it adds up to
    in ``properties``: people beyond reach of every stop in the box (the whole city without
    one), the radius and measure, and the grid cells' side when the gap was summed into cells."""
    collection = population_layer_json(layer.parts, layer.dataset)
    total = round(layer.total_population, 1)
    collection["total_population"] = total
    collection["properties"] = {
        "dataset": layer.dataset,
        "total_population": total,
        "radius_m": layer.radius_m,
        "measure": layer.measure,
        "aggregated": layer.cell_side_m is not None,
        "cell_side_m": layer.cell_side_m,
    }
    return collection
