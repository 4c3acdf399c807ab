"""``flask`` commands for operators: build the database, load the demo city, import datasets."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from transitreq import migrate
from transitreq.i18n import LOCALES
from transitreq.models import utc_now
from transitreq.services.mail.delivery import MailSettings, deliver_due, deliver_until_stopped
from transitreq.services.mail.outbox import requeue
from transitreq.web.app_settings import settings as app_settings

T = TypeVar("T")


def _engine():
    return current_app.extensions["transitreq.engine"]


def _require_current_schema() -> None:
    """Commands other than init-db and seed-demo work on the schema as it is: migrating it
    silently, perhaps in the middle of a deployment, is init-db's job alone."""
    current, head = migrate.current_revision(_engine()), migrate.head_revision()
    if current != head:
        found = "is empty" if current is None else f"is at revision {current}"
        raise click.ClickException(
            f"The database schema {found}; this version of transitreq needs {head}. "
            "Run `flask --app transitreq init-db` first."
        )


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema to the latest migration (safe to repeat)."""
    migrate.upgrade(_engine())
    click.echo(f"Database ready at revision {migrate.current_revision(_engine())}.")


@click.command("seed-demo")
@click.option(
    "--language",
    type=click.Choice(LOCALES),
    default=None,
    help="The language its names, requests and notes are written in (default: DEFAULT_LOCALE).",
)
@with_appcontext
def seed_demo_command(language: str | None) -> None:
    """Load Riverbend, the demo city (replacing an earlier copy of it, never real data)."""
    from transitreq.importers.demo_city import seed_demo_city

    migrate.upgrade(_engine())
    session = current_app.extensions["transitreq.sessionmaker"]()
    try:
        counts = seed_demo_city(session, language)
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

    _require_current_schema()
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
@click.option(
    "--strict", is_flag=True, help="Refuse the feed on any warning instead of repairing it."
)
@with_appcontext
def import_gtfs_command(source: Path, feed: str | None, strict: bool) -> None:
    """Load a GTFS feed (zip or folder), replacing an earlier import of the same feed only.

    Defects that change no answer (a colour that is not one, an exact duplicate row…) are
    repaired and reported; the report is printed and kept with the feed's import record.
    """
    from transitreq.importers.gtfs import import_gtfs

    summary = _run_import(
        lambda session, progress: import_gtfs(
            session, source, feed or source.stem.lower(), progress, strict=strict
        )
    )
    routes = f"{summary.routes} route{'' if summary.routes == 1 else 's'}"
    click.echo(
        f"Feed {summary.feed!r} loaded: {summary.stops} stops, {routes}, "
        f"{summary.trips_per_weekday} departures on {summary.service_date:%A %Y-%m-%d}."
    )
    _echo_report(summary.report)
    # What the scores rest on changed.
    _rescore()


def _echo_report(report) -> None:
    """The import's notices, one line per code and its first examples, or that there were none."""
    lines = report.lines()
    click.echo("Report:" if lines else "Report: nothing to repair or note.")
    for line in lines:
        click.echo(f"  {line}")


@click.command("import-population")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--population-field",
    default="population",
    show_default=True,
    help="Column holding each unit's head count (a raster's cells hold theirs).",
)
@click.option("--name", help="Dataset name (default: the file name); re-importing it replaces it.")
@click.option(
    "--extra-field", "extra_fields", multiple=True, help="Another numeric column to keep (repeat)."
)
@click.option(
    "--layer", help="GeoPackage layer, Shapefile in a zip, or raster band number, if several."
)
@click.option("--lon-field", default="lon", show_default=True, help="CSV longitude (or x) column.")
@click.option("--lat-field", default="lat", show_default=True, help="CSV latitude (or y) column.")
@click.option("--crs", "source_crs", help="CRS of the coordinates, e.g. EPSG:3067.")
@click.option("--strict", is_flag=True, help="Refuse the file on any warning instead of skipping.")
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
    strict: bool,
) -> None:
    """Load a population layer (GeoPackage, GeoJSON, CSV of points, Shapefile, FlatGeobuf,
    GeoParquet or GeoTIFF raster), checked whole first; prints what it skipped and why."""
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
            strict=strict,
            progress=progress,
        )
    )
    click.echo(
        f"Population dataset {summary.name!r} loaded: {summary.units} units "
        f"({summary.geometry_kind}), {summary.total_population:,.0f} people; "
        f"{summary.skipped:,} skipped."
    )
    for line in summary.report.lines():
        click.echo(line)
    # What the scores rest on changed.
    _rescore()


