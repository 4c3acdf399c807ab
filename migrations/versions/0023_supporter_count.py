"""Each request's count of supporters, kept by the database beside the request.

The planners' queue sorts 50,000 requests by supporters and shows the count on every row and
map point; counting each request's supports per query scanned the supports table once per
request. Triggers keep the count on every insert, delete or move of a support, whoever writes
it (the app, an import, a merge), and an increment under the row's lock stays right when two
residents support the same request at once.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_POSTGRESQL_FUNCTION = """
CREATE FUNCTION count_supporters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE stop_requests SET supporter_count = supporter_count - 1 WHERE id = OLD.request_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE stop_requests SET supporter_count = supporter_count + 1 WHERE id = NEW.request_id;
    END IF;
    RETURN NULL;
END
$$
"""
_POSTGRESQL_TRIGGER = """
CREATE TRIGGER supports_counted AFTER INSERT OR DELETE OR UPDATE OF request_id ON supports
FOR EACH ROW EXECUTE FUNCTION count_supporters()
"""
_ONE_MORE = (
    "UPDATE stop_requests SET supporter_count = supporter_count + 1 WHERE id = NEW.request_id;"
)
_ONE_FEWER = (
    "UPDATE stop_requests SET supporter_count = supporter_count - 1 WHERE id = OLD.request_id;"
)
_SQLITE_TRIGGERS = {
    "supports_counted_insert": f"AFTER INSERT ON supports BEGIN {_ONE_MORE} END",
    "supports_counted_delete": f"AFTER DELETE ON supports BEGIN {_ONE_FEWER} END",
    "supports_counted_move": "AFTER UPDATE OF request_id ON supports"
    f" BEGIN {_ONE_FEWER} {_ONE_MORE} END",
}


def upgrade() -> None:
    op.add_column(
        "stop_requests",
        sa.Column("supporter_count", sa.Integer(), nullable=False, server_default="0"),
    )
    op.execute(
        "UPDATE stop_requests SET supporter_count ="
        " (SELECT count(*) FROM supports WHERE supports.request_id = stop_requests.id)"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRESQL_FUNCTION)
        op.execute(_POSTGRESQL_TRIGGER)
    else:
        for name, body in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER supports_counted ON supports")
        op.execute("DROP FUNCTION count_supporters()")
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    # Plain DROP COLUMN (SQLite 3.35+), not batch mode: a batch rebuild would lose SpatiaLite's
    # geometry triggers and spatial index on `location`.
    op.drop_column("stop_requests", "supporter_count")
