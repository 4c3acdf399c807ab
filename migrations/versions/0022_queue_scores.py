"""What each cached request score was computed with, so a stale score is found and refreshed.

``score_basis`` holds a fingerprint of the evaluation settings (weights, radii, …) the score was
computed under; a filing, a support nearby or an import marks it due instead, and a settings
change makes every fingerprint differ. NULL: never scored, or due.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("stop_requests", sa.Column("score_basis", sa.String(40)))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not batch mode: a batch rebuild would lose SpatiaLite's
    # geometry triggers and spatial index on `location`.
    op.drop_column("stop_requests", "score_basis")
