"""The planners' dashboard: counts, durations, overdue milestones, requests by district.

Optional ``start`` and ``end`` (YYYY-MM-DD, inclusive) limit it to requests filed and projects
approved in that range, and ``district`` to one service area. A value that cannot mean
anything comes back on the page, naming the field, with 422.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from transitreq.errors import ValidationFailed
from transitreq.i18n import _
from transitreq.models import Role
from transitreq.services.analysis.queue import planner_map_view
from transitreq.services.context import local_today
from transitreq.services.reports import dashboard as dashboard_service
from transitreq.web.auth import guard_blueprint
from transitreq.web.charts import stacked_bar_chart
from transitreq.web.database import db_session

bp = Blueprint("dashboard", __name__, url_prefix="/planning/dashboard")
guard_blueprint(bp, Role.PLANNER, Role.ADMIN)


def _date(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        # Shown beside the field itself, so the sentence need not name it.
        raise ValidationFailed(
            {name: _("Give the date as YYYY-MM-DD, e.g. %(example)s.", example="2026-11-25")}
        ) from None


def _query() -> dashboard_service.DashboardQuery:
    district = request.args.get("district", "").strip()
    return dashboard_service.DashboardQuery(
        start=_date("start"), end=_date("end"), district=district or None
    )


def _page(**context: object) -> str:
    return render_template(
        "planning/dashboard.html",
        districts=planner_map_view(db_session()).districts,
        args=request.args,
        **context,
    )


@bp.errorhandler(ValidationFailed)
def _refused(error: ValidationFailed) -> ResponseReturnValue:
    return _page(figures=None, errors=error.fields), error.status


@bp.get("/")
def dashboard() -> ResponseReturnValue:
    """Every figure of the dashboard, for the range and district asked for."""
    figures = dashboard_service.dashboard(db_session(), _query(), local_today(db_session()))
    return _page(
        figures=figures,
        chart=stacked_bar_chart(figures.monthly),
        errors={},
    )
