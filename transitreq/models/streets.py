"""The walkable street network from an OpenStreetMap extract, and where people and stops join it.

An imported extract is one ``StreetNetwork``: its nodes (OpenStreetMap nodes that walkable ways
pass through) and its edges, one per pair of consecutive nodes of a walkable way, each a
two-point line in WGS 84 with its geodesic length. Walking is the same in both directions, so an
edge has no direction. ``StreetLink`` says where a population unit or a stop joins a network:
the edge, how far along it (from its first node) and how long the walk to it is. Links are
computed when either side is imported, so an evaluation only reads them. Re-importing a network
of the same name deletes the old one, and its nodes, edges and links go with it (ON DELETE
CASCADE), as do the links of a population unit or stop that is replaced.
"""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from transitreq.models.base import WGS84_SRID, Base, UtcDateTime, utc_now


class StreetNetwork(Base):
    """One imported extract's walkable network; its name is what a re-import replaces."""

    __tablename__ = "street_networks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # The file it came from (its name, not the path on the importing machine).
    source: Mapped[str] = mapped_column(String(500))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    node_count: Mapped[int] = mapped_column(Integer)
    edge_count: Mapped[int] = mapped_column(Integer)
    length_m: Mapped[float] = mapped_column(Float)
    # The lon/lat box around its nodes: a site inside it is covered by this network.
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)


class StreetNode(Base):
    """An OpenStreetMap node a walkable way passes through."""

    __tablename__ = "street_nodes"
    __table_args__ = (UniqueConstraint("network_id", "osm_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(
        ForeignKey("street_networks.id", ondelete="CASCADE"), index=True
    )
    osm_id: Mapped[int] = mapped_column(BigInteger)
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=WGS84_SRID), nullable=False)


class StreetEdge(Base):
    """A walkable stretch between two consecutive nodes of a way, walked either way."""

    __tablename__ = "street_edges"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(
        ForeignKey("street_networks.id", ondelete="CASCADE"), index=True
    )
    # The nodes' OpenStreetMap ids (``street_nodes.osm_id`` of the same network), in the way's
    # order: ``geom`` runs from the first to the second.
    first_node: Mapped[int] = mapped_column(BigInteger)
    second_node: Mapped[int] = mapped_column(BigInteger)
    osm_way_id: Mapped[int] = mapped_column(BigInteger)
    highway: Mapped[str] = mapped_column(String(40))
    # Geodesic length on the WGS 84 ellipsoid.
    length_m: Mapped[float] = mapped_column(Float)
    # ``geom``'s two ends as plain numbers: an evaluation reads thousands of edges, and four
    # numbers a row read three times faster than taking each geometry apart in SQL.
    first_lon: Mapped[float] = mapped_column(Float)
    first_lat: Mapped[float] = mapped_column(Float)
    second_lon: Mapped[float] = mapped_column(Float)
    second_lat: Mapped[float] = mapped_column(Float)
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("LINESTRING", srid=WGS84_SRID), nullable=False
    )


class StreetLink(Base):
    """Where a population unit (by its point, or its polygon's centroid) or a stop joins a
    network: the nearest point on the nearest edge, within ``MAX_LINK_M`` (``geo/linking.py``).
    Nothing is linked beyond that: it is not reachable on foot through this network."""

    __tablename__ = "street_links"
    __table_args__ = (
        CheckConstraint("(population_unit_id IS NULL) <> (stop_id IS NULL)", name="unit_or_stop"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(
        ForeignKey("street_networks.id", ondelete="CASCADE"), index=True
    )
    edge_id: Mapped[int] = mapped_column(
        ForeignKey("street_edges.id", ondelete="CASCADE"), index=True
    )
    population_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("population_units.id", ondelete="CASCADE"), index=True
    )
    stop_id: Mapped[int | None] = mapped_column(
        ForeignKey("stops.id", ondelete="CASCADE"), index=True
    )
    # Metres along the edge from its first node to the linked point.
    along_m: Mapped[float] = mapped_column(Float)
    # Metres from the unit or stop to the linked point (geodesic).
    link_m: Mapped[float] = mapped_column(Float)
