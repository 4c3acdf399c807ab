"""Stop requests, supports, events, and the transit network they are judged against.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

REQUEST_STATUSES = (
    "submitted",
    "under_review",
    "needs_info",
    "approved",
    "merged",
    "rejected",
    "completed",
)


def _status_enum(name: str, values: tuple[str, ...], length: int) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length, create_constraint=True)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # SpatiaLite is loaded per connection by the engine; PostGIS lives in the database.
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    op.create_table(
        "service_areas",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(120), nullable=False, unique=True),
        sa.Column("boundary", Geometry("MULTIPOLYGON", srid=4326), nullable=False),
    )
    op.create_table(
        "stops",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("feed", sa.String(64), nullable=False, index=True),
        sa.Column("gtfs_stop_id", sa.String(64), nullable=False),
        sa.Column("code", sa.String(32)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("location", Geometry("POINT", srid=4326), nullable=False),
        sa.Column("trips_per_weekday", sa.Integer, nullable=False),
        sa.UniqueConstraint("feed", "gtfs_stop_id"),
    )
    op.create_table(
        "routes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("feed", sa.String(64), nullable=False, index=True),
        sa.Column("gtfs_route_id", sa.String(64), nullable=False),
        sa.Column("short_name", sa.String(32), nullable=False),
        sa.Column("long_name", sa.String(200), nullable=False),
        sa.Column("route_type", sa.Integer, nullable=False),
        sa.Column("colour", sa.String(6), nullable=False),
        sa.Column("text_colour", sa.String(6), nullable=False),
        sa.Column("path", Geometry("MULTILINESTRING", srid=4326)),
        sa.Column("trips_per_weekday", sa.Integer, nullable=False),
        sa.UniqueConstraint("feed", "gtfs_route_id"),
    )
    op.create_table(
        "route_stops",
        sa.Column(
            "route_id",
            sa.Integer,
            sa.ForeignKey("routes.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("direction_id", sa.Integer, primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column(
            "stop_id",
            sa.Integer,
            sa.ForeignKey("stops.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
    )
    op.create_table(
        "stop_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("served_groups", sa.JSON, nullable=False),
        sa.Column("landmark", sa.String(200), nullable=False),
        sa.Column("location", Geometry("POINT", srid=4326), nullable=False),
        sa.Column(
            "status",
            _status_enum("request_status", REQUEST_STATUSES, 20),
            nullable=False,
            index=True,
        ),
        sa.Column("reporter_name", sa.String(100)),
        sa.Column("reporter_contact", sa.String(254)),
        sa.Column("notify_progress", sa.Boolean, nullable=False),
        sa.Column("is_demo", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "supports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "request_id",
            sa.Integer,
            sa.ForeignKey("stop_requests.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("contact", sa.String(254), nullable=False),
        sa.Column("name", sa.String(100)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("request_id", "contact"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "request_id",
            sa.Integer,
            sa.ForeignKey("stop_requests.id", ondelete="CASCADE"),
            index=True,
        ),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("from_status", sa.String(20)),
        sa.Column("to_status", sa.String(20)),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("audience", _status_enum("audience", ("public", "internal"), 10), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


GEOMETRY_COLUMNS = {
    "stop_requests": "location",
    "routes": "path",
    "stops": "location",
    "service_areas": "boundary",
}


def _drop_spatialite_geometry(table: str, column: str) -> None:
    """SpatiaLite keeps geometry metadata and an R*Tree beside the table; remove them too."""
    op.execute(f"SELECT DisableSpatialIndex('{table}', '{column}')")
    op.execute(f"DROP TABLE IF EXISTS idx_{table}_{column}")
    op.execute(f"SELECT DiscardGeometryColumn('{table}', '{column}')")


def downgrade() -> None:
    on_spatialite = op.get_bind().dialect.name == "sqlite"
    for table in (
        "events",
        "supports",
        "stop_requests",
        "route_stops",
        "routes",
        "stops",
        "service_areas",
    ):
        if on_spatialite and table in GEOMETRY_COLUMNS:
            _drop_spatialite_geometry(table, GEOMETRY_COLUMNS[table])
        op.drop_table(table)
