"""Trigram indexes for the planners' text search on PostgreSQL.

The queue's search matches a word anywhere in a request's title, description or landmark
(``ILIKE '%…%'``), which no B-tree can answer: at 50,000 requests each search read every row
twice (the count and the map). pg_trgm's GIN indexes answer such patterns (three characters or
more) from the index. SQLite has no equivalent; it keeps scanning, which its speed at that
size allows.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

SEARCHED_COLUMNS = ("title", "description", "landmark")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_trgm is a trusted extension: the database's owner may create it without superuser.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in SEARCHED_COLUMNS:
        op.execute(
            f"CREATE INDEX ix_stop_requests_{column}_trigrams ON stop_requests"
            f" USING gin ({column} gin_trgm_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in SEARCHED_COLUMNS:
        op.execute(f"DROP INDEX ix_stop_requests_{column}_trigrams")
    # The extension stays: something else in the database may have come to use it since.
