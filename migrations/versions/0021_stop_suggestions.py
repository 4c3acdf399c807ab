"""Stored runs of the suggested-stops optimisation (``flask suggest-stops``,
``GET /api/planner/suggestions``).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suggestion_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("data_key", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("radius_m", sa.Integer, nullable=False),
        sa.Column("scope", sa.String(300), nullable=False),
        sa.Column("measure", sa.String(20), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("newly_served", sa.Float, nullable=False),
        sa.Column("greedy_newly_served", sa.Float, nullable=False),
        sa.Column("upper_bound", sa.Float, nullable=False),
        sa.Column("gap", sa.Float, nullable=False),
        sa.Column("candidate_count", sa.Integer, nullable=False),
        sa.Column("population_dataset", sa.String(120), nullable=True),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_suggestion_runs_data_key", "suggestion_runs", ["data_key"])
    op.create_table(
        "suggested_stops",
        sa.Column(
            "run_id",
            sa.Integer,
            sa.ForeignKey("suggestion_runs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("rank", sa.Integer, primary_key=True),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("newly_served", sa.Float, nullable=False),
        sa.Column("newly_served_alone", sa.Float, nullable=False),
        sa.Column("route_id", sa.Integer, nullable=True),
        sa.Column("route_name", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("suggested_stops")
    op.drop_index("ix_suggestion_runs_data_key", "suggestion_runs")
    op.drop_table("suggestion_runs")
