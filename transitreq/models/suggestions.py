"""Stored runs of the suggested-stops optimisation (``services/analysis/suggestions.py``).

A run is kept with the key of the data it rested on (stops, routes, population, streets and the
settings that shape the answer): the same question asked again while that key holds is
answered from here, in milliseconds, instead of solving again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from transitreq.models.base import Base, UtcDateTime, utc_now


class SuggestionRun(Base):
    __tablename__ = "suggestion_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of the data versions and the question (count, radius, area): equal keys, equal
    # answers.
    data_key: Mapped[str] = mapped_column(String(64), index=True)
    count: Mapped[int] = mapped_column(Integer)
    radius_m: Mapped[int] = mapped_column(Integer)
    # What the run was limited to: "" the whole network, "bbox:…" or "area:<name>".
    scope: Mapped[str] = mapped_column(String(300), default="")
    # "straight_line" or "walk".
    measure: Mapped[str] = mapped_column(String(20))
    # "exact" (HiGHS) or "greedy".
    method: Mapped[str] = mapped_column(String(10))
    newly_served: Mapped[float] = mapped_column(Float)
    greedy_newly_served: Mapped[float] = mapped_column(Float)
    upper_bound: Mapped[float] = mapped_column(Float)
    # Share by which the answer may fall short of the optimum (0: proven optimal).
    gap: Mapped[float] = mapped_column(Float)
    candidate_count: Mapped[int] = mapped_column(Integer)
    population_dataset: Mapped[str | None] = mapped_column(String(120))
    seconds: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)

    stops: Mapped[list[SuggestedStop]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="SuggestedStop.rank"
    )


class SuggestedStop(Base):
    __tablename__ = "suggested_stops"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("suggestion_runs.id", ondelete="CASCADE"), primary_key=True
    )
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    # WGS 84.
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    # People this stop newly serves beyond the stops ranked before it.
    newly_served: Mapped[float] = mapped_column(Float)
    # People it would newly serve alone (what site evaluation answers for the point).
    newly_served_alone: Mapped[float] = mapped_column(Float)
    # The route it lies on, as named when the run was made (routes are replaced on re-import,
    # so no foreign key).
    route_id: Mapped[int | None] = mapped_column(Integer)
    route_name: Mapped[str] = mapped_column(String(200), default="")