@click.command("import-areas")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--name-field", default="name", show_default=True, help="Property naming each area.")
@click.option("--name", "set_name", help="The set's name on the Data page (default: the file's).")
@with_appcontext
def import_areas_command(source: Path, name_field: str, set_name: str | None) -> None:
    """Load service-area boundaries from GeoJSON, replacing areas of the same names only."""
    from transitreq.importers.areas import import_service_areas

    summary = _run_import(
        lambda session, _progress: import_service_areas(
            session, source, name_field=name_field, set_name=set_name
        )
    )
    click.echo(f"Service areas loaded: {', '.join(summary.names)}.")


@click.command("import-osm")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--name", help="Network name (default: the file name); re-importing it replaces it.")
@with_appcontext
def import_osm_command(source: Path, name: str | None) -> None:
    """Load the walkable street network of an OpenStreetMap extract (.osm.pbf) and link the
    population units and stops inside it, for walking catchments."""
    from transitreq.importers.osm import import_osm

    default_name = source.name.split(".")[0]
    summary = _run_import(
        lambda session, progress: import_osm(session, source, name or default_name, progress)
    )
    click.echo(
        f"Street network {summary.name!r} loaded: {summary.ways:,} walkable ways, "
        f"{summary.nodes:,} nodes, {summary.edges:,} edges, {summary.length_m / 1000:,.1f} km; "
        f"linked {summary.linked.units:,} population units and {summary.linked.stops:,} stops."
    )
    _echo_report(summary.report)
    # What the scores rest on changed.
    _rescore()


@click.command("create-api-key")
@click.argument("name")
@with_appcontext
def create_api_key_command(name: str) -> None:
    """Issue an Open311 API key to the client NAME; the key is shown once and stored hashed."""
    from transitreq.errors import ValidationFailed
    from transitreq.services.requests.open311 import issue_api_key

    _require_current_schema()
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
    from transitreq.services.requests.open311 import revoke_api_key

    _require_current_schema()
    session = current_app.extensions["transitreq.sessionmaker"]()
    try:
        client = revoke_api_key(session, name)
    except ValidationFailed as error:
        raise click.ClickException(error.message) from error
    finally:
        session.close()
    click.echo(f"The key of {client.name} is revoked since {client.revoked_at:%Y-%m-%d %H:%M} UTC.")


def _rescore() -> None:
    """Score again every request awaiting a decision, batch by batch, each batch committed."""
    from transitreq.services.analysis.scores import rescore_open_requests

    scored = _run_import(lambda session, progress: rescore_open_requests(session, progress))
    click.echo(f"Scored {scored} request(s) awaiting a decision.")


@click.command("refresh-coverage")
@click.option("--stale-only", is_flag=True, help="Only datasets whose store is out of date.")
@with_appcontext
def refresh_coverage_command(stale_only: bool) -> None:
    """Store again who is within reach of a stop, per population dataset (after changing
    CATCHMENT_BY_ROUTE_TYPE, CATCHMENT_RADII_M or METRIC_SRID, or stops written by hand)."""
    from transitreq.db import unit_of_work
    from transitreq.services.analysis.coverage import refresh_coverage

    def refresh(session: Session, _progress: _ProgressBars) -> list[str]:
        with unit_of_work(session):
            return refresh_coverage(session, only_stale=stale_only)

    names = _run_import(refresh)
    click.echo(f"Coverage stored for {len(names)} population dataset(s): {', '.join(names)}")


