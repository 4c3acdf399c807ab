"""Stop projects: the list with overdue flags, and the page where planners record milestones."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from transitreq.models import Role
from transitreq.web.auth import guard_blueprint

bp = Blueprint("projects", __name__, url_prefix="/planning/projects")
guard_blueprint(bp, Role.PLANNER, Role.ADMIN)


@bp.get("/")
def project_list() -> ResponseReturnValue:
    raise NotImplementedError
