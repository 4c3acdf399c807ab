"""The planners' dashboard: counts, durations, overdue milestones, requests by district."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from transitreq.models import Role
from transitreq.web.auth import guard_blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/planning/dashboard")
guard_blueprint(bp, Role.PLANNER, Role.ADMIN)


@bp.get("/")
def dashboard() -> ResponseReturnValue:
    raise NotImplementedError
