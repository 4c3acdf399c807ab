"""A planner's review page for one request, and the decisions taken on it.

Every decision form carries the request's ``version`` as the planner saw it; a decision on a
request that changed since is refused with 409 and the page shown again as it is now.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from shapely.geometry import Point
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from transitreq.errors import DomainError, StaleDecision, ValidationFailed
from transitreq.geo.geojson import as_point
from transitreq.i18n import _, current_locale, lazy_gettext
from transitreq.models import TemplateKind
from transitreq.services.analysis.pin_weighing import weigh_pin
from transitreq.services.requests import assignment, bulk, decisions, photos, templates
from transitreq.services.requests.filing import find_by_reference
from transitreq.services.requests.review import Review, review_of
from transitreq.web.app_settings import settings
from transitreq.web.auth import planner_required
from transitreq.web.database import db_session
from transitreq.web.forms import point_from_form
from transitreq.web.map_base import MapShell
from transitreq.web.staff_maps import review_map

bp = Blueprint("review", __name__, url_prefix="/planning/requests")


def _map(review: Review) -> MapShell:
    """The resident's pin; the lines and the other requests come for the view as JSON."""
    return review_map(review.point.y, review.point.x, review.stop_request.status.colour)


# Each decision form's fields by their label, for the error summary that links to them.
FIELD_LABELS = {
    "location": lazy_gettext("Where the stop goes"),
    "lat": lazy_gettext("Where the stop goes"),
    "lon": lazy_gettext("Where the stop goes"),
    "site": lazy_gettext("Suggested site"),
    "link_radius_m": lazy_gettext("Also approve open requests within"),
    "note": lazy_gettext("Note to residents"),
    "into_reference": lazy_gettext("Reference of the request to keep"),
    "reason_code": lazy_gettext("Public reason"),
    "text": lazy_gettext("Explanation for residents"),
    "question": lazy_gettext("Question"),
    "confirm": lazy_gettext("Confirm"),
    "assignee": lazy_gettext("Assigned to"),
    "selected": lazy_gettext("Requests"),
    "action": lazy_gettext("What to do"),
}
# Each language a resident may file in, named in the planner's language.
LANGUAGE_NAMES = {"en": lazy_gettext("English"), "zh_Hans": lazy_gettext("Chinese")}
# The templates each form may start from, for counting their use.
TEMPLATE_KINDS = {
    "approve": TemplateKind.PUBLIC_NOTE,
    "merge": TemplateKind.PUBLIC_NOTE,
    "ask": TemplateKind.QUESTION,
}


