"""The stored coverage: who is beyond reach of every stop, computed once per change of stops,
population or settings rather than once per site evaluated.

Points need nothing more than their distances to the nearest stop of each mode (columns on
``PopulationUnit``). A polygon is served in part, so for each catchment radius the app uses its
part beyond every stop's reach is kept here, and for each mode its part within reach of that
mode's stops; a sum of areal shares over these parts is the same number the union of stop
circles gave, without drawing the union again.
"""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Integer, String, column, table
from sqlalchemy.orm import Mapped, mapped_column

from transitreq.models.base import WGS84_SRID, Base, UtcDateTime, utc_now

# CoveragePart.kind: the part beyond every stop's reach, or the part within reach of a mode.
BEYOND = "beyond"
SERVED = "served"


class CoveragePart(Base):
    """A piece of a polygon unit at one catchment radius: beyond every stop's reach (``mode``
    empty), or within reach of the stops of ``mode``."""

    __tablename__ = "coverage_parts"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("population_datasets.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("population_units.id", ondelete="CASCADE"), index=True
    )
    radius_m: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    mode: Mapped[str] = mapped_column(String(20), default="")
    geom: Mapped[WKBElement] = mapped_column(Geometry("GEOMETRY", srid=WGS84_SRID), nullable=False)
    # People living in the part (the unit's people by the part's share of its area).
    population: Mapped[float] = mapped_column(Float)
    # The unit's people per square metre, so that a catchment takes its share of the part.
    people_per_m2: Mapped[float] = mapped_column(Float)
    area_m2: Mapped[float] = mapped_column(Float)


# The stops' revision, raised by the database's triggers whenever a stop is added, removed or
# moved, or the modes calling at one change (migration 0025). One row; not part of the models'
# metadata, so nothing but those triggers writes it.
stop_revision = table("stop_revision", column("id", Integer), column("revision", BigInteger))


class CoverageState(Base):
    """What a dataset's stored coverage was computed from: the settings that shape it and the
    stops there were. A store whose settings or stops differ is stale and is not used."""

    __tablename__ = "coverage_states"

    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("population_datasets.id", ondelete="CASCADE"), primary_key=True
    )
    # The mode rules, radii and configured metric CRS, as a canonical JSON text.
    settings_key: Mapped[str] = mapped_column(String(1000))
    radii_m: Mapped[list[int]] = mapped_column(JSON, default=list)
    metric_srid: Mapped[int] = mapped_column(Integer)
    # The dataset's lon/lat box [min_lon, min_lat, max_lon, max_lat] (empty with no units):
    # the whole city's coverage gap is asked for this box.
    extent: Mapped[list[float]] = mapped_column(JSON, default=list)
    # The stops there were, for people reading the record; freshness is the revision below.
    stop_count: Mapped[int] = mapped_column(Integer)
    last_stop_id: Mapped[int] = mapped_column(Integer)
    # ``stop_revision`` when computed (None: before 0025, with other stops than at upgrade).
    stops_revision: Mapped[int | None] = mapped_column(BigInteger)
    refreshed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
