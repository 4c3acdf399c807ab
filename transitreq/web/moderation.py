"""Planners read residents' feedback on finished stops before it is shown publicly."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from transitreq.i18n import lazy_gettext
from transitreq.models import Role
from transitreq.services.requests.feedback import feedback_queue, moderate
from transitreq.web.auth import guard_blueprint
from transitreq.web.database import db_session

bp = Blueprint("moderation", __name__, url_prefix="/planning/feedback")
guard_blueprint(bp, Role.PLANNER, Role.ADMIN)

_DONE = {
    "publish": lazy_gettext("Published: it now shows on the tracking page."),
    "hide": lazy_gettext("Hidden: residents will not see it."),
}


@bp.get("/")
def moderation_queue() -> ResponseReturnValue:
    """Pending feedback first (oldest first), then the latest decisions."""
    return render_template("planning/feedback.html", items=feedback_queue(db_session()))


def _decide(feedback_id: int, decision: str) -> ResponseReturnValue:
    moderate(db_session(), feedback_id, current_user._get_current_object(), decision)
    flash(str(_DONE[decision]), "success")
    return redirect(url_for("moderation.moderation_queue"), 303)


@bp.post("/<int:feedback_id>/publish")
def publish(feedback_id: int) -> ResponseReturnValue:
    """Show the message on the tracking pages of the stop's requests."""
    return _decide(feedback_id, "publish")


@bp.post("/<int:feedback_id>/hide")
def hide(feedback_id: int) -> ResponseReturnValue:
    """Keep the message on record but out of public view."""
    return _decide(feedback_id, "hide")