@click.command("rescore-requests")
@with_appcontext
def rescore_requests_command() -> None:
    """Score again every request awaiting a decision. Imports of feeds, population and streets
    do this by themselves, and other weights are noticed by the web processes; this is for
    scoring everything at once, now."""
    _rescore()


@click.command("suggest-stops")
@click.option("--count", "count", type=int, required=True, help="How many new stops (1–100).")
@click.option("--radius-m", type=int, default=400, show_default=True, help="Catchment radius.")
@click.option("--within", "area", help="Stay within the service area of this name.")
@with_appcontext
def suggest_stops_command(count: int, radius_m: int, area: str | None) -> None:
    """Suggest the COUNT new stops that together newly serve the most people, print them and
    store the run (reused while the stops, routes, population and streets stay the same)."""
    from transitreq.errors import ValidationFailed
    from transitreq.services.analysis.suggestions import SuggestionQuery, stored_or_new

    _require_current_schema()
    session = current_app.extensions["transitreq.sessionmaker"]()
    try:
        query = SuggestionQuery(count=count, radius_m=radius_m, area=area or None)
        run, reused = stored_or_new(session, query, app_settings().evaluation)
        click.echo(_suggestion_table(run, reused))
    except ValidationFailed as error:
        raise click.ClickException(
            "; ".join(
                f"--{field.replace('_', '-')}: {text}" for field, text in error.fields.items()
            )
        ) from error
    finally:
        session.close()


def _suggestion_table(run, reused: bool) -> str:
    lines = [
        f"{'rank':>4}  {'lat':>10}  {'lon':>11}  {'newly served':>12}  {'alone':>9}  route",
    ]
    for stop in run.stops:
        lines.append(
            f"{stop.rank:>4}  {stop.lat:>10.6f}  {stop.lon:>11.6f}  {stop.newly_served:>12.1f}"
            f"  {stop.newly_served_alone:>9.1f}  {stop.route_name}"
        )
    measure = "walking" if run.measure == "walk" else "straight line"
    lines.append(
        f"{len(run.stops)} stop(s) newly serve {run.newly_served:.1f} people within "
        f"{run.radius_m} m ({measure}); method {run.method}, optimality gap "
        f"{run.gap * 100:.2f} %, greedy {run.greedy_newly_served:.1f}; "
        f"{run.candidate_count} candidate sites; run {run.id}"
        + (" (stored, reused)" if reused else f", solved in {run.seconds:.2f} s")
    )
    return "\n".join(lines)


@click.command("advance-projects")
@with_appcontext
def advance_projects_command() -> None:
    """Put in service every stop project whose first day of service has come (run daily)."""
    from transitreq.services.projects.advance import advance_due_projects

    _require_current_schema()
    session = current_app.extensions["transitreq.sessionmaker"]()
    try:
        moved = advance_due_projects(session)
    finally:
        session.close()
    numbers = ", ".join(str(project_id) for project_id in moved) or "none"
    click.echo(f"{len(moved)} stop project(s) entered service: {numbers}.")


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
    from transitreq.services.accounts.staff import NewUser, create_user

    _require_current_schema()
    session = current_app.extensions["transitreq.sessionmaker"]()
    try:
        user = create_user(session, NewUser(email, name, role, password, department))
    except ValidationFailed as error:
        problems = "; ".join(f"{field}: {message}" for field, message in error.fields.items())
        raise click.ClickException(problems) from error
    finally:
        session.close()
    click.echo(f"Created {user.role.label.lower()} {user.name} <{user.email}>.")


def _mail_settings() -> MailSettings:
    settings = app_settings().mail
    if not settings.smtp.configured:
        raise click.ClickException("MAIL_SERVER is not set; nothing can be sent.")
    return settings


