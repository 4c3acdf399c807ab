"""``flask`` commands for operators: build the database and load the demo city."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from transitreq import migrate


def _engine():
    return current_app.extensions["transitreq.engine"]


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema to the latest migration (safe to repeat)."""
    migrate.upgrade(_engine())
    click.echo(f"Database ready at revision {migrate.current_revision(_engine())}.")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load Riverbend, the demo city (replacing an earlier copy of it, never real data)."""
    from transitreq.importers.demo_city import seed_demo_city

    migrate.upgrade(_engine())
    session = current_app.extensions["transitreq.sessionmaker"]()
    try:
        counts = seed_demo_city(session)
    finally:
        session.close()
    click.echo(
        f"Demo city loaded: {counts['routes']} routes, {counts['stops']} stops, "
        f"{counts['requests']} requests."
    )


def register(app: Flask) -> None:
    app.cli.add_command(init_db_command)
    app.cli.add_command(seed_demo_command)
