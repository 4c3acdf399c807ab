"""Public shapes of our data, as JSON and GeoJSON: the one place they are decided.

Reporter and supporter names and contacts never pass through here.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from flask import current_app, url_for
from geoalchemy2 import WKBElement
from shapely.geometry.base import BaseGeometry

from transitreq.geo.coverage import PopulationPart
from transitreq.geo.geojson import as_point, feature, feature_collection, point_feature
from transitreq.models import Route, Stop, StopProject, StopRequest
from transitreq.services.evaluation import SiteEvaluation
from transitreq.services.review_queue import QueuePage, QueueRow
from transitreq.services.status_rules import is_supportable
from transitreq.services.tracking import TimelineEntry, project_progress, public_timeline


def tracking_url(reference: str) -> str:
    """The address residents keep: on PUBLIC_URL when set (behind proxies), else this host."""
    public_url = current_app.config["PUBLIC_URL"]
    if public_url:
        return public_url.rstrip("/") + url_for("public.track", reference=reference)
    return url_for("public.track", reference=reference, _external=True)


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
        "lat": round(point.y, 7),
        "lon": round(point.x, 7),
        "tracking_url": tracking_url(stop_request.reference),
    }
    if with_timeline:
        body["timeline"] = [public_event(entry) for entry in public_timeline(stop_request)]
        project = stop_request.project
        body["project"] = public_project(project) if project is not None else None
    return body


def requests_geojson(stop_requests: list[StopRequest]) -> dict[str, Any]:
    return feature_collection(
        [
            feature(stop_request.location, request_properties(stop_request), stop_request.reference)
            for stop_request in stop_requests
        ]
    )


def routes_geojson(
    routes: list[Route], paths: dict[int, WKBElement | BaseGeometry] | None = None
) -> dict[str, Any]:
    """Routes as GeoJSON; ``paths`` replaces a route's geometry (e.g. cut to the map's area)."""
    paths = paths or {}
    return feature_collection(
        [
            feature(
                paths.get(route.id, route.path),
                {
                    "name": route.display_name,
                    "short_name": route.short_name,
                    "colour": f"#{route.colour}",
                    "trips_per_weekday": route.trips_per_weekday,
                },
                f"{route.feed}:{route.gtfs_route_id}",
            )
            for route in routes
        ]
    )


def stops_geojson(stops: list[Stop]) -> dict[str, Any]:
    features = []
    for stop in stops:
        route_names = sorted({call.route.short_name or call.route.long_name for call in stop.calls})
        properties = {
            "name": stop.name,
            "code": stop.code,
            "routes": route_names,
            "trips_per_weekday": stop.trips_per_weekday,
        }
        features.append(feature(stop.location, properties, f"{stop.feed}:{stop.gtfs_stop_id}"))
    return feature_collection(features)


def new_stops_geojson(projects: list[StopProject]) -> dict[str, Any]:
    """Stops being built or opened, with what residents may know of each (see public_project)."""
    return feature_collection(
        [
            feature(project.location, {"name": project.name} | public_project(project), project.id)
            for project in projects
        ]
    )


def evaluation_json(evaluation: SiteEvaluation) -> dict[str, Any]:
    """The evaluation as JSON: every number in metres or people, rounded for reading."""
    body = asdict(evaluation)
    for catchment in body["catchments"]:
        for key in ("population", "newly_served"):
            if catchment[key] is not None:
                catchment[key] = round(catchment[key], 1)
    for group in ("nearest_stops", "routes_in_catchment", "routes_passing_by"):
        for item in body[group]:
            item["distance_m"] = round(item["distance_m"], 1)
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
        "lat": round(row.lat, 7),
        "lon": round(row.lon, 7),
        # The planners' review page for the request.
        "review_url": f"/planning/requests/{row.reference}",
    }


def review_queue_json(page: QueuePage, now: datetime) -> dict[str, Any]:
    """The queue's page for the table and every match as GeoJSON for the map, from one query."""
    return {
        "total": page.total,
        "page": page.query.page,
        "per_page": page.query.per_page,
        "pages": page.pages,
        "truncated": page.truncated,
        "rows": [_queue_row(row, now) for row in page.rows],
        "features": feature_collection(
            [
                point_feature(
                    row.lon,
                    row.lat,
                    {
                        "reference": row.reference,
                        "status": row.status.value,
                        "colour": row.status.colour,
                        "supporters": row.supporters,
                        "score": None if row.score is None else round(row.score, 1),
                    },
                    row.reference,
                )
                for row in page.matches
            ]
        ),
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
