"""A revision number of the stops, raised by the database whenever a stop or its modes change.

Stored coverage (0019) must not be used once the stops it was computed from have changed. It was
judged by the stop count and the highest stop id, which every evaluation counted afresh (10,000
stops: a millisecond or two) and which missed a stop moved in place or a change of the modes
calling at one. Triggers on ``stops`` (insert, delete, a moved location) and ``stop_modes``
raise ``stop_revision.revision`` instead, whoever writes: the importer, a project entering
service or a hand edit. Each coverage state records the revision it was computed at; a store
whose count and id matched the stops at upgrade keeps being used.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_RAISE = "UPDATE stop_revision SET revision = revision + 1 WHERE id = 1;"
_POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION raise_stop_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_RAISE}
    RETURN NULL;
END
$$
"""
# PostgreSQL raises it once per statement (an import of 10,000 stops: once); SQLite has only
# row triggers, each a cheap update of one row.
_POSTGRESQL_TRIGGERS = {
    "stops_revised": "AFTER INSERT OR DELETE OR UPDATE OF location ON stops",
    "stop_modes_revised": "AFTER INSERT OR DELETE OR UPDATE ON stop_modes",
}
_SQLITE_TRIGGERS = {
    "stops_revised_insert": "AFTER INSERT ON stops",
    "stops_revised_delete": "AFTER DELETE ON stops",
    "stops_revised_move": "AFTER UPDATE OF location ON stops",
    "stop_modes_revised_insert": "AFTER INSERT ON stop_modes",
    "stop_modes_revised_delete": "AFTER DELETE ON stop_modes",
    "stop_modes_revised_update": "AFTER UPDATE ON stop_modes",
}


def upgrade() -> None:
    op.create_table(
        "stop_revision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
    )
    op.execute("INSERT INTO stop_revision (id, revision) VALUES (1, 0)")
    op.add_column("coverage_states", sa.Column("stops_revision", sa.BigInteger()))
    op.execute(
        "UPDATE coverage_states SET stops_revision = 0 WHERE stop_count ="
        " (SELECT count(*) FROM stops) AND last_stop_id = (SELECT coalesce(max(id), 0) FROM stops)"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRESQL_FUNCTION)
        for name, when in _POSTGRESQL_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT"
                " EXECUTE FUNCTION raise_stop_revision()"
            )
    else:
        for name, when in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} BEGIN {_RAISE} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER stops_revised ON stops")
        op.execute("DROP TRIGGER stop_modes_revised ON stop_modes")
        op.execute("DROP FUNCTION raise_stop_revision()")
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    # Plain DROP COLUMN (SQLite 3.35+), as in 0022.
    op.drop_column("coverage_states", "stops_revision")
    op.drop_table("stop_revision")
