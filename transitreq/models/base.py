"""The declarative base shared by every mapped class, and the column types they reuse."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase

# Constraint names are stable across backends, so one Alembic history can name what it drops.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Every geometry is stored in WGS 84 longitude/latitude.
WGS84_SRID = 4326


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utc_now() -> datetime:
    """Timestamps are always timezone-aware UTC, whatever the server's local zone."""
    return datetime.now(UTC)


# SQLite keeps no zone; the type stores UTC and gives it back tz-aware on both backends.
UtcDateTime = DateTime(timezone=True)
