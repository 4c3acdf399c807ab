"""Turn submitted HTML forms and JSON bodies into the drafts services expect.

Parsing problems (a malformed pin, a wrong JSON type) are returned beside the draft rather than
raised, so the service reports them together with every other field that needs attention.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from shapely.geometry import Point
from werkzeug.datastructures import FileStorage, MultiDict

from transitreq.errors import DomainError, ValidationFailed
from transitreq.geo.coordinates import parse_lat_lon_text, point_from_lat_lon
from transitreq.i18n import _
from transitreq.services.analysis.evaluation import EvaluationSettings, parse_radii
from transitreq.services.requests.photo_files import REQUEST_PHOTO_MAX_BYTES, PhotoFile
from transitreq.services.requests.validation import RequestDraft, RequestLimits
from transitreq.web.app_settings import settings
from transitreq.web.locale import page_locale

ParseErrors = dict[str, str]


def request_limits() -> RequestLimits:
    return settings().requests


def point_from_form(form: MultiDict) -> Point | None:
    """The pin: hidden lat/lon fields kept by the map script, else the typed "lat, lon" text.

    The script clears the hidden fields as soon as the typed text changes, so the two never
    disagree; without JavaScript only the typed field exists and the form still works.
    """
    if form.get("lat", "").strip() or form.get("lon", "").strip():
        return point_from_lat_lon(form.get("lat"), form.get("lon"))
    typed = form.get("coordinates", "").strip()
    return parse_lat_lon_text(typed) if typed else None


def photo_files(uploads: list[FileStorage]) -> list[PhotoFile]:
    """The files chosen in a file input; a browser sends one empty part when none was chosen.

    Each is read to one byte past the size allowed: enough to tell it is too large.
    """
    return [
        PhotoFile(upload.filename, upload.stream.read(REQUEST_PHOTO_MAX_BYTES + 1))
        for upload in uploads
        if upload.filename
    ]


def draft_from_form(
    form: MultiDict, files: MultiDict | None = None
) -> tuple[RequestDraft, ParseErrors]:
    """A draft from the residents' form; ``files`` holds its attached ``photos``."""
    errors: ParseErrors = {}
    point = None
    try:
        point = point_from_form(form)
    except DomainError as failure:
        errors["location"] = failure.message
    draft = RequestDraft(
        title=form.get("title", ""),
        description=form.get("description", ""),
        served_groups=form.getlist("served_groups"),
        landmark=form.get("landmark", ""),
        point=point,
        reporter_name=form.get("reporter_name", ""),
        reporter_contact=form.get("reporter_contact", ""),
        notify_progress=form.get("notify_progress") in ("on", "1", "true", "yes"),
        photos=photo_files(files.getlist("photos")) if files is not None else [],
        locale=page_locale(),
    )
    return draft, errors


def draft_from_json(body: Any) -> tuple[RequestDraft, ParseErrors]:
    """A draft from a JSON API body; text fields of the wrong type are named by validation."""
    if not isinstance(body, dict):
        raise ValidationFailed({"body": _("The body must be a JSON object.")})
    errors: ParseErrors = {}
    served = body.get("served_groups", [])
    if not isinstance(served, list) or not all(isinstance(item, str) for item in served):
        errors["served_groups"] = _("%(field)s must be a list of choices.", field="served_groups")
        served = []
    notify = body.get("notify_progress", False)
    if not isinstance(notify, bool):
        errors["notify_progress"] = _("%(field)s must be true or false.", field="notify_progress")
        notify = False
    point = None
    try:
        point = point_from_lat_lon(body.get("lat"), body.get("lon"))
    except DomainError as failure:
        errors.update(failure.fields)
    draft = RequestDraft(
        served_groups=served,
        point=point,
        notify_progress=notify,
        locale=page_locale(),
        **{
            key: body.get(key, "")
            for key in ("title", "description", "landmark", "reporter_name", "reporter_contact")
        },
    )
    return draft, errors


@dataclass(frozen=True)
class EvaluationQuery:
    """What a planner asked to evaluate: the site, the settings to use, maybe a dataset."""

    point: Point
    settings: EvaluationSettings
    dataset: str | None


def evaluation_query(args: MultiDict) -> EvaluationQuery:
    """``lat``/``lon``, optional ``radii`` (e.g. 400,800) and ``dataset``, checked."""
    point = point_from_lat_lon(args.get("lat"), args.get("lon"))
    evaluation = settings().evaluation
    if args.get("radii"):
        evaluation = replace(evaluation, catchment_radii_m=parse_radii(args["radii"]))
    return EvaluationQuery(point, evaluation, args.get("dataset") or None)
