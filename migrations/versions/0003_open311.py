"""Open311: API clients (keys stored hashed) and a media link on stop requests.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_clients",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(64), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.add_column("stop_requests", sa.Column("media_url", sa.String(500)))


def downgrade() -> None:
    # A plain ALTER TABLE … DROP COLUMN (SQLite 3.35+), not batch mode: batch mode rebuilds the
    # table, which would lose SpatiaLite's geometry triggers and spatial index on `location`.
    op.drop_column("stop_requests", "media_url")
    op.drop_table("api_clients")
