"""Where a pin may go: inside a service area, with a helpful word when it is not."""

from __future__ import annotations

from shapely.geometry import Point
from sqlalchemy.orm import Session

from transitreq.errors import DomainError, NoServiceArea, OutsideServiceArea, SwappedCoordinates
from transitreq.geo.coordinates import swapped
from transitreq.geo.service_areas import any_service_area, area_containing
from transitreq.i18n import _
from transitreq.models import ServiceArea


def check_in_service_area(session: Session, point: Point) -> ServiceArea:
    """The service area containing ``point``; refuse a point outside all of them.

    A point that lands inside an area only when latitude and longitude are exchanged is reported
    as swapped, because that is the mistake the resident made.
    """
    area = area_containing(session, point)
    if area is not None:
        return area
    if not any_service_area(session):
        raise NoServiceArea(
            _("This service has no service area loaded yet, so it cannot take requests."),
            "location",
        )
    other_way = swapped(point)
    if other_way is not None and area_containing(session, other_way) is not None:
        meant = {"lat": _degrees(other_way.y), "lon": _degrees(other_way.x)}
        raise SwappedCoordinates(
            _(
                "Latitude and longitude look swapped: did you mean %(lat)s, %(lon)s? "
                "Give latitude first.",
                **meant,
            ),
            "location",
        )
    pin = {"lat": _degrees(point.y), "lon": _degrees(point.x)}
    raise OutsideServiceArea(
        _(
            "The pin at %(lat)s, %(lon)s is outside the service area; place it inside the city.",
            **pin,
        ),
        "location",
    )


def _degrees(value: float) -> str:
    """A coordinate as messages write it: decimal degrees to six places (about 10 cm)."""
    return f"{value:.6f}"


def placement_problem(session: Session, point: Point) -> str | None:
    """What would stop a request at ``point`` from being filed, said before the form is sent."""
    try:
        check_in_service_area(session, point)
    except DomainError as refusal:
        return refusal.message
    return None
