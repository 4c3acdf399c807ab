"""A cached site score per stop request, so the review queue can sort and filter by it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("stop_requests", sa.Column("score", sa.Float))
    op.create_index("ix_stop_requests_score", "stop_requests", ["score"])


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not batch mode: a batch rebuild would lose SpatiaLite's
    # geometry triggers and spatial index on `location`.
    op.drop_index("ix_stop_requests_score", "stop_requests")
    op.drop_column("stop_requests", "score")
