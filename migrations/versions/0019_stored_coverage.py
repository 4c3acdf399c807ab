"""The stored coverage: each population unit's distance to the nearest stop of each mode, the
parts of polygon units beyond (or within) reach at each catchment radius, and what the store
was computed from (``flask refresh-coverage``).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_MODES = (
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
_DISTANCE_COLUMNS = ("nearest_stop_m", *(f"nearest_{mode}_m" for mode in _MODES))


def _dataset_column() -> sa.Column:
    return sa.Column(
        "dataset_id",
        sa.Integer,
        sa.ForeignKey("population_datasets.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    for column in _DISTANCE_COLUMNS:
        op.add_column("population_units", sa.Column(column, sa.Float, nullable=True))
    op.create_table(
        "coverage_parts",
        sa.Column("id", sa.Integer, primary_key=True),
        _dataset_column(),
        sa.Column(
            "unit_id",
            sa.Integer,
            sa.ForeignKey("population_units.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("radius_m", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("geom", Geometry("GEOMETRY", srid=4326), nullable=False),
        sa.Column("population", sa.Float, nullable=False),
        sa.Column("people_per_m2", sa.Float, nullable=False),
        sa.Column("area_m2", sa.Float, nullable=False),
    )
    op.create_index("ix_coverage_parts_dataset_id", "coverage_parts", ["dataset_id"])
    op.create_index("ix_coverage_parts_unit_id", "coverage_parts", ["unit_id"])
    op.create_table(
        "coverage_states",
        sa.Column(
            "dataset_id",
            sa.Integer,
            sa.ForeignKey("population_datasets.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("settings_key", sa.String(1000), nullable=False),
        sa.Column("radii_m", sa.JSON, nullable=False),
        sa.Column("metric_srid", sa.Integer, nullable=False),
        sa.Column("extent", sa.JSON, nullable=False),
        sa.Column("stop_count", sa.Integer, nullable=False),
        sa.Column("last_stop_id", sa.Integer, nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("coverage_states")
    if op.get_bind().dialect.name == "sqlite":
        # SpatiaLite keeps geometry metadata and an R*Tree beside the table; remove them too.
        op.execute("SELECT DisableSpatialIndex('coverage_parts', 'geom')")
        op.execute("DROP TABLE IF EXISTS idx_coverage_parts_geom")
        op.execute("SELECT DiscardGeometryColumn('coverage_parts', 'geom')")
    op.drop_table("coverage_parts")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy would lose SpatiaLite's
    # geometry registration of population_units.
    for column in reversed(_DISTANCE_COLUMNS):
        op.execute(f"ALTER TABLE population_units DROP COLUMN {column}")
