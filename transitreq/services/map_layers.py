"""What the maps draw, as GeoJSON: the network, and requests as the public may see them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from transitreq.geo.geojson import feature, feature_collection
from transitreq.geo.metric import BoundingBox
from transitreq.geo.spatial_index import in_box
from transitreq.models import RequestStatus, Route, RouteStop, Stop, StopRequest


def routes_layer(session: Session) -> dict[str, Any]:
    routes = session.scalars(select(Route).where(Route.path.is_not(None)).order_by(Route.id))
    return feature_collection(
        [
            feature(
                route.path,
                {
                    "name": route.display_name,
                    "short_name": route.short_name,
                    "colour": f"#{route.colour}",
                },
                route.gtfs_route_id,
            )
            for route in routes
        ]
    )


def stops_layer(session: Session, box: BoundingBox | None = None) -> dict[str, Any]:
    statement = (
        select(Stop)
        .options(selectinload(Stop.calls).selectinload(RouteStop.route))
        .order_by(Stop.id)
    )
    if box is not None:
        statement = statement.where(in_box(session.get_bind().dialect.name, Stop.location, box))
    features = []
    for stop in session.scalars(statement):
        route_names = sorted({call.route.short_name or call.route.long_name for call in stop.calls})
        features.append(
            feature(
                stop.location,
                {"name": stop.name, "code": stop.code, "routes": route_names},
                stop.gtfs_stop_id,
            )
        )
    return feature_collection(features)


def request_properties(stop_request: StopRequest) -> dict[str, Any]:
    """The public face of a request: never the reporter's name or contact."""
    return {
        "reference": stop_request.reference,
        "title": stop_request.title,
        "status": stop_request.status.value,
        "status_label": stop_request.status.label,
        "colour": stop_request.status.colour,
        "supporters": stop_request.supporter_count,
        "created_at": stop_request.created_at.isoformat(),
        "is_demo": stop_request.is_demo,
    }


def requests_layer(session: Session, box: BoundingBox | None = None) -> dict[str, Any]:
    """Requests for the public map; merged ones are hidden because they live on elsewhere."""
    statement = (
        select(StopRequest)
        .where(StopRequest.status != RequestStatus.MERGED)
        .order_by(StopRequest.id)
    )
    if box is not None:
        statement = statement.where(
            in_box(session.get_bind().dialect.name, StopRequest.location, box)
        )
    return feature_collection(
        [
            feature(stop_request.location, request_properties(stop_request), stop_request.reference)
            for stop_request in session.scalars(statement)
        ]
    )
