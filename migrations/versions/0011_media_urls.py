"""Every link an Open311 client sends with a request, not only the first.

``stop_requests.media_url`` (one link) becomes ``media_urls`` (a JSON list), keeping what was
stored.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_requests = sa.table(
    "stop_requests",
    sa.column("id", sa.Integer),
    sa.column("media_url", sa.String),
    sa.column("media_urls", sa.JSON),
)


def upgrade() -> None:
    op.add_column(
        "stop_requests", sa.Column("media_urls", sa.JSON, nullable=False, server_default="[]")
    )
    connection = op.get_bind()
    linked = connection.execute(
        sa.select(_requests.c.id, _requests.c.media_url).where(_requests.c.media_url.is_not(None))
    ).all()
    for request_id, url in linked:
        connection.execute(
            _requests.update().where(_requests.c.id == request_id).values(media_urls=[url])
        )
    op.drop_column("stop_requests", "media_url")


def downgrade() -> None:
    op.add_column("stop_requests", sa.Column("media_url", sa.String(500)))
    connection = op.get_bind()
    rows = connection.execute(sa.select(_requests.c.id, _requests.c.media_urls)).all()
    for request_id, urls in rows:
        urls = json.loads(urls) if isinstance(urls, str) else urls
        if urls:
            connection.execute(
                _requests.update().where(_requests.c.id == request_id).values(media_url=urls[0])
            )
    op.drop_column("stop_requests", "media_urls")
