"""Residents stop progress e-mails from the link in each one."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str) -> ResponseReturnValue:
    raise NotImplementedError