def _deliver_once() -> None:
    """One run over the outbox; exits with 1 when the server or any message failed."""
    settings = _mail_settings()
    _require_current_schema()
    session = current_app.extensions["transitreq.sessionmaker"]()
    try:
        report = deliver_due(session, settings)
    finally:
        session.close()
    click.echo(
        f"Sent {report.sent}, to retry later {report.retrying}, dead {report.dead}; "
        f"{report.waiting} still waiting."
    )
    if report.server_problem:
        click.echo(f"Stopped: {report.server_problem}", err=True)
    if report.dead_total:
        click.echo(
            f"{report.dead_total} dead message(s) wait for an administrator: see /admin/mail "
            "or `flask requeue-mail`.",
            err=True,
        )
    if report.failed:
        sys.exit(1)


@click.command("deliver-mail")
@click.option("--once", is_flag=True, help="Send what is due, then exit (for cron or a timer).")
@click.option(
    "--interval-s",
    type=click.FloatRange(min=0.1),
    help="Seconds between looks at the outbox (default: MAIL_POLL_INTERVAL_S).",
)
@with_appcontext
def deliver_mail_command(once: bool, interval_s: float | None) -> None:
    """Send the progress e-mails in the outbox: a worker until SIGTERM or Ctrl-C, or one run.

    With --once the exit status is 1 when the mail server could not be reached or a message
    was refused.
    """
    if once:
        _deliver_once()
        return
    settings = _mail_settings()
    _require_current_schema()
    # The worker says what it does on stderr, unless the host already configured logging.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("transitreq.mail").setLevel(logging.INFO)
    stop = threading.Event()

    def finish(signum: int, _frame) -> None:
        logging.getLogger("transitreq.mail").info(
            "%s: stopping after the message in hand", signal.Signals(signum).name
        )
        stop.set()

    handlers = {number: signal.signal(number, finish) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        deliver_until_stopped(
            current_app.extensions["transitreq.sessionmaker"], settings, stop, interval_s
        )
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


@click.command("send-notifications")
@with_appcontext
def send_notifications_command() -> None:
    """The same as `deliver-mail --once`, under the name existing cron jobs use."""
    _deliver_once()


@click.command("requeue-mail")
@click.option("--all", "every_dead", is_flag=True, help="Every dead message.")
@click.argument("message_ids", nargs=-1, type=click.IntRange(min=1, max=2**31 - 1))
@with_appcontext
def requeue_mail_command(every_dead: bool, message_ids: tuple[int, ...]) -> None:
    """Give dead (or long-waiting) messages a fresh start: by ID, or --all dead ones.

    Their attempts and last error are cleared and they are sent at the next run; a message a
    worker is sending right now is left alone. Exits with 1 when an ID was not re-queued.
    """
    if every_dead == bool(message_ids):
        raise click.UsageError("Name message IDs or give --all, not both.")
    _require_current_schema()
    session = current_app.extensions["transitreq.sessionmaker"]()
    try:
        requeued = requeue(session, utc_now(), None if every_dead else message_ids)
    finally:
        session.close()
    click.echo(f"Re-queued {requeued} message(s).")
    if message_ids and requeued < len(set(message_ids)):
        raise click.ClickException(
            "Some IDs were not re-queued: already sent, being sent right now, or unknown."
        )


def register(app: Flask) -> None:
    app.cli.add_command(deliver_mail_command)
    app.cli.add_command(send_notifications_command)
    app.cli.add_command(requeue_mail_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(init_db_command)
    app.cli.add_command(import_population_command)
    app.cli.add_command(import_areas_command)
    app.cli.add_command(import_osm_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(import_gtfs_command)
    app.cli.add_command(create_api_key_command)
    app.cli.add_command(revoke_api_key_command)
    app.cli.add_command(rescore_requests_command)
    app.cli.add_command(advance_projects_command)
    app.cli.add_command(refresh_coverage_command)
    app.cli.add_command(suggest_stops_command)
