"""The walkable street network of an OpenStreetMap extract, and where population units and stops
join it (``flask import-osm``).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_SPATIAL = (("street_edges", "geom"), ("street_nodes", "location"))


def _cascading(column: str, table: str) -> sa.Column:
    return sa.Column(
        column, sa.Integer, sa.ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=True
    )


def upgrade() -> None:
    op.create_table(
        "street_networks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(120), nullable=False, unique=True),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("node_count", sa.Integer, nullable=False),
        sa.Column("edge_count", sa.Integer, nullable=False),
        sa.Column("length_m", sa.Float, nullable=False),
        sa.Column("min_lon", sa.Float, nullable=False),
        sa.Column("min_lat", sa.Float, nullable=False),
        sa.Column("max_lon", sa.Float, nullable=False),
        sa.Column("max_lat", sa.Float, nullable=False),
    )
    op.create_table(
        "street_nodes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "network_id",
            sa.Integer,
            sa.ForeignKey("street_networks.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("osm_id", sa.BigInteger, nullable=False),
        sa.Column("location", Geometry("POINT", srid=4326), nullable=False),
        sa.UniqueConstraint("network_id", "osm_id"),
    )
    op.create_index("ix_street_nodes_network_id", "street_nodes", ["network_id"])
    op.create_table(
        "street_edges",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "network_id",
            sa.Integer,
            sa.ForeignKey("street_networks.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("first_node", sa.BigInteger, nullable=False),
        sa.Column("second_node", sa.BigInteger, nullable=False),
        sa.Column("osm_way_id", sa.BigInteger, nullable=False),
        sa.Column("highway", sa.String(40), nullable=False),
        sa.Column("length_m", sa.Float, nullable=False),
        *(
            sa.Column(f"{end}_{axis}", sa.Float, nullable=False)
            for end in ("first", "second")
            for axis in ("lon", "lat")
        ),
        sa.Column("geom", Geometry("LINESTRING", srid=4326), nullable=False),
    )
    op.create_index("ix_street_edges_network_id", "street_edges", ["network_id"])
    op.create_table(
        "street_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "network_id",
            sa.Integer,
            sa.ForeignKey("street_networks.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "edge_id",
            sa.Integer,
            sa.ForeignKey("street_edges.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _cascading("population_unit_id", "population_units"),
        _cascading("stop_id", "stops"),
        sa.Column("along_m", sa.Float, nullable=False),
        sa.Column("link_m", sa.Float, nullable=False),
        sa.CheckConstraint(
            "(population_unit_id IS NULL) <> (stop_id IS NULL)", name="unit_or_stop"
        ),
    )
    for column in ("network_id", "edge_id", "population_unit_id", "stop_id"):
        op.create_index(f"ix_street_links_{column}", "street_links", [column])


def downgrade() -> None:
    op.drop_table("street_links")
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column in _SPATIAL:
        if sqlite:
            # SpatiaLite keeps geometry metadata and an R*Tree beside the table; remove them too.
            op.execute(f"SELECT DisableSpatialIndex('{table}', '{column}')")
            op.execute(f"DROP TABLE IF EXISTS idx_{table}_{column}")
            op.execute(f"SELECT DiscardGeometryColumn('{table}', '{column}')")
        op.drop_table(table)
    op.drop_table("street_networks")
