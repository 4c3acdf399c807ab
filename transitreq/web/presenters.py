"""Public JSON shapes. Reporter and supporter names and contacts never pass through here."""

from __future__ import annotations

from typing import Any

from flask import url_for

from transitreq.geo.geojson import as_point
from transitreq.models import Event, StopRequest
from transitreq.services.map_layers import request_properties
from transitreq.services.status_rules import SUPPORTABLE


def public_event(event: Event) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "note": event.note,
        "at": event.created_at.isoformat(),
    }


def public_request(stop_request: StopRequest, with_timeline: bool = True) -> dict[str, Any]:
    point = as_point(stop_request.location)
    body = request_properties(stop_request) | {
        "description": stop_request.description,
        "served_groups": stop_request.served_groups,
        "landmark": stop_request.landmark,
        "lat": round(point.y, 7),
        "lon": round(point.x, 7),
        "supportable": stop_request.status in SUPPORTABLE,
        "tracking_url": url_for("public.track", reference=stop_request.reference, _external=True),
    }
    if with_timeline:
        body["timeline"] = [public_event(event) for event in stop_request.public_events]
    return body
