"""The declarative base shared by every mapped class, and the column types they reuse."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum, MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

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


class UtcDateTime(TypeDecorator):
    """Timestamps stored as UTC and read back timezone-aware on both backends.

    PostgreSQL keeps the zone; SQLite keeps none and would hand back naive datetimes, which
    cannot be compared with aware ones, so the zone is restored on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def enum_column(enum_class: type[enum.Enum], length: int) -> Enum:
    """Enums stored as their value in a VARCHAR, not a native enum type: the same column on
    both backends, and a new value needs no ALTER TYPE migration on PostgreSQL."""
    return Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
