"""Planners read residents' feedback on finished stops before it is shown publicly."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from transitreq.models import Role
from transitreq.web.auth import guard_blueprint

bp = Blueprint("moderation", __name__, url_prefix="/planning/feedback")
guard_blueprint(bp, Role.PLANNER, Role.ADMIN)


@bp.get("/")
def moderation_queue() -> ResponseReturnValue:
    raise NotImplementedError
