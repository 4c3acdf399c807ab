"""What a planner sees before deciding on a request: the evidence and the history, in one read."""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import Point
from sqlalchemy.orm import Session

from transitreq.geo.geojson import as_point
from transitreq.models import StopRequest
from transitreq.services.analysis.evaluation import (
    EvaluationSettings,
    SiteEvaluation,
    evaluate_site,
)
from transitreq.services.requests.decisions import available_decisions
from transitreq.services.requests.filing import NearbyRequest, find_by_reference, nearby_requests


@dataclass(frozen=True)
class Review:
    stop_request: StopRequest
    point: Point
    evaluation: SiteEvaluation
    # Other requests near this one (candidates to merge into, or to link on approval).
    nearby: list[NearbyRequest]
    # The decision forms the status table allows now: "approve", "merge", "reject", "ask".
    decisions: frozenset[str]


def review_of(
    session: Session, reference: str, settings: EvaluationSettings, nearby_radius_m: float
) -> Review:
    """The request behind ``reference`` with its site evaluation and its neighbours."""
    stop_request = find_by_reference(session, reference)
    point = as_point(stop_request.location)
    nearby = [
        near
        for near in nearby_requests(session, point, nearby_radius_m)
        if near.stop_request.id != stop_request.id
    ]
    return Review(
        stop_request=stop_request,
        point=point,
        evaluation=evaluate_site(session, point, settings),
        nearby=nearby,
        decisions=available_decisions(stop_request.status),
    )
