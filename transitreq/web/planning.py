"""Planners' pages: the evidence for a candidate stop site."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from transitreq.errors import DomainError
from transitreq.geo.geojson import geometry_to_geojson
from transitreq.i18n import _, format_number
from transitreq.models import Role
from transitreq.services.analysis.evaluation import (
    WALK,
    EvaluationSettings,
    SiteEvaluation,
    evaluate_site,
)
from transitreq.services.analysis.queue import MAX_PER_PAGE, planner_map_view
from transitreq.web.auth import guard_blueprint, planner_required
from transitreq.web.database import db_session
from transitreq.web.forms import evaluation_query
from transitreq.web.map_base import MapArea, MapMark, MapShell
from transitreq.web.staff_maps import evaluation_map, planner_map

bp = Blueprint("planning", __name__, url_prefix="/planning")
# Every planning page is for planners (and administrators) only, whoever adds it.
guard_blueprint(bp, Role.PLANNER, Role.ADMIN)


@bp.get("/")
@planner_required
def planner_map_page() -> ResponseReturnValue:
    """The planners' map with the review queue beside it; both load from /api/planner/."""
    view = planner_map_view(db_session())
    return render_template(
        "planning/map.html",
        map=planner_map(view.extent),
        districts=view.districts,
        max_per_page=MAX_PER_PAGE,
    )


@bp.get("/evaluate")
def evaluate() -> ResponseReturnValue:
    """Evaluate the site at ``lat``/``lon`` (optional ``radii``, ``dataset``), or ask for one."""
    if not request.args.get("lat") and not request.args.get("lon"):
        return render_template("planning/evaluate.html", evaluation=None, error=None)
    session = db_session()
    try:
        query = evaluation_query(request.args)
        evaluation = evaluate_site(session, query.point, query.settings, query.dataset)
    except DomainError as refusal:
        page = render_template("planning/evaluate.html", evaluation=None, error=refusal.message)
        return page, refusal.status
    return render_template(
        "planning/evaluate.html",
        evaluation=evaluation,
        map=_site_map(evaluation, query.settings),
        settings=query.settings,
        error=None,
    )


def _site_map(evaluation: SiteEvaluation, settings: EvaluationSettings) -> MapShell:
    """The site, its catchments and nearest stops; the lines come for the view as JSON."""
    stops = [
        MapMark(
            near.lat,
            near.lon,
            _("%(stop)s (%(metres)s m)", stop=near.name, metres=format_number(near.distance_m)),
            "stop",
        )
        for near in evaluation.nearest_stops
    ]
    walking = [
        MapArea(
            geometry_to_geojson(catchment.area),
            _(
                "Within a %(radius)s m walk along the streets",
                radius=format_number(catchment.radius_m),
            ),
            f"walking-area walking-area-{catchment.radius_m}",
        )
        for catchment in sorted(evaluation.catchments, key=lambda c: -c.radius_m)
        if catchment.measure == WALK and catchment.area is not None
    ]
    return evaluation_map(
        evaluation.lat, evaluation.lon, settings.catchment_radii_m, stops, walking
    )
