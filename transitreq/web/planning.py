"""Planners' pages: the evidence for a candidate stop site."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from transitreq.errors import DomainError
from transitreq.geo.layers import route_lines_in_box, routes_by_id
from transitreq.geo.metric import box_around
from transitreq.models import Role
from transitreq.services.evaluation import EvaluationSettings, SiteEvaluation, evaluate_site
from transitreq.services.review_queue import MAX_PER_PAGE, planner_map_view
from transitreq.web.auth import guard_blueprint, planner_required
from transitreq.web.database import db_session
from transitreq.web.forms import evaluation_query
from transitreq.web.map_base import RenderedMap
from transitreq.web.presenters import routes_geojson
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
        map=_site_map(session, evaluation, query.settings),
        settings=query.settings,
        error=None,
    )


def _site_map(
    session: Session, evaluation: SiteEvaluation, settings: EvaluationSettings
) -> RenderedMap:
    """The site, its catchments, nearest stops, and the routes near it cut to the map's area
    (whole route shapes would make the page megabytes long)."""
    route_ids = [route.route_id for route in evaluation.routes_in_catchment]
    box = box_around(evaluation.lon, evaluation.lat, 1.5 * max(settings.catchment_radii_m))
    routes = routes_geojson(
        routes_by_id(session, route_ids), route_lines_in_box(session, route_ids, box)
    )
    stops = [
        (near.lat, near.lon, f"{near.name} ({near.distance_m:.0f} m)")
        for near in evaluation.nearest_stops
    ]
    return evaluation_map(evaluation.lat, evaluation.lon, settings.catchment_radii_m, routes, stops)
