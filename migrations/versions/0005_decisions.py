"""Planners' decisions: stop projects, questions to residents, and links between requests.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _add_reference(table: str, column: str, target: str) -> None:
    """A nullable foreign-key column, its REFERENCES written inline.

    SQLite cannot ALTER a constraint onto a table, and Alembic's batch mode would rebuild
    the table and lose SpatiaLite's geometry triggers and spatial index on ``location``; an
    inline REFERENCES in a plain ADD COLUMN works on both databases.
    """
    op.add_column(
        table, sa.Column(column, sa.Integer, sa.ForeignKey(target)), inline_references=True
    )


def upgrade() -> None:
    op.create_table(
        "stop_projects",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("location", Geometry("POINT", srid=4326), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
    )
    op.create_table(
        "info_questions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "request_id",
            sa.Integer,
            sa.ForeignKey("stop_requests.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("asked_by", sa.String(100), nullable=False),
        sa.Column("asked_by_user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("answer", sa.Text),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
    )
    _add_reference("stop_requests", "project_id", "stop_projects.id")
    op.create_index("ix_stop_requests_project_id", "stop_requests", ["project_id"])
    _add_reference("stop_requests", "merged_into_id", "stop_requests.id")
    op.add_column(
        "events",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        inline_references=True,
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), never batch mode: see _add_reference.
    op.drop_column("events", "user_id")
    op.drop_column("stop_requests", "merged_into_id")
    op.drop_index("ix_stop_requests_project_id", "stop_requests")
    op.drop_column("stop_requests", "project_id")
    op.drop_table("info_questions")
    if op.get_bind().dialect.name == "sqlite":
        # SpatiaLite keeps geometry metadata and an R*Tree beside the table; remove them too.
        op.execute("SELECT DisableSpatialIndex('stop_projects', 'location')")
        op.execute("DROP TABLE IF EXISTS idx_stop_projects_location")
        op.execute("SELECT DiscardGeometryColumn('stop_projects', 'location')")
    op.drop_table("stop_projects")
