"""Suggested stops for planners: ``GET /api/planner/suggestions`` and its CSV and GeoJSON
exports (``/planning/exports/suggestions.csv|.geojson``), all answering from the stored run for
the question while the data it rests on holds (``services/analysis/suggestions.py``).

A blueprint of its own so the planners' API module keeps one job; the same roles guard it.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from transitreq.errors import ValidationFailed
from transitreq.i18n import _
from transitreq.models import Role, SuggestionRun
from transitreq.services.analysis.suggestions import (
    DEFAULT_RADIUS_M,
    SuggestionQuery,
    stored_or_new,
)
from transitreq.services.reports import export_files
from transitreq.web.api import _bounding_box
from transitreq.web.app_settings import settings
from transitreq.web.auth import guard_blueprint
from transitreq.web.database import db_session
from transitreq.web.errors import json_error
from transitreq.web.exports import CSV_TYPE, _download, _geojson

bp = Blueprint("suggestions", __name__)
guard_blueprint(bp, Role.PLANNER, Role.ADMIN)


@bp.errorhandler(ValidationFailed)
def _refused(error: ValidationFailed) -> ResponseReturnValue:
    # Every answer here is data (JSON, CSV, GeoJSON): the refusal too, naming the field.
    return json_error(error.status, error.code, error.message, error.fields)


def _whole_number(name: str, default: int | None) -> int:
    raw = request.args.get(name, "").strip()
    if not raw:
        if default is None:
            raise ValidationFailed({name: _("%(field)s is required.", field=name)})
        return default
    if not (raw.isdecimal() and len(raw) <= 6):
        raise ValidationFailed({name: _("%(field)s must be a whole number.", field=name)})
    return int(raw)


def suggestion_query() -> SuggestionQuery:
    """``count`` (1–100), ``radius_m`` (50–2000, default 400), ``bbox``, ``within`` (a
    service area's name) and ``dataset`` (a population dataset's name) from the query string;
    the service checks the ranges."""
    within = request.args.get("within", "").strip()[:120] or None
    return SuggestionQuery(
        count=_whole_number("count", None),
        radius_m=_whole_number("radius_m", DEFAULT_RADIUS_M),
        box=_bounding_box(),
        area=within,
        dataset=request.args.get("dataset", "").strip()[:120] or None,
    )


def _run() -> tuple[SuggestionRun, bool]:
    return stored_or_new(db_session(), suggestion_query(), settings().evaluation)


def suggestions_json(run: SuggestionRun, reused: bool) -> dict:
    return {
        "run_id": run.id,
        "reused": reused,
        "count": run.count,
        "radius_m": run.radius_m,
        "measure": run.measure,
        "method": run.method,
        "gap": run.gap,
        "newly_served": run.newly_served,
        "greedy_newly_served": run.greedy_newly_served,
        "upper_bound": run.upper_bound,
        "candidate_count": run.candidate_count,
        "population_dataset": run.population_dataset,
        "seconds": run.seconds,
        "created_at": run.created_at.isoformat(),
        "suggestions": export_files.suggestions_geojson(run),
    }


@bp.get("/api/planner/suggestions")
def suggestions() -> ResponseReturnValue:
    """The ``count`` new stops that together newly serve the most people within ``radius_m``
    (optional ``bbox``, ``within``): ranked GeoJSON points with each one's marginal and
    stand-alone people newly served and its route, and how the answer was found."""
    run, reused = _run()
    return jsonify(suggestions_json(run, reused))


@bp.get("/planning/exports/suggestions.csv")
def suggestions_csv() -> ResponseReturnValue:
    """The suggestions for the same question as the API, one row per stop in rank order."""
    run, _reused = _run()
    return _download(export_files.suggestions_csv(run), "suggested-stops.csv", CSV_TYPE)


@bp.get("/planning/exports/suggestions.geojson")
def suggestions_geojson() -> ResponseReturnValue:
    run, _reused = _run()
    return _geojson(export_files.suggestions_geojson(run), "suggested-stops.geojson")
