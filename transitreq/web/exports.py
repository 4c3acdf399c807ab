"""Exports for other offices: requests and projects as CSV and GeoJSON, new stops as GTFS.

Requests take the review queue's filters (``status``, ``district``, ``min_score``,
``max_score``, ``q``, ``bbox``, ``sort``) and export every match, not one page. Projects take
``stage`` (repeated or a comma list) and ``overdue=1``. A filter that cannot mean anything is
refused with 422 naming the field: as JSON for the GeoJSON files and for clients asking for
JSON, otherwise on the exports page beside the form.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue

from transitreq.errors import ValidationFailed
from transitreq.i18n import _
from transitreq.models import ProjectStage, Role
from transitreq.services.analysis.queue import planner_map_view
from transitreq.services.context import local_today, settings_of
from transitreq.services.reports import export_files
from transitreq.services.reports.exports import (
    ProjectQuery,
    gtfs_stops,
    project_records,
    request_records,
)
from transitreq.web.auth import guard_blueprint
from transitreq.web.database import db_session
from transitreq.web.errors import json_error
from transitreq.web.planner_api import gap_query, queue_query
from transitreq.web.presenters import tracking_url

bp = Blueprint("exports", __name__, url_prefix="/planning/exports")
guard_blueprint(bp, Role.PLANNER, Role.ADMIN)

CSV_TYPE = "text/csv; charset=utf-8"
GEOJSON_TYPE = "application/geo+json"
_YES = ("1", "true", "yes", "on")
_NO = ("", "0", "false", "no", "off")


def _download(body: str, filename: str, mimetype: str) -> Response:
    response = Response(body.encode("utf-8"), content_type=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Exports hold staff data: no shared cache keeps a copy.
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _geojson(body: dict, filename: str) -> Response:
    return _download(json.dumps(body, ensure_ascii=False), filename, GEOJSON_TYPE)


def _stages() -> tuple[ProjectStage, ...]:
    names = [
        part.strip()
        for value in request.args.getlist("stage")
        for part in value.split(",")
        if part.strip()
    ]
    try:
        return tuple(ProjectStage(name) for name in names)
    except ValueError:
        known = ", ".join(stage.value for stage in ProjectStage)
        raise ValidationFailed(
            {"stage": _("%(field)s must be one or more of %(known)s.", field="stage", known=known)}
        ) from None


def _project_query() -> ProjectQuery:
    overdue = request.args.get("overdue", "").strip().lower()
    if overdue not in _YES + _NO:
        raise ValidationFailed(
            {"overdue": _("%(field)s must be 1 (only overdue projects) or 0.", field="overdue")}
        )
    return ProjectQuery(stages=_stages(), overdue_only=overdue in _YES)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.path.endswith(".geojson") or best == "application/json"


@bp.errorhandler(ValidationFailed)
def _refused(error: ValidationFailed) -> ResponseReturnValue:
    if _wants_json():
        return json_error(error.status, error.code, error.message, error.fields)
    return _index_page(errors=error.fields), error.status


def _index_page(errors: dict[str, str] | None = None) -> str:
    session = db_session()
    return render_template(
        "planning/exports.html",
        districts=planner_map_view(session).districts,
        stages=list(ProjectStage),
        stop_id_prefix=settings_of(session).projects.gtfs_stop_id_prefix,
        args=request.args,
        errors=errors or {},
    )


@bp.get("/")
def exports_index() -> ResponseReturnValue:
    """The exports, each with the filters it takes."""
    return _index_page()


@bp.get("/requests.csv")
def requests_csv() -> ResponseReturnValue:
    """Requests matching the queue's filters, one row each, as CSV."""
    records = request_records(db_session(), queue_query(), tracking_url)
    return _download(export_files.requests_csv(records), "requests.csv", CSV_TYPE)


@bp.get("/requests.geojson")
def requests_geojson() -> ResponseReturnValue:
    """Requests matching the queue's filters as GeoJSON points."""
    records = request_records(db_session(), queue_query(), tracking_url)
    return _geojson(export_files.requests_geojson(records), "requests.geojson")


@bp.get("/projects.csv")
def projects_csv() -> ResponseReturnValue:
    """Stop projects (``stage``, ``overdue``) as CSV."""
    records = project_records(db_session(), _project_query(), local_today(db_session()))
    return _download(export_files.projects_csv(records), "projects.csv", CSV_TYPE)


@bp.get("/projects.geojson")
def projects_geojson() -> ResponseReturnValue:
    """Stop projects (``stage``, ``overdue``) as GeoJSON points at their sites."""
    records = project_records(db_session(), _project_query(), local_today(db_session()))
    return _geojson(export_files.projects_geojson(records), "projects.geojson")


@bp.get("/stops.txt")
def stops_txt() -> ResponseReturnValue:
    """The stops of projects planned or in service as a GTFS stops.txt fragment; ``stage``
    narrows them (e.g. ``stage=in_service``)."""
    stops = gtfs_stops(db_session(), _stages())
    return _download(export_files.stops_txt(stops), "stops.txt", CSV_TYPE)


@bp.get("/coverage-gap.csv")
def coverage_gap_csv() -> ResponseReturnValue:
    """The coverage gap as the planners' map layer takes it (``bbox``, none for the whole city;
    ``radius_m``, ``dataset``, ``measure``): one row per part or grid cell, then the total."""
    layer = gap_query()
    return _download(export_files.coverage_gap_csv(layer), "coverage-gap.csv", CSV_TYPE)
