"""``flask`` commands for operators: build the database and load the demo city."""

from __future__ import annotations

import sys
from pathlib import Path

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


class _ProgressBars:
    """Shows an importer's ``progress(stage, done, total)`` calls as one bar per stage."""

    def __init__(self) -> None:
        self._stage: str | None = None
        self._bar = None
        self._done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self._stage:
            self.close()
            self._stage, self._done = stage, 0
            self._bar = click.progressbar(length=max(total, 1), label=stage, file=sys.stderr)
            self._bar.__enter__()
        self._bar.update(done - self._done)
        self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@click.command("import-gtfs")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--feed", help="Dataset name to store it under (default: the file or folder name).")
@with_appcontext
def import_gtfs_command(source: Path, feed: str | None) -> None:
    """Load a GTFS feed (zip or folder), replacing an earlier import of the same feed only."""
    from transitreq.errors import ImportFailed
    from transitreq.importers.gtfs import import_gtfs

    migrate.upgrade(_engine())
    session = current_app.extensions["transitreq.sessionmaker"]()
    progress = _ProgressBars()
    try:
        summary = import_gtfs(session, source, feed or source.stem.lower(), progress)
    except ImportFailed as error:
        raise click.ClickException(error.message) from error
    finally:
        progress.close()
        session.close()
    routes = f"{summary.routes} route{'' if summary.routes == 1 else 's'}"
    click.echo(
        f"Feed {summary.feed!r} loaded: {summary.stops} stops, {routes}, "
        f"{summary.trips_per_weekday} departures on {summary.service_date:%A %Y-%m-%d}."
    )


def register(app: Flask) -> None:
    app.cli.add_command(init_db_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(import_gtfs_command)
