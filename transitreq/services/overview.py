"""Read-only views of the whole city, assembled for the residents' pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, selectinload

from transitreq.geo.layers import requests_in, routes_with_paths, stops_in
from transitreq.geo.metric import BoundingBox
from transitreq.geo.service_areas import service_areas_extent
from transitreq.models import ProjectStage, Route, Stop, StopProject, StopRequest
from transitreq.services.status_rules import SUPPORTABLE


@dataclass(frozen=True)
class CityOverview:
    extent: BoundingBox | None
    routes: list[Route]
    stops: list[Stop]
    # Requests residents can still back: awaiting a decision, or approved and on the way.
    requests: list[StopRequest]
    # Stops the city is building or has opened from residents' requests: the network's own
    # stops only show them once the operator's next GTFS feed has them.
    new_stops: list[StopProject]
    # True when the seeded demo city is loaded, so pages can say the data is not real.
    shows_demo_data: bool


def city_overview(session: Session) -> CityOverview:
    return CityOverview(
        extent=service_areas_extent(session),
        routes=routes_with_paths(session),
        stops=stops_in(session),
        requests=requests_in(session, SUPPORTABLE),
        new_stops=new_stops(session),
        shows_demo_data=shows_demo_data(session),
    )


def new_stops(session: Session) -> list[StopProject]:
    """Every stop project on its way or in service, oldest first; cancelled ones are not. Their
    milestones come in one more query: where each stands is read from them (``public_project``),
    and one query per project would make the public home page as slow as the projects are many."""
    return list(
        session.scalars(
            select(StopProject)
            .where(StopProject.status != ProjectStage.CANCELLED)
            .order_by(StopProject.id)
            .options(selectinload(StopProject.milestones))
        )
    )


def shows_demo_data(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(StopRequest.is_demo.is_(True)))))
