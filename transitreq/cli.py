"""``flask`` commands for operators: build the database, load the demo city, import datasets."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from transitreq import migrate

T = TypeVar("T")


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
        f"{counts['requests']} requests, {counts['projects']} stop projects, "
        f"{counts['population']:,} residents."
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


def _run_import(load: Callable[[Session, _ProgressBars], T]) -> T:
    """Run ``load(session, progress)`` on an up-to-date schema; a refused file exits with 1.

    The importer's one-line message (file, row, field, problem) is all the operator sees.
    """
    from transitreq.errors import ImportFailed

    migrate.upgrade(_engine())
    session = current_app.extensions["transitreq.sessionmaker"]()
    progress = _ProgressBars()
    try:
        return load(session, progress)
    except ImportFailed as error:
        raise click.ClickException(str(error)) from error
    except SQLAlchemyError as error:
        # Validation should have caught it; still one line, and the transaction rolled back.
        problem = str(error.orig if getattr(error, "orig", None) else error).splitlines()[0]
        raise click.ClickException(f"the database refused the import: {problem}") from error
    finally:
        progress.close()
        session.close()


@click.command("import-gtfs")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--feed", help="Dataset name to store it under (default: the file or folder name).")
@with_appcontext
def import_gtfs_command(source: Path, feed: str | None) -> None:
    """Load a GTFS feed (zip or folder), replacing an earlier import of the same feed only."""
    from transitreq.importers.gtfs import import_gtfs

    summary = _run_import(
        lambda session, progress: import_gtfs(
            session, source, feed or source.stem.lower(), progress
        )
    )
    routes = f"{summary.routes} route{'' if summary.routes == 1 else 's'}"
    click.echo(
        f"Feed {summary.feed!r} loaded: {summary.stops} stops, {routes}, "
        f"{summary.trips_per_weekday} departures on {summary.service_date:%A %Y-%m-%d}."
    )


@click.command("import-population")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--population-field", required=True, help="Column holding each unit's head count.")
@click.option("--name", help="Dataset name (default: the file name); re-importing it replaces it.")
@click.option(
    "--extra-field", "extra_fields", multiple=True, help="Another numeric column to keep (repeat)."
)
@click.option("--layer", help="GeoPackage layer to read, when the file has several.")
@click.option("--lon-field", default="lon", show_default=True, help="CSV longitude (or x) column.")
@click.option("--lat-field", default="lat", show_default=True, help="CSV latitude (or y) column.")
@click.option("--crs", "source_crs", help="CRS of the coordinates, e.g. EPSG:3067.")
@with_appcontext
def import_population_command(
    source: Path,
    population_field: str,
    name: str | None,
    extra_fields: tuple[str, ...],
    layer: str | None,
    lon_field: str,
    lat_field: str,
    source_crs: str | None,
) -> None:
    """Load a population layer (GeoPackage, GeoJSON or CSV of points), checked whole first."""
    from transitreq.importers.population import import_population

    summary = _run_import(
        lambda session, progress: import_population(
            session,
            source,
            name=name or source.stem,
            population_field=population_field,
            extra_fields=extra_fields,
            layer=layer,
            lon_field=lon_field,
            lat_field=lat_field,
            source_crs=source_crs,
            progress=progress,
        )
    )
    click.echo(
        f"Population dataset {summary.name!r} loaded: {summary.units} units "
        f"({summary.geometry_kind}), {summary.total_population:,.0f} people."
    )


@click.command("import-areas")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--name-field", default="name", show_default=True, help="Property naming each area.")
@with_appcontext
def import_areas_command(source: Path, name_field: str) -> None:
    """Load service-area boundaries from GeoJSON, replacing areas of the same names only."""
    from transitreq.importers.areas import import_service_areas

    summary = _run_import(
        lambda session, _progress: import_service_areas(session, source, name_field=name_field)
    )
    click.echo(f"Service areas loaded: {', '.join(summary.names)}.")


@click.command("create-api-key")
@click.argument("name")
@with_appcontext
def create_api_key_command(name: str) -> None:
    """Issue an Open311 API key to the client NAME; the key is shown once and stored hashed."""
    from transitreq.errors import ValidationFailed
    from transitreq.services.open311 import issue_api_key

    migrate.upgrade(_engine())
    session = current_app.extensions["transitreq.sessionmaker"]()
    try:
        key = issue_api_key(session, name)
    except ValidationFailed as error:
        raise click.ClickException(error.message) from error
    finally:
        session.close()
    click.echo(f"API key for {name.strip()} (shown only now; store it safely):")
    click.echo(key)


@click.command("revoke-api-key")
@click.argument("name")
@with_appcontext
def revoke_api_key_command(name: str) -> None:
    """Revoke the Open311 API key of the client NAME (its record is kept)."""
    from transitreq.errors import ValidationFailed
    from transitreq.services.open311 import revoke_api_key

    migrate.upgrade(_engine())
    session = current_app.extensions["transitreq.sessionmaker"]()
    try:
        client = revoke_api_key(session, name)
    except ValidationFailed as error:
        raise click.ClickException(error.message) from error
    finally:
        session.close()
    click.echo(f"The key of {client.name} is revoked since {client.revoked_at:%Y-%m-%d %H:%M} UTC.")


@click.command("rescore-requests")
@with_appcontext
def rescore_requests_command() -> None:
    """Score again every request awaiting a decision (after a new feed, population or weights)."""
    from transitreq.services.review_queue import rescore_open_requests

    scored = _run_import(lambda session, progress: rescore_open_requests(session, progress))
    click.echo(f"Scored {scored} request(s) awaiting a decision.")


@click.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="The person's name, as shown on the audit log.")
@click.option(
    "--role",
    type=click.Choice(["planner", "admin", "department"]),
    default="planner",
    show_default=True,
)
@click.option("--department", default="", help="For department staff: their department.")
@click.password_option(help="Asked for (twice) when not given.")
@with_appcontext
def create_user_command(email: str, name: str, role: str, department: str, password: str) -> None:
    """Create a staff account (planner, admin or department staff)."""
    from transitreq.errors import ValidationFailed
    from transitreq.services.accounts import NewUser, create_user

    migrate.upgrade(_engine())
    session = current_app.extensions["transitreq.sessionmaker"]()
    try:
        user = create_user(session, NewUser(email, name, role, password, department))
    except ValidationFailed as error:
        problems = "; ".join(f"{field}: {message}" for field, message in error.fields.items())
        raise click.ClickException(problems) from error
    finally:
        session.close()
    click.echo(f"Created {user.role.label.lower()} {user.name} <{user.email}>.")


@click.command("send-notifications")
@with_appcontext
def send_notifications_command() -> None:
    """Send the progress e-mails still waiting in the outbox (run it from cron or a timer)."""
    from transitreq.services.mailer import deliver_pending

    smtp = current_app.extensions["transitreq.smtp_settings"]
    if not smtp.configured:
        raise click.ClickException("MAIL_SERVER is not set; nothing can be sent.")
    migrate.upgrade(_engine())
    session = current_app.extensions["transitreq.sessionmaker"]()
    try:
        report = deliver_pending(session, smtp, limit=10_000)
    finally:
        session.close()
    click.echo(f"Sent {report.sent}, failed {report.failed}; {report.waiting} still waiting.")
    if report.failed:
        sys.exit(1)


def register(app: Flask) -> None:
    app.cli.add_command(send_notifications_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(init_db_command)
    app.cli.add_command(import_population_command)
    app.cli.add_command(import_areas_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(import_gtfs_command)
    app.cli.add_command(create_api_key_command)
    app.cli.add_command(revoke_api_key_command)
    app.cli.add_command(rescore_requests_command)
