"""Planners' pages: the evidence for a candidate stop site."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue

from transitreq.errors import DomainError
from transitreq.geo.coordinates import point_from_lat_lon
from transitreq.geo.layers import routes_by_id
from transitreq.services.evaluation import evaluate_site, parse_radii
from transitreq.web.database import db_session
from transitreq.web.maps import evaluation_map
from transitreq.web.presenters import routes_geojson

bp = Blueprint("planning", __name__, url_prefix="/planning")


@bp.get("/evaluate")
def evaluate() -> ResponseReturnValue:
    """Evaluate the site at ``lat``/``lon`` (optional ``radii``), or ask for one."""
    if not request.args.get("lat") and not request.args.get("lon"):
        return render_template("planning/evaluate.html", evaluation=None, error=None)
    session = db_session()
    try:
        point = point_from_lat_lon(request.args.get("lat"), request.args.get("lon"))
        settings = current_app.extensions["transitreq.evaluation_settings"]
        if request.args.get("radii"):
            settings = replace(settings, catchment_radii_m=parse_radii(request.args["radii"]))
        evaluation = evaluate_site(session, point, settings)
    except DomainError as refusal:
        return render_template(
            "planning/evaluate.html", evaluation=None, error=refusal.message
        ), refusal.status
    routes = routes_by_id(session, [route.route_id for route in evaluation.routes_in_catchment])
    stops = [
        (near.lat, near.lon, f"{near.name} ({near.distance_m:.0f} m)")
        for near in evaluation.nearest_stops
    ]
    rendered = evaluation_map(
        point.y, point.x, settings.catchment_radii_m, routes_geojson(routes), stops
    )
    return render_template(
        "planning/evaluate.html", evaluation=evaluation, map=rendered, settings=settings, error=None
    )
