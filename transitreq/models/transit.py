"""The transit network as it exists: service areas, stops and the routes that call at them."""

from __future__ import annotations

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from transitreq.models.base import WGS84_SRID, Base


class ServiceArea(Base):
    """Where the transit office takes requests; a pin outside every area is refused."""

    __tablename__ = "service_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    boundary: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=WGS84_SRID), nullable=False
    )


class Stop(Base):
    """An existing stop, usually imported from the operator's GTFS feed."""

    __tablename__ = "stops"
    __table_args__ = (UniqueConstraint("feed", "gtfs_stop_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Which imported feed the stop came from ("demo" for the demo city): a re-import of a feed
    # replaces exactly its own stops.
    feed: Mapped[str] = mapped_column(String(64), index=True)
    # The feed's own identifier.
    gtfs_stop_id: Mapped[str] = mapped_column(String(64))
    code: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=WGS84_SRID), nullable=False)
    # Departures on a representative weekday, over all routes calling here.
    trips_per_weekday: Mapped[int] = mapped_column(Integer, default=0)

    calls: Mapped[list[RouteStop]] = relationship(back_populates="stop")


class Route(Base):
    """A bus (or other) line with one representative geometry for drawing and proximity."""

    __tablename__ = "routes"
    __table_args__ = (UniqueConstraint("feed", "gtfs_route_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed: Mapped[str] = mapped_column(String(64), index=True)
    gtfs_route_id: Mapped[str] = mapped_column(String(64))
    short_name: Mapped[str] = mapped_column(String(32), default="")
    long_name: Mapped[str] = mapped_column(String(200), default="")
    # GTFS route_type: 3 is bus; kept numeric as the feed gives it.
    route_type: Mapped[int] = mapped_column(Integer, default=3)
    colour: Mapped[str] = mapped_column(String(6), default="1F6FD1")
    text_colour: Mapped[str] = mapped_column(String(6), default="FFFFFF")
    # The main pattern's shape in each direction.
    path: Mapped[WKBElement | None] = mapped_column(
        Geometry("MULTILINESTRING", srid=WGS84_SRID), nullable=True
    )
    # Trips on a representative weekday, both directions together.
    trips_per_weekday: Mapped[int] = mapped_column(Integer, default=0)

    calls: Mapped[list[RouteStop]] = relationship(
        back_populates="route", order_by="RouteStop.sequence"
    )

    @property
    def display_name(self) -> str:
        return display_name(self.short_name, self.long_name, self.gtfs_route_id)


class RouteStop(Base):
    """A stop in the ordered sequence of a route's main pattern in one direction."""

    __tablename__ = "route_stops"

    route_id: Mapped[int] = mapped_column(
        ForeignKey("routes.id", ondelete="CASCADE"), primary_key=True
    )
    # GTFS direction_id: 0 or 1 (a feed without directions puts everything in 0).
    direction_id: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True)
    stop_id: Mapped[int] = mapped_column(ForeignKey("stops.id", ondelete="CASCADE"), index=True)

    route: Mapped[Route] = relationship(back_populates="calls")
    stop: Mapped[Stop] = relationship(back_populates="calls")


def display_name(short_name: str, long_name: str, gtfs_route_id: str) -> str:
    """How a route is named to people: "7 Northgate Line", or whichever part it has."""
    if short_name and long_name:
        return f"{short_name} {long_name}"
    return short_name or long_name or gtfs_route_id
