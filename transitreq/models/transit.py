"""The transit network as it exists: service areas, stops and the routes that call at them."""

from __future__ import annotations

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from transitreq.i18n import lazy_gettext
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
    modes: Mapped[list[StopMode]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="StopMode.mode"
    )


class StopMode(Base):
    """A mode some trip of the feed calls at the stop with (any trip, not only the main
    patterns in ``route_stops``): a metro station on a branch is a metro station too."""

    __tablename__ = "stop_modes"

    stop_id: Mapped[int] = mapped_column(
        ForeignKey("stops.id", ondelete="CASCADE"), primary_key=True
    )
    # "bus", "metro", "rail"… (transit_mode of the routes' route_type).
    mode: Mapped[str] = mapped_column(String(20), primary_key=True)


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

    @property
    def mode(self) -> str:
        return transit_mode(self.route_type)


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


# GTFS route_type codes by mode: the basic ones (0–12) and the extended Hierarchical Vehicle
# Types (100–1700) that many European feeds publish instead.
BASIC_MODES = {
    0: "tram",
    1: "metro",
    2: "rail",
    3: "bus",
    4: "ferry",
    5: "cable_tram",
    6: "aerial_lift",
    7: "funicular",
    11: "trolleybus",
    12: "monorail",
}
EXTENDED_MODES = (
    (100, 199, "rail"),
    (200, 299, "bus"),  # coach
    (400, 404, "metro"),  # urban railway, metro, underground
    (405, 405, "monorail"),
    (406, 499, "metro"),
    (700, 799, "bus"),
    (800, 899, "trolleybus"),
    (900, 999, "tram"),
    (1000, 1299, "ferry"),
    (1300, 1399, "aerial_lift"),
    (1400, 1499, "funicular"),
)


# How each mode is named to people, in the reader's language; the keys are the codes.
MODE_LABELS = {
    "bus": lazy_gettext("bus"),
    "trolleybus": lazy_gettext("trolleybus"),
    "tram": lazy_gettext("tram"),
    "metro": lazy_gettext("metro"),
    "rail": lazy_gettext("train"),
    "ferry": lazy_gettext("ferry"),
    "cable_tram": lazy_gettext("cable tram"),
    "aerial_lift": lazy_gettext("aerial lift"),
    "funicular": lazy_gettext("funicular"),
    "monorail": lazy_gettext("monorail"),
    "other": lazy_gettext("other"),
}


def transit_mode(route_type: int) -> str:
    """The mode of a GTFS ``route_type``, basic or extended; ``other`` for the rest (taxis,
    horse carriages…)."""
    if route_type in BASIC_MODES:
        return BASIC_MODES[route_type]
    for first, last, mode in EXTENDED_MODES:
        if first <= route_type <= last:
            return mode
    return "other"
