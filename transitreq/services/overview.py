"""Read-only views of the whole city, assembled for the residents' pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from transitreq.geo.metric import BoundingBox
from transitreq.geo.service_areas import service_areas_extent
from transitreq.models import StopRequest
from transitreq.services.map_layers import requests_layer, routes_layer, stops_layer


@dataclass(frozen=True)
class CityOverview:
    extent: BoundingBox | None
    routes: dict[str, Any]
    stops: dict[str, Any]
    requests: dict[str, Any]
    # True when the seeded demo city is loaded, so pages can say the data is not real.
    shows_demo_data: bool


def city_overview(session: Session) -> CityOverview:
    return CityOverview(
        extent=service_areas_extent(session),
        routes=routes_layer(session),
        stops=stops_layer(session),
        requests=requests_layer(session),
        shows_demo_data=shows_demo_data(session),
    )


def shows_demo_data(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(StopRequest.is_demo.is_(True)))))
