"""What was loaded, when, by whom, and what its import found: one row per dataset.

The Data page lists these so planners know which feed, population layer, service-area set or
street network their numbers rest on. Re-importing a dataset replaces its row, in the same
transaction as its data.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from transitreq.models.base import Base, UtcDateTime, enum_column, utc_now


class DatasetKind(enum.StrEnum):
    GTFS = "gtfs"
    POPULATION = "population"
    SERVICE_AREAS = "service_areas"
    STREET_NETWORK = "street_network"


class DatasetImport(Base):
    __tablename__ = "dataset_imports"
    __table_args__ = (UniqueConstraint("kind", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DatasetKind] = mapped_column(enum_column(DatasetKind, 20))
    # The dataset's name as the importer was given it (the feed, the population layer…).
    name: Mapped[str] = mapped_column(String(120))
    # The file's name (not its path on the importing machine).
    source: Mapped[str] = mapped_column(String(500))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    # Who ran the import: the operating-system user of a command, or a member of staff.
    imported_by: Mapped[str] = mapped_column(String(120), default="")
    strict: Mapped[bool] = mapped_column(default=False)
    # What was written, in the importer's own words ({"stops": 654, "routes": 19, …}).
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The lon/lat box around what was loaded, when it has a place.
    min_lon: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    # For feeds: the dates the calendar covers, and the weekday service was measured on.
    service_start: Mapped[date | None] = mapped_column(Date)
    service_end: Mapped[date | None] = mapped_column(Date)
    measured_on: Mapped[date | None] = mapped_column(Date)
    # ImportReport.as_json(): notices by code, with counts and the first examples.
    report: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
