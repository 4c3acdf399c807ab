"""Turn submitted HTML forms and JSON bodies into the drafts services expect."""

from __future__ import annotations

from typing import Any

from flask import current_app
from shapely.geometry import Point
from werkzeug.datastructures import MultiDict

from transitreq.errors import DomainError, ValidationFailed
from transitreq.geo.coordinates import parse_lat_lon_text, point_from_lat_lon
from transitreq.services.stop_requests import RequestDraft, RequestLimits


def request_limits() -> RequestLimits:
    return RequestLimits(
        title_max_chars=current_app.config["TITLE_MAX_CHARS"],
        description_max_chars=current_app.config["DESCRIPTION_MAX_CHARS"],
    )


def point_from_form(form: MultiDict) -> Point | None:
    """The pin: hidden lat/lon fields kept by the map script, else the typed "lat, lon" text.

    Without JavaScript only the typed field exists, so the form still works.
    """
    if form.get("lat", "").strip() or form.get("lon", "").strip():
        return point_from_lat_lon(form.get("lat"), form.get("lon"))
    typed = form.get("coordinates", "").strip()
    return parse_lat_lon_text(typed) if typed else None


def draft_from_form(form: MultiDict) -> RequestDraft:
    """A draft from the resident's form; a bad pin is reported with the other field errors."""
    errors: dict[str, str] = {}
    point = None
    try:
        point = point_from_form(form)
    except DomainError as failure:
        errors.update({"location": failure.message})
    draft = RequestDraft(
        title=form.get("title", ""),
        description=form.get("description", ""),
        served_groups=form.getlist("served_groups"),
        landmark=form.get("landmark", ""),
        point=point,
        reporter_name=form.get("reporter_name", ""),
        reporter_contact=form.get("reporter_contact", ""),
        notify_progress=form.get("notify_progress") in ("on", "1", "true", "yes"),
    )
    if errors:
        raise ValidationFailed(errors)
    return draft


def _text(body: dict[str, Any], key: str, errors: dict[str, str]) -> str:
    value = body.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[key] = f"{key} must be text."
        return ""
    return value


def draft_from_json(body: Any) -> RequestDraft:
    """A draft from a JSON API body, with every type mistake named by field."""
    if not isinstance(body, dict):
        raise ValidationFailed({"body": "The body must be a JSON object."})
    errors: dict[str, str] = {}
    texts = {
        key: _text(body, key, errors)
        for key in ("title", "description", "landmark", "reporter_name", "reporter_contact")
    }
    served = body.get("served_groups", [])
    if not isinstance(served, list) or not all(isinstance(item, str) for item in served):
        errors["served_groups"] = "served_groups must be a list of choices."
        served = []
    notify = body.get("notify_progress", False)
    if not isinstance(notify, bool):
        errors["notify_progress"] = "notify_progress must be true or false."
    point = None
    if "lat" in body or "lon" in body:
        try:
            point = point_from_lat_lon(body.get("lat"), body.get("lon"))
        except DomainError as failure:
            errors.update(failure.fields)
    if errors:
        raise ValidationFailed(errors)
    return RequestDraft(served_groups=served, point=point, notify_progress=notify, **texts)
