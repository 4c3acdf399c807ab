"""The e-mail outbox delivered by workers: leases, retry times and dead messages.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The attempts after which the code of 0007 stopped trying a message; frozen here on purpose
# (a revision never imports code that may change later).
_OLD_MAX_ATTEMPTS = 5
_COLUMNS = ("leased_by", "leased_until", "next_attempt_at", "last_attempt_at", "dead_at")


def upgrade() -> None:
    # Plain ADD COLUMN on both databases, as in the earlier revisions: no batch rebuild.
    op.add_column("outbound_emails", sa.Column("leased_by", sa.String(100)))
    for column in _COLUMNS[1:]:
        op.add_column("outbound_emails", sa.Column(column, sa.DateTime(timezone=True)))
    op.create_index("ix_outbound_emails_dead_at", "outbound_emails", ["dead_at"])
    _bury_messages_given_up()


def _bury_messages_given_up() -> None:
    """Messages the old code had stopped trying (and never reported) become dead, so they show
    on the admin page instead of lying unseen; their last error is kept."""
    bury = sa.text(
        "UPDATE outbound_emails SET dead_at = :now, "
        "last_error = COALESCE(last_error, 'gave up after ' || attempts || ' attempts') "
        "WHERE sent_at IS NULL AND attempts >= :given_up"
    ).bindparams(sa.bindparam("now", type_=sa.DateTime(timezone=True)))
    op.get_bind().execute(bury, {"now": datetime.now(UTC), "given_up": _OLD_MAX_ATTEMPTS})


def downgrade() -> None:
    # Dead messages stay given up for the old code, which knew them by their attempts.
    op.get_bind().execute(
        sa.text(
            "UPDATE outbound_emails SET attempts = :given_up "
            "WHERE dead_at IS NOT NULL AND attempts < :given_up"
        ),
        {"given_up": _OLD_MAX_ATTEMPTS},
    )
    # SQLite drops no indexed column: the index goes first. Plain DROP COLUMN (SQLite 3.35+).
    op.drop_index("ix_outbound_emails_dead_at", "outbound_emails")
    for column in reversed(_COLUMNS):
        op.drop_column("outbound_emails", column)
