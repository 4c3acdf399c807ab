"""Read-only views of the whole city, assembled for the residents' pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.elements import ColumnElement

from transitreq.backends import backend_of
from transitreq.geo.metric import BoundingBox
from transitreq.geo.service_areas import service_areas_extent
from transitreq.models import ProjectStage, ServiceArea, StopProject, StopRequest


@dataclass(frozen=True)
class CityOverview:
    """What the residents' home page itself needs; its map loads every layer as JSON."""

    extent: BoundingBox | None
    # True when the seeded demo city is loaded, so pages can say the data is not real.
    shows_demo_data: bool


def city_overview(session: Session) -> CityOverview:
    return CityOverview(
        extent=service_areas_extent(session), shows_demo_data=shows_demo_data(session)
    )


def new_stops(
    session: Session,
    box: BoundingBox | None = None,
    where: ColumnElement[bool] | None = None,
) -> list[StopProject]:
    """Every stop project on its way or in service (in ``box`` when given, those ``where``
    picks when given: the map's lone points at a zoom), oldest first;
    cancelled ones are not. Their milestones come in one more query: where each stands is read
    from them (``public_project``), and one query per project would make the map layer as slow
    as the projects are many."""
    statement = (
        select(StopProject)
        .where(StopProject.status != ProjectStage.CANCELLED)
        .order_by(StopProject.id)
        .options(selectinload(StopProject.milestones))
    )
    if box is not None:
        statement = statement.where(backend_of(session).in_box(StopProject.location, box))
    if where is not None:
        statement = statement.where(where)
    return list(session.scalars(statement))


def service_areas(session: Session) -> list[ServiceArea]:
    """Every service area, for drawing their boundaries."""
    return list(session.scalars(select(ServiceArea).order_by(ServiceArea.name)))


def shows_demo_data(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(StopRequest.is_demo.is_(True)))))
