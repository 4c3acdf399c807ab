"""Department staff: their own department's sign-offs, and nothing else.

The page lists only the sign-offs the member's department owns; a decision posted for any other
sign-off is refused by the service (403) and writes nothing. Decisions carry the project's
``version`` like every project form, so a stale one is refused with 409.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from transitreq.errors import DomainError, ValidationFailed
from transitreq.i18n import _, lazy_gettext
from transitreq.models import Role
from transitreq.services.context import local_today
from transitreq.services.projects.overview import sign_off_cards
from transitreq.services.projects.sign_offs import decide_sign_off
from transitreq.web.auth import guard_blueprint
from transitreq.web.database import db_session
from transitreq.web.map_base import MapMark
from transitreq.web.staff_maps import sites_map

bp = Blueprint("departments", __name__, url_prefix="/departments")
guard_blueprint(bp, Role.DEPARTMENT)

DONE_MESSAGES = {
    "approve": lazy_gettext("Signed off: the planners see your approval."),
    "changes": lazy_gettext("Your request for changes is sent to the planners."),
    "refuse": lazy_gettext("Your refusal is recorded; the planners see your reason."),
}


def _page(
    failed: int | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    user = current_user._get_current_object()
    cards, photos = sign_off_cards(db_session(), user)
    # One dot per project on the overview map, named as on its card.
    sites = {
        card.project.id: MapMark(
            card.point.y,
            card.point.x,
            _("%(name)s (project %(number)s)", name=card.project.name, number=card.project.id),
            "project",
        )
        for card in cards
    }
    return render_template(
        "departments/sign_offs.html",
        department=user.department,
        cards=cards,
        photos=photos,
        map=sites_map(list(sites.values())) if sites else None,
        today=local_today(db_session()),
        failed=failed,
        errors=errors or {},
        message=message,
        form=request.form if failed else {},
    ), status


@bp.get("/")
def sign_offs() -> ResponseReturnValue:
    """The department's sign-offs, newest project first, with what the survey found."""
    return _page()


@bp.post("/sign-offs/<int:milestone_id>")
def decide(milestone_id: int) -> ResponseReturnValue:
    """``decision`` approve, changes or refuse; ``reason`` required for the last two."""
    form = request.form
    decision = form.get("decision", "")
    try:
        try:
            version = int(form.get("version", ""))
        except ValueError:
            raise ValidationFailed(
                {"version": _("The form lost the version; reload the page.")}
            ) from None
        decide_sign_off(
            db_session(),
            milestone_id,
            version,
            current_user._get_current_object(),
            decision,
            form.get("reason", ""),
        )
    except DomainError as refusal:
        return _page(milestone_id, refusal.fields, refusal.message, refusal.status)
    flash(str(DONE_MESSAGES[decision]), "success")
    return redirect(url_for("departments.sign_offs") + f"#sign-off-{milestone_id}", 303)
