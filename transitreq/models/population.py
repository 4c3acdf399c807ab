"""Where people live: imported population layers, as polygons (areal units) or points."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import JSON, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from transitreq.models.base import WGS84_SRID, Base, UtcDateTime, utc_now

POLYGONS = "polygons"
POINTS = "points"


class PopulationDataset(Base):
    """One imported population layer; re-importing the same name replaces it."""

    __tablename__ = "population_datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # The file it came from and the column that held the head count, for the record.
    source: Mapped[str] = mapped_column(String(500))
    population_field: Mapped[str] = mapped_column(String(120))
    # POLYGONS count by the share of their area inside a catchment, POINTS count whole.
    geometry_kind: Mapped[str] = mapped_column(String(10))
    # Extra numeric columns kept per unit (elderly, jobs…), by name.
    extra_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    unit_count: Mapped[int] = mapped_column(Integer)
    total_population: Mapped[float] = mapped_column(Float)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)

    units: Mapped[list[PopulationUnit]] = relationship(
        back_populates="dataset", cascade="all, delete-orphan", passive_deletes=True
    )


class PopulationUnit(Base):
    """A polygon or point with its head count (and any extra counts the source had)."""

    __tablename__ = "population_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("population_datasets.id", ondelete="CASCADE"), index=True
    )
    # POLYGON, MULTIPOLYGON or POINT in one column; the dataset says which kind it holds.
    geom: Mapped[WKBElement] = mapped_column(Geometry("GEOMETRY", srid=WGS84_SRID), nullable=False)
    population: Mapped[float] = mapped_column(Float)
    # Extra counts by name; a blank cell in the file is None.
    attributes: Mapped[dict[str, float | None]] = mapped_column(JSON, default=dict)
    # The stored coverage (``geo/coverage_refresh.py``): metres from the unit (its nearest part,
    # for a polygon) to the nearest stop of any mode, and to the nearest stop of each mode (a
    # stop no trip calls at counts as one of the new-stop modes). None: no such stop, or not
    # computed yet (``coverage_states`` says which). On the unit's own row, so that population,
    # newly served and who serves the rest are one indexed scan.
    nearest_stop_m: Mapped[float | None] = mapped_column(Float)
    nearest_tram_m: Mapped[float | None] = mapped_column(Float)
    nearest_metro_m: Mapped[float | None] = mapped_column(Float)
    nearest_rail_m: Mapped[float | None] = mapped_column(Float)
    nearest_bus_m: Mapped[float | None] = mapped_column(Float)
    nearest_ferry_m: Mapped[float | None] = mapped_column(Float)
    nearest_cable_tram_m: Mapped[float | None] = mapped_column(Float)
    nearest_aerial_lift_m: Mapped[float | None] = mapped_column(Float)
    nearest_funicular_m: Mapped[float | None] = mapped_column(Float)
    nearest_trolleybus_m: Mapped[float | None] = mapped_column(Float)
    nearest_monorail_m: Mapped[float | None] = mapped_column(Float)
    nearest_other_m: Mapped[float | None] = mapped_column(Float)

    dataset: Mapped[PopulationDataset] = relationship(back_populates="units")


# Every mode a stop can have (``models/transit.py: transit_mode``), each with its distance
# column on ``PopulationUnit``.
STORED_MODES = (
    "tram",
    "metro",
    "rail",
    "bus",
    "ferry",
    "cable_tram",
    "aerial_lift",
    "funicular",
    "trolleybus",
    "monorail",
    "other",
)


def nearest_stop_column(mode: str | None):
    """The ``PopulationUnit`` column holding metres to the nearest stop (of ``mode``)."""
    return getattr(PopulationUnit, "nearest_stop_m" if mode is None else f"nearest_{mode}_m")
