"""Every value a request carries is checked against ``text_rules`` before any view sees it.

Forms and services check the fields they know, with their labels; this guard is the floor under
them for everything else: query parameters (``dataset``, ``district``, ``q``…), path segments,
form fields and JSON strings at any depth, keys included. A NUL byte that reached PostgreSQL
used to answer 500; here it is a 422 naming the field, before a query is built.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from flask import Flask, request

from transitreq.errors import ValidationFailed
from transitreq.i18n import _
from transitreq.text_rules import text_problem

# Nesting deeper than this in a JSON body is refused rather than walked.
MAX_JSON_DEPTH = 32
# Per endpoint, what its people call each parameter (``label_fields``), for the message.
_LABELS: dict[str, Mapping[str, Any]] = {}


def label_fields(endpoint: str, labels: Mapping[str, Any]) -> None:
    """Name ``endpoint``'s parameters in refusals by ``labels`` (lazy strings welcome): the
    planners' queue calls ``q`` "Search", as its form does."""
    _LABELS[endpoint] = labels


def _json_strings(value: Any, path: str, depth: int = 0) -> Iterator[tuple[str, str]]:
    """Every string in a JSON document with the dotted path naming it (keys count too)."""
    if depth > MAX_JSON_DEPTH:
        raise ValidationFailed({path or "body": _("The JSON body is nested too deeply.")})
    if isinstance(value, str):
        yield path or "body", value
    elif isinstance(value, dict):
        for key, item in value.items():
            key_path = f"{path}.{key}" if path else str(key)
            yield key_path, str(key)
            yield from _json_strings(item, key_path, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_strings(item, f"{path}[{index}]", depth + 1)


def _values() -> Iterator[tuple[str, str]]:
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str):
            yield name, value
    sources = [request.args]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form)
    for source in sources:
        for name, values in source.lists():
            yield name, name
            for value in values:
                yield name, value
    if request.is_json:
        body = request.get_json(silent=True)
        if body is not None:
            yield from _json_strings(body, "")


def refuse_unsafe_text() -> None:
    """Raise ValidationFailed for the first value holding a forbidden character. Multiline
    fields may hold line breaks and tabs, which no identifier or parameter needs, so they are
    allowed here and refused by the forms that do not expect them."""
    labels = _LABELS.get(request.endpoint or "", {})
    for name, value in _values():
        problem = text_problem(value, multiline=True)
        if problem:
            # The problem is a phrase from text_rules, made to follow the field's name.
            field = str(labels.get(name, name))
            raise ValidationFailed(
                {name: _("“%(field)s” %(problem)s.", field=field, problem=problem)}
            )


def init_app(app: Flask) -> None:
    app.before_request(refuse_unsafe_text)