def _page(
    reference: str,
    failed: str | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    session = db_session()
    review = review_of(
        session,
        reference,
        settings().evaluation,
        settings().nearby_radius_m,
    )
    resident_locale = review.stop_request.locale or settings().default_locale
    errors = dict(errors or {})
    # A refusal that names a field of the form is said beside it (and linked from the
    # summary); any other (a stale form, a stage that forbids it) is said at the top, once.
    beside = {name: words for name, words in errors.items() if name in FIELD_LABELS}
    elsewhere = [words for name, words in errors.items() if name not in FIELD_LABELS]
    if errors:
        message = " ".join(elsewhere) or None
    return render_template(
        "planning/review.html",
        review=review,
        stop_request=review.stop_request,
        evaluation=review.evaluation,
        settings=settings().evaluation,
        map=_map(review),
        rejection_reasons=templates.templates_of(session, TemplateKind.REJECTION_REASON),
        questions=templates.templates_of(session, TemplateKind.QUESTION),
        public_notes=templates.templates_of(session, TemplateKind.PUBLIC_NOTE),
        resident_locale=resident_locale,
        resident_language=LANGUAGE_NAMES.get(resident_locale, resident_locale),
        page_locale=str(current_locale()),
        planners=assignment.planners(session),
        labels=FIELD_LABELS,
        failed=failed,
        errors=beside,
        message=message,
        form=request.form if failed else {},
        suggestion=weigh_pin(session, review.point, settings().evaluation),
    ), status


@bp.get("/<reference>")
@planner_required
def page(reference: str) -> ResponseReturnValue:
    """The evidence, the neighbours, the audit log and the decision forms for one request."""
    return _page(reference)


def _version(form: MultiDict) -> int:
    try:
        return int(form.get("version", ""))
    except ValueError:
        raise ValidationFailed(
            {"version": _("The form lost the request's version; reload the page.")}
        ) from None


def _decide(
    reference: str,
    form_name: str,
    decide: Callable[[Session, Any], object],
    done: str,
    then: Callable[[Any], str] | None = None,
) -> ResponseReturnValue:
    """Run one decision for the logged-in planner; refusals come back on the page.

    ``then`` names the page to go on to from what the decision made (else this review page).
    """
    try:
        made = decide(db_session(), current_user._get_current_object())
    except StaleDecision as stale:
        return _page(reference, form_name, {}, stale.message, stale.status)
    except DomainError as refusal:
        if refusal.status == 404 and not refusal.fields.keys() - {"reference"}:
            raise
        return _page(reference, form_name, refusal.fields, refusal.message, refusal.status)
    if form_name in TEMPLATE_KINDS:
        templates.note_use(db_session(), _template_id(request.form), TEMPLATE_KINDS[form_name])
    flash(done, "success")
    target = then(made) if then else url_for("review.page", reference=reference)
    return redirect(target, 303)


def _template_id(form: MultiDict) -> int | None:
    text = form.get("template_id", "").strip()
    return int(text) if text.isdigit() else None


def _typed_or_template(
    session: Session, reference: str, form: MultiDict, field: str, kind: TemplateKind
) -> str:
    """What the planner typed; when they picked a template and typed nothing (a browser without
    JavaScript, which cannot fill the box), the template's text in the resident's language."""
    typed = form.get(field, "")
    if typed.strip():
        return typed
    locale = find_by_reference(session, reference).locale or settings().default_locale
    return templates.template_text(session, _template_id(form), kind, locale)


def _confirmed(form: MultiDict, words: str) -> None:
    """Destructive decisions ask first: the box ticked (the confirmation works without any
    script; with one, the browser's own dialog asks as well)."""
    if form.get("confirm") != "1":
        raise ValidationFailed({"confirm": _("Tick “%(words)s” to go ahead.", words=words)})


def _link_radius(form: MultiDict) -> float | None:
    text = form.get("link_radius_m", "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValidationFailed(
            {"link_radius_m": _("Give the radius in metres, e.g. %(example)s.", example=150)}
        ) from None


def _suggested_site(session: Session, reference: str) -> Point:
    """The best suggested-stop candidate near the request's pin, found again here, so the one
    click approves where the page said (or refuses, naming ``site``, if none is left)."""
    pin = as_point(find_by_reference(session, reference).location)
    weighing = weigh_pin(session, pin, settings().evaluation)
    if weighing is None:
        raise ValidationFailed({"site": _("No suggested site lies near this request any more.")})
    return Point(weighing.lon, weighing.lat)


@bp.post("/<reference>/approve")
@planner_required
def approve(reference: str) -> ResponseReturnValue:
    """Approve at the chosen site (``lat``/``lon`` or typed ``coordinates``; or, with
    ``site=suggested``, the best suggested-stop site near the pin), maybe linking other
    requests within ``link_radius_m``."""
    form = request.form

    def decide(session: Session, planner: Any) -> object:
        location = _suggested_site(session, reference) if form.get("site") == "suggested" else None
        location = location or point_from_form(form)
        if location is None:
            raise ValidationFailed({"location": _("Place the stop's pin or type its coordinates.")})
        return decisions.approve(
            session,
            reference,
            _version(form),
            planner,
            location,
            _link_radius(form),
            _typed_or_template(session, reference, form, "note", TemplateKind.PUBLIC_NOTE),
        )

    return _decide(
        reference,
        "approve",
        decide,
        _("Approved: a stop project is created. Take it from here to service."),
        lambda project: url_for("projects.project_page", project_id=project.id),
    )


@bp.post("/<reference>/merge")
@planner_required
def merge(reference: str) -> ResponseReturnValue:
    """Merge into the request named by ``into_reference``."""
    form = request.form

    def decide(session: Session, planner: Any) -> object:
        _confirmed(form, _("Yes, merge this request"))
        return decisions.merge(
            session,
            reference,
            _version(form),
            planner,
            form.get("into_reference", ""),
            _typed_or_template(session, reference, form, "note", TemplateKind.PUBLIC_NOTE),
        )

    return _decide(
        reference,
        "merge",
        decide,
        _("Merged into %(reference)s.", reference=form.get("into_reference", "").strip().upper()),
    )


@bp.post("/<reference>/reject")
@planner_required
def reject(reference: str) -> ResponseReturnValue:
    """Decline with ``reason_code`` from the list and optional ``text``."""
    form = request.form

    def decide(session: Session, planner: Any) -> object:
        _confirmed(form, _("Yes, do not approve this request"))
        return decisions.reject(
            session,
            reference,
            _version(form),
            planner,
            form.get("reason_code", ""),
            form.get("text", ""),
        )

    return _decide(
        reference,
        "reject",
        decide,
        _("Not approved; the resident sees the reason."),
    )


@bp.post("/<reference>/ask")
@planner_required
def ask(reference: str) -> ResponseReturnValue:
    """Ask the resident the ``question``; it shows on their tracking page."""
    form = request.form
    return _decide(
        reference,
        "ask",
        lambda session, planner: decisions.ask_for_information(
            session,
            reference,
            _version(form),
            planner,
            _typed_or_template(session, reference, form, "question", TemplateKind.QUESTION),
        ),
        _("Question sent: it shows on the resident's tracking page."),
    )


@bp.post("/<reference>/notes")
@planner_required
def note(reference: str) -> ResponseReturnValue:
    """Add an internal ``text`` to the audit log; never shown publicly."""
    form = request.form
    return _decide(
        reference,
        "note",
        lambda session, planner: decisions.add_internal_note(
            session, reference, planner, form.get("text", "")
        ),
        _("Internal note added."),
    )


@bp.post("/<reference>/assign")
@planner_required
def assign(reference: str) -> ResponseReturnValue:
    """Put the request on a planner's desk (``assignee``: a user id, or empty for nobody)."""
    text = request.form.get("assignee", "").strip()
    return _decide(
        reference,
        "assign",
        lambda session, planner: assignment.assign(
            session, reference, planner, int(text) if text.isdigit() else None
        ),
        _("Assignment saved."),
    )


_PHOTO_DONE = {
    "publish": lazy_gettext("Photo published: it shows on the tracking page and in the API."),
    "hide": lazy_gettext("Photo hidden: only staff see it."),
}


def _moderate_photo(reference: str, photo_id: int, decision: str) -> ResponseReturnValue:
    return _decide(
        reference,
        f"photo-{photo_id}",
        lambda session, planner: photos.moderate_photo(
            session, reference, photo_id, planner, decision
        ),
        str(_PHOTO_DONE[decision]),
        lambda _photo: url_for("review.page", reference=reference, _anchor="photos"),
    )


@bp.post("/<reference>/photos/<int:photo_id>/publish")
@planner_required
def publish_photo(reference: str, photo_id: int) -> ResponseReturnValue:
    """Show one of the resident's photos on the tracking page and in the public API."""
    return _moderate_photo(reference, photo_id, "publish")


@bp.post("/<reference>/photos/<int:photo_id>/hide")
@planner_required
def hide_photo(reference: str, photo_id: int) -> ResponseReturnValue:
    """Take one of the resident's photos out of public view; staff still see it."""
    return _moderate_photo(reference, photo_id, "hide")


# --- several requests at once ----------------------------------------------------------------


def _bulk_page(
    errors: Mapping[str, str] | None = None, message: str | None = None, status: int = 200
) -> ResponseReturnValue:
    session = db_session()
    mine = request.values.get("mine") == "1"
    return render_template(
        "planning/bulk.html",
        rows=bulk.awaiting_decision(session, current_user.id if mine else None),
        mine=mine,
        rejection_reasons=templates.templates_of(session, TemplateKind.REJECTION_REASON),
        page_locale=str(current_locale()),
        labels=FIELD_LABELS,
        errors=dict(errors or {}),
        message=message,
        form=request.form,
        ticked=set(request.form.getlist("selected")),
    ), status


@bp.get("/bulk")
@planner_required
def bulk_page() -> ResponseReturnValue:
    """Requests awaiting a decision (``mine=1``: those assigned to me), with boxes to tick and
    two decisions for all the ticked ones: not approved with one reason, or merged into one."""
    return _bulk_page()


@bp.post("/bulk")
@planner_required
def bulk_decide() -> ResponseReturnValue:
    """``action`` reject (``reason_code``, ``text``) or merge (``into_reference``, ``note``)
    for every ``selected`` box (``reference:version``); all or nothing."""
    form = request.form
    action = form.get("action", "")
    session = db_session()
    planner = current_user._get_current_object()
    try:
        selected = bulk.parse_selected(form.getlist("selected"))
        if action == "merge":
            _confirmed(form, _("Yes, decide every ticked request"))
            target = bulk.merge_many(
                session, selected, planner, form.get("into_reference", ""), form.get("note", "")
            )
            done = _(
                "%(count)s request(s) merged into %(reference)s.",
                count=len(selected),
                reference=target.reference,
            )
        elif action == "reject":
            _confirmed(form, _("Yes, decide every ticked request"))
            events = bulk.reject_many(
                session, selected, planner, form.get("reason_code", ""), form.get("text", "")
            )
            done = _(
                "%(count)s request(s) not approved; each resident sees the reason.",
                count=len(events),
            )
        else:
            raise ValidationFailed({"action": _("Choose what to do with the ticked requests.")})
    except StaleDecision as stale:
        return _bulk_page({}, stale.message, stale.status)
    except DomainError as refusal:
        return _bulk_page(
            refusal.fields, None if refusal.fields else refusal.message, refusal.status
        )
    flash(done, "success")
    return redirect(url_for("review.bulk_page", mine="1" if form.get("mine") == "1" else None), 303)
