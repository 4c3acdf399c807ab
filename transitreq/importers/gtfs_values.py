"""One GTFS row, and its cells read as the values the importer uses, repaired where they can be.

Each reader decides which side of the line a bad value falls on (the table is in ``gtfs_feed``):
a value an answer rests on (an identifier, a date, a time, a sequence number, a coordinate) is
refused with ``ImportFailed`` naming the file, the row and the field; an optional or cosmetic
one (a colour, a URL, an accessibility flag, a name too long for its column) falls back to its
default and the report says so with a warning.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from datetime import date, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from transitreq.errors import ImportFailed
from transitreq.importers.problems import Problem, problem

if TYPE_CHECKING:
    from transitreq.importers.gtfs_files import FeedFiles

# Whole numbers must fit the database's INTEGER columns.
MAX_INTEGER = 2**31 - 1
# GTFS times may pass midnight for late trips; a service day longer than this is an error.
MAX_SERVICE_HOURS = 240

_TIME = re.compile(r"(\d+):([0-5]\d):([0-5]\d)")
# Six hex digits; a leading # (as CSS writes colours) is a common slip whose colour is still clear.
_COLOUR = re.compile(r"#?([0-9A-Fa-f]{6})")
_WHOLE_NUMBER = re.compile(r"\d+")


class Row:
    """One data row of a feed file, with readers that refuse or repair a value naming the row
    and the field. A ``quiet`` row (a file read again to explain a refusal) reports nothing."""

    __slots__ = ("files", "filename", "columns", "number", "cells", "quiet")

    def __init__(
        self,
        files: FeedFiles,
        filename: str,
        columns: dict[str, int],
        number: int,
        values: list[str],
        quiet: bool = False,
    ) -> None:
        self.files = files
        self.filename = filename
        self.columns = columns
        self.number = number
        # Every value trimmed, once: a row is read cell by cell many times.
        self.cells = [value.strip() for value in values]
        self.quiet = quiet
        if not quiet and self.cells != values:
            self._report_padding(values)

    def _report_padding(self, values: list[str]) -> None:
        for column, index in self.columns.items():
            if index < len(values) and values[index] != self.cells[index]:
                self.warn(
                    "leading_or_trailing_whitespaces", column, problem("padding"), values[index]
                )

    def error(self, code: str, column: str | None, said: Problem) -> ImportFailed:
        return self.files.error(code, said, self.filename, self.number, column)

    def warn(self, code: str, column: str | None, said: Problem, value: object = None) -> None:
        if not self.quiet:
            self.files.warn(code, said, self.filename, self.number, column, value)

    def content(self) -> tuple[str, ...]:
        """Every value of the row, as two rows are compared: trimmed, blank trailing cells
        dropped."""
        end = len(self.cells)
        while end and not self.cells[end - 1]:
            end -= 1
        return tuple(self.cells[:end])

    def text(self, column: str) -> str:
        """The trimmed value, empty when the column or the cell is missing."""
        index = self.columns.get(column)
        return self.cells[index] if index is not None and index < len(self.cells) else ""

    def required(self, column: str) -> str:
        value = self.text(column)
        if not value:
            raise self.error("missing_required_field", column, problem("empty"))
        return value

    def identifier(self, column: str, max_length: int) -> str:
        """A required key; one too long for its column is refused, since cutting it could make
        two keys one."""
        value = self.required(column)
        if len(value) > max_length:
            raise self.error("value_too_long", column, problem("too_long", max_chars=max_length))
        return value

    def name(self, column: str, max_length: int) -> str:
        """Text shown to people; one too long for its column is cut, with an ellipsis."""
        value = self.text(column)
        if len(value) > max_length:
            said = problem("too_long_cut", max_chars=max_length)
            self.warn("value_too_long", column, said, value=value)
            return value[: max_length - 1] + "…"
        return value

    def code(self, column: str, max_length: int) -> str | None:
        """A short code riders type or read; one too long to store is left out, not cut, since a
        cut code would be a wrong one."""
        value = self.text(column)
        if len(value) > max_length:
            said = problem("too_long_left_out", max_chars=max_length)
            self.warn("value_too_long", column, said, value=value)
            return None
        return value or None

    def integer(self, column: str, default: int | None = None, choices=None) -> int:
        """A whole number an answer rests on: anything else is refused."""
        value = self.text(column)
        if not value and default is not None:
            return default
        if not value:
            raise self.error("missing_required_field", column, problem("empty"))
        if not _WHOLE_NUMBER.fullmatch(value):
            raise self.error("invalid_integer", column, problem("not_whole_number", value=value))
        if choices is not None and int(value) not in choices:
            said = problem("not_one_of", value=value, choices=list(choices))
            raise self.error("unexpected_enum_value", column, said)
        if int(value) > MAX_INTEGER:
            raise self.error("number_out_of_range", column, problem("too_large", value=value))
        return int(value)

    def option(self, column: str, choices: Collection[int], repair: str) -> int:
        """An optional enumeration (blank is 0): an unexpected value reads as 0, with a warning
        that says how (``repair``: the key of ``option_ignored``, ``option_read_as_0``…)."""
        value = self.text(column)
        if not value:
            return 0
        if _WHOLE_NUMBER.fullmatch(value) and int(value) in choices:
            return int(value)
        self.warn("unexpected_enum_value", column, problem(repair, choices=sorted(choices)), value)
        return 0

    def decimal(self, column: str) -> float:
        value = self.required(column)
        try:
            parsed = float(value)
        except ValueError:
            said = problem("not_number", value=value)
            raise self.error("invalid_float", column, said) from None
        if not math.isfinite(parsed):
            raise self.error("invalid_float", column, problem("not_finite", value=value))
        return parsed

    def lon_lat(self, lat_column: str, lon_column: str) -> tuple[float, float]:
        lat, lon = self.decimal(lat_column), self.decimal(lon_column)
        if not -90 <= lat <= 90:
            swapped = -90 <= lon <= 90 < abs(lat) <= 180
            key = "latitude_out_of_range_swapped" if swapped else "latitude_out_of_range"
            said = problem(key, value=self.text(lat_column))
            raise self.error("number_out_of_range", lat_column, said)
        if not -180 <= lon <= 180:
            said = problem("longitude_out_of_range", value=self.text(lon_column))
            raise self.error("number_out_of_range", lon_column, said)
        if lat == 0 and lon == 0:
            raise self.error("point_near_origin", lat_column, problem("null_island"))
        return lon, lat

    def seconds(self, column: str) -> int:
        """A GTFS time of day, which may pass 24:00:00 for trips after midnight."""
        value = self.required(column)
        match = _TIME.fullmatch(value)
        if match is None:
            raise self.error("invalid_time", column, problem("not_time", value=value))
        hours, minutes, seconds = map(int, match.groups())
        if hours > MAX_SERVICE_HOURS:
            said = problem("too_many_hours", value=value, hours=MAX_SERVICE_HOURS)
            raise self.error("number_out_of_range", column, said)
        return hours * 3600 + minutes * 60 + seconds

    def date(self, column: str) -> date:
        value = self.required(column)
        try:
            return datetime.strptime(value, "%Y%m%d").date()
        except ValueError:
            raise self.error("invalid_date", column, problem("not_date", value=value)) from None

    def colour(self, column: str, default: str) -> str:
        """A colour for drawing: one that is not six hex digits gives way to ``default``."""
        value = self.text(column)
        match = _COLOUR.fullmatch(value)
        if match is not None and value.startswith("#"):
            self.warn("invalid_color", column, problem("colour_hash"), value)
        elif value and match is None:
            self.warn("invalid_color", column, problem("colour_default", default=default), value)
        return match.group(1).upper() if match else default

    def check_url(self, column: str) -> None:
        """A web address the importer does not keep: a malformed one is only reported."""
        value = self.text(column)
        if value and not _is_url(value):
            self.warn("invalid_url", column, problem("url_ignored"), value)

    def reference(self, column: str, known: Collection, *targets: str) -> str:
        """The value of a column that must name a row of another file (or of either of two)."""
        value = self.required(column)
        if value not in known:
            if len(targets) == 2:
                said = problem(
                    "unknown_reference_either",
                    value=value,
                    column=column,
                    file=targets[0],
                    other_file=targets[1],
                )
            else:
                said = problem("unknown_reference", value=value, column=column, file=targets[0])
            raise self.error("foreign_key_violation", column, said)
        return value


def _is_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and "." in parts.netloc and " " not in value
