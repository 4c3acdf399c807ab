"""Department staff: their own department's sign-offs, and nothing else."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from transitreq.models import Role
from transitreq.web.auth import guard_blueprint

bp = Blueprint("departments", __name__, url_prefix="/departments")
guard_blueprint(bp, Role.DEPARTMENT)


@bp.get("/")
def sign_offs() -> ResponseReturnValue:
    raise NotImplementedError
