"""Sessions that can be ended, and login attempts counted per account and client address.

``users.session_version`` is copied into each session at login, so raising it (logout, a
password change, deactivation) ends every session of that person. The per-account failure count
and lock time on ``users`` give way to ``login_attempts``, keyed by account and client address,
so a stranger's guesses no longer lock the owner out.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN (SQLite 3.35+), never batch mode, like every revision before it.
    op.add_column(
        "users", sa.Column("session_version", sa.Integer, nullable=False, server_default="1")
    )
    op.drop_column("users", "locked_until")
    op.drop_column("users", "failed_logins")
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("account", "client", name="uq_login_attempts_account"),
    )
    op.create_index("ix_login_attempts_window_started_at", "login_attempts", ["window_started_at"])


def downgrade() -> None:
    op.drop_index("ix_login_attempts_window_started_at", "login_attempts")
    op.drop_table("login_attempts")
    op.add_column(
        "users", sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0")
    )
    op.add_column("users", sa.Column("locked_until", sa.DateTime(timezone=True)))
    op.drop_column("users", "session_version")
