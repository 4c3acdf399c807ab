"""The modes each stop is called at with, from every trip of its feed.

Filled from the main patterns in ``route_stops`` for stops already loaded (the best record an
earlier import left); re-importing a feed fills it from all its trips.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The mode of each GTFS route_type, as models/transit.py read it on this day.
_BASIC = {
    0: "tram",
    1: "metro",
    2: "rail",
    3: "bus",
    4: "ferry",
    5: "cable_tram",
    6: "aerial_lift",
    7: "funicular",
    11: "trolleybus",
    12: "monorail",
}
_EXTENDED = (
    (100, 199, "rail"),
    (200, 299, "bus"),
    (400, 404, "metro"),
    (405, 405, "monorail"),
    (406, 499, "metro"),
    (700, 799, "bus"),
    (800, 899, "trolleybus"),
    (900, 999, "tram"),
    (1000, 1299, "ferry"),
    (1300, 1399, "aerial_lift"),
    (1400, 1499, "funicular"),
)


def _mode(route_type: int) -> str:
    if route_type in _BASIC:
        return _BASIC[route_type]
    return next((mode for lo, hi, mode in _EXTENDED if lo <= route_type <= hi), "other")


def upgrade() -> None:
    op.create_table(
        "stop_modes",
        sa.Column(
            "stop_id",
            sa.Integer,
            sa.ForeignKey("stops.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("mode", sa.String(20), primary_key=True),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT DISTINCT route_stops.stop_id, routes.route_type FROM route_stops "
            "JOIN routes ON routes.id = route_stops.route_id"
        )
    ).all()
    modes = {(stop_id, _mode(route_type)) for stop_id, route_type in rows}
    if modes:
        table = sa.table("stop_modes", sa.column("stop_id"), sa.column("mode"))
        connection.execute(
            table.insert(), [{"stop_id": stop_id, "mode": mode} for stop_id, mode in modes]
        )


def downgrade() -> None:
    op.drop_table("stop_modes")
