"""Survey photos, for the staff who may see them: planners, and the departments that sign off
the photo's project. Outside /planning, which department staff may not enter."""

from __future__ import annotations

from flask import Blueprint, Response
from flask_login import current_user
from werkzeug.utils import secure_filename

from transitreq.models import Role
from transitreq.services.projects.sign_offs import photo_for
from transitreq.web.auth import guard_blueprint
from transitreq.web.database import db_session

bp = Blueprint("photos", __name__, url_prefix="/staff/photos")
guard_blueprint(bp, Role.PLANNER, Role.ADMIN, Role.DEPARTMENT)

# Photos never change once stored; only this member of staff's browser may keep a copy.
CACHE_CONTROL = "private, max-age=86400"


@bp.get("/<int:photo_id>")
def photo(photo_id: int) -> Response:
    """The photo's bytes as the image type its content was checked to be (never sniffed)."""
    found = photo_for(db_session(), photo_id, current_user._get_current_object())
    response = Response(found.data, mimetype=found.content_type)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.set(
        "Content-Disposition", "inline", filename=secure_filename(found.filename) or "photo"
    )
    response.vary.add("Cookie")
    return response
