"""Alembic environment: one history that upgrades SpatiaLite and PostGIS alike.

A caller that already holds a connection (``flask init-db``, the tests) hands it over in
``config.attributes["connection"]``; otherwise the URL is the app's own (DATABASE_URL or the
embedded SpatiaLite file), so `alembic upgrade head` by hand hits the same database as the app.
"""

from __future__ import annotations

from alembic import context

from transitreq.models import Base

target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from transitreq import create_app
    from transitreq.db import make_engine

    app = create_app()
    engine = make_engine(app.config["DATABASE_URL"])
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("transitreq migrations run online only: spatial DDL needs a live database.")
run_migrations_online()
