"""Exports for other offices: requests and projects as CSV and GeoJSON, new stops as GTFS."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from transitreq.models import Role
from transitreq.web.auth import guard_blueprint

bp = Blueprint("exports", __name__, url_prefix="/planning/exports")
guard_blueprint(bp, Role.PLANNER, Role.ADMIN)


@bp.get("/")
def exports_index() -> ResponseReturnValue:
    raise NotImplementedError
