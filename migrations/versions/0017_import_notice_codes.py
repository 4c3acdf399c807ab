"""Import notices hold a problem's key and values, not an English sentence.

Each example in ``dataset_imports.report`` kept ``message``, the sentence the importer wrote in
English; it now keeps ``problem``: ``{"key": …, "params": {…}}`` (``importers/problems.py``), put
into words in the reader's language when the Data page is shown. Existing examples are read
apart: a sentence the old importers wrote (only warnings and information are ever stored) is
recognised and its values kept; one no pattern recognises is kept whole as ``{"text": …}`` and
shown as written. Going back writes each problem's English sentence into ``message`` again.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_imports = sa.table("dataset_imports", sa.column("id", sa.Integer), sa.column("report", sa.JSON))

# The English sentences the importers wrote at revision 0016 for the notices they stored, by the
# key each became; ``problem`` is a sentence of _INNER (a stop's unusable coordinate).
_NOTICES = {
    "padding": "has spaces before or after it; they are removed",
    "too_long_cut": "is longer than %(max_chars)d characters; it is cut to fit",
    "too_long_left_out": "is longer than %(max_chars)d characters; it is left out",
    "option_read_as_stop": "is not one of %(choices)s; read as 0, a stop",
    "option_read_as_0": "is not one of %(choices)s; read as 0",
    "option_ignored": "is not one of %(choices)s; ignored",
    "colour_hash": "starts with '#', which GTFS leaves out; the six digits after it are used",
    "colour_default": "is not a colour (six hex digits), so the default %(default)s is used",
    "url_ignored": "is not a full web address (http:// or https://); it is ignored",
    "unknown_file": "not a file of the GTFS reference; ignored",
    "blank_row": "a blank row; left out",
    "unknown_column": "not a column of this file in the GTFS reference; its values are ignored",
    "row_length_blank": "has %(values)d values but the header names %(columns)d columns; "
    "read as blank",
    "duplicate_row": "repeats an earlier row exactly; the copy is left out",
    "unknown_route_type": "is not a GTFS route type; kept as given, shown as mode 'other'",
    "route_names_missing": "and route_long_name are both empty; the route is shown by its route_id",
    "unknown_shape": "is not a shape_id in shapes.txt; the trip is drawn through its stops",
    "unused_trip": "has no stop times; the trip is left out",
    "stop_named_by": "is empty; the stop is named by its %(column)s",
    "unlocated_left_out": "%(problem)s; no trip calls at this stop, so it is left out",
    "feed_expired": "the calendar ended on %(ended_day)s, before today: service is measured on "
    "%(measured_day)s, the busiest weekday of its last %(weeks)d weeks",
    "no_geometry_skipped": "no geometry; the row is skipped",
    "no_population_skipped": "no population; the row is skipped",
    "blank_stored_as_null": "blank; stored as null",
    "raster_negative": "column %(column)d holds a negative count, taken as an undeclared nodata "
    "value and skipped (%(count)d such cells in this window)",
    "raster_nodata_undeclared": "%(count)d cells hold no data (no declared nodata, masked or "
    "NaN); skipped",
    "raster_nodata_declared": "%(count)d cells hold no data (the nodata value %(nodata)s, "
    "masked or NaN); skipped",
    "raster_zero_cells": "%(count)d cells hold 0 people; skipped, as they add to no catchment",
}
_INNER = {
    "empty": "is empty",
    "not_number": "'%(value)s' is not a number",
    "not_finite": "'%(value)s' is not a finite number",
    "latitude_out_of_range_swapped": "'%(value)s' is not between -90 and 90 "
    "(latitude and longitude swapped?)",
    "latitude_out_of_range": "'%(value)s' is not between -90 and 90",
    "longitude_out_of_range": "'%(value)s' is not between -180 and 180",
    "null_island": "latitude 0, longitude 0 is a placeholder, not a place",
}
_PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")


def _pattern(template: str) -> re.Pattern[str]:
    """A regex matching the whole sentence, a named group per placeholder."""
    parts, end = [], 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[end : match.start()]))
        name, kind = match.groups()
        if kind == "d":
            parts.append(rf"(?P<{name}>-?\d+)")
        elif name == "choices":
            parts.append(rf"(?P<{name}>\d+(?:, \d+)*)")
        elif name.endswith("_day"):
            parts.append(rf"(?P<{name}>\w+ \d{{4}}-\d{{2}}-\d{{2}})")
        else:
            parts.append(rf"(?P<{name}>.+?)")
        end = match.end()
    parts.append(re.escape(template[end:]))
    return re.compile("".join(parts) + r"\Z")


def _read(message: str, templates: dict[str, str]) -> dict[str, Any] | None:
    """The stored problem a sentence says, or None when no template matches it."""
    for key, template in templates.items():
        match = _pattern(template).match(message)
        if match is None:
            continue
        params: dict[str, Any] = {}
        for name, value in match.groupdict().items():
            if name == "problem":
                inner = _read(value, _INNER)
                if inner is None:
                    break
                params[name] = inner
            elif name == "choices":
                params[name] = [int(choice) for choice in value.split(", ")]
            elif name.endswith("_day"):
                params[name] = value[-10:]
            elif re.search(rf"%\({name}\)d", template):
                params[name] = int(value)
            else:
                params[name] = value
        else:
            return {"key": key, "params": params}
    return None


def _english(stored: dict[str, Any] | None) -> str:
    """The sentence the importers at revision 0016 wrote for a stored problem."""
    if not stored:
        return ""
    if "key" not in stored:
        return str(stored.get("text", ""))
    template = _NOTICES.get(stored["key"]) or _INNER.get(stored["key"])
    if template is None:
        return stored["key"].replace("_", " ")
    values: dict[str, Any] = {}
    for name, value in stored.get("params", {}).items():
        if isinstance(value, dict):
            value = _english(value)
        elif isinstance(value, list):
            value = ", ".join(str(item) for item in value)
        elif name.endswith("_day"):
            value = f"{date.fromisoformat(value):%A %Y-%m-%d}"
        values[name] = value
    return template % values


def _rewrite(change) -> None:
    """Apply ``change`` to every stored example of every dataset's report."""
    connection = op.get_bind()
    records = connection.execute(sa.select(_imports.c.id, _imports.c.report)).all()
    for record_id, report in records:
        report = json.loads(report) if isinstance(report, str) else (report or [])
        for group in report:
            for example in group.get("examples", []):
                change(example)
        update = _imports.update().where(_imports.c.id == record_id)
        connection.execute(update.values(report=report))


def _to_problem(example: dict[str, Any]) -> None:
    if "message" in example:
        message = example.pop("message") or ""
        example["problem"] = _read(message, _NOTICES) or {"text": message}


def _to_message(example: dict[str, Any]) -> None:
    if "problem" in example:
        example["message"] = _english(example.pop("problem"))


def upgrade() -> None:
    _rewrite(_to_problem)


def downgrade() -> None:
    _rewrite(_to_message)
