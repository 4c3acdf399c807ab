"""The language each resident filed or supported in, so their e-mails are written in it.

Rows from before the translations keep NULL, read as the city's default language.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN, not batch mode: a batch rebuild of stop_requests would lose
    # SpatiaLite's geometry triggers and spatial index on `location`.
    op.add_column("stop_requests", sa.Column("locale", sa.String(16)))
    op.add_column("supports", sa.Column("locale", sa.String(16)))


def downgrade() -> None:
    op.drop_column("supports", "locale")
    op.drop_column("stop_requests", "locale")
