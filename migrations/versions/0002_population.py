"""Population layers: datasets and their polygon or point units.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "population_datasets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(120), nullable=False, unique=True),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("population_field", sa.String(120), nullable=False),
        sa.Column("geometry_kind", sa.String(10), nullable=False),
        sa.Column("extra_fields", sa.JSON, nullable=False),
        sa.Column("unit_count", sa.Integer, nullable=False),
        sa.Column("total_population", sa.Float, nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "population_units",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "dataset_id",
            sa.Integer,
            sa.ForeignKey("population_datasets.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("geom", Geometry("GEOMETRY", srid=4326), nullable=False),
        sa.Column("population", sa.Float, nullable=False),
        sa.Column("attributes", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("SELECT DisableSpatialIndex('population_units', 'geom')")
        op.execute("DROP TABLE IF EXISTS idx_population_units_geom")
        op.execute("SELECT DiscardGeometryColumn('population_units', 'geom')")
    op.drop_table("population_units")
    op.drop_table("population_datasets")
