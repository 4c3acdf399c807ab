"""What an import found wrong with a file, classified the way the canonical GTFS validator does.

Real feeds and files carry defects. Each problem is a *notice* with a stable code and a
severity:

- **error**: the data would make an answer wrong (a duplicate key with different content, a stop
  without usable coordinates, a trip naming a route that does not exist). The import stops with
  ``ImportFailed`` naming file, row and field, and nothing is written.
- **warning**: the data can be repaired without changing any answer (a cosmetic colour that is
  not a colour, an identical duplicate row, a blank optional cell, a row with no population).
  The value falls back to its default or the row is skipped, and the report says so. With
  ``strict`` the import refuses on the first warning instead, like an error.
- **info**: worth knowing (an expired feed imported on the representative weekday it names).

The report counts every notice per code and keeps the first few examples of each, so an import
of a million rows with one cosmetic defect in each stays a short report. It is printed by the
command and stored with the dataset (``models/imports.py``) for the planners' Data page. What a
notice says is kept as a ``Problem`` (a key and its values, ``problems.py``), so it is read in
the language of whoever reads it, months later.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from transitreq.errors import ImportFailed, place_in_file
from transitreq.i18n import _
from transitreq.importers.problems import Problem, as_problem, problem, problem_text

# Examples kept per notice code: enough to find the pattern, not a copy of the file.
EXAMPLES_PER_CODE = 5


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Notice:
    """One problem at one place: ``file``, ``row`` (the header is row 1) and ``field``."""

    code: str
    severity: Severity
    problem: Problem
    file: str | None = None
    row: int | None = None
    field: str | None = None
    value: str | None = None

    @property
    def message(self) -> str:
        """What is wrong, in the reader's language."""
        return str(self.problem)

    @property
    def where(self) -> str:
        return place_in_file(self.file, self.row, self.field)

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "row": self.row,
            "field": self.field,
            "value": self.value,
            "problem": self.problem.as_json(),
        }


@dataclass
class NoticeGroup:
    """Every notice of one code: how many, and the first few."""

    code: str
    severity: Severity
    count: int = 0
    examples: list[Notice] = field(default_factory=list)


class ImportReport:
    """Notices collected while a file is read, and the decision they lead to."""

    def __init__(self, source: str, strict: bool = False) -> None:
        self.source = source
        self.strict = strict
        self._groups: dict[str, NoticeGroup] = {}

    def _add(self, notice: Notice, count: int) -> None:
        group = self._groups.setdefault(notice.code, NoticeGroup(notice.code, notice.severity))
        group.count += count
        if len(group.examples) < EXAMPLES_PER_CODE:
            group.examples.append(notice)

    def warn(
        self,
        code: str,
        message: Problem | str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
        value: object = None,
        count: int = 1,
    ) -> None:
        """A repaired problem; in strict mode the import refuses here, naming the place.

        ``count`` lets one notice stand for many alike (a raster's block of negative cells), so
        a reader need not call once per cell; the notice is then the example of them.
        """
        said = as_problem(message)
        notice = Notice(code, Severity.WARNING, said, file, row, field, _shown(value))
        if self.strict:
            refusal = (
                problem("strict_with_value", problem=said, value=notice.value)
                if notice.value is not None
                else problem("strict", problem=said)
            )
            raise self.error(code, refusal, file=file, row=row, field=field)
        self._add(notice, count)

    def info(
        self,
        code: str,
        message: Problem | str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
        value: object = None,
        count: int = 1,
    ) -> None:
        """Worth knowing, never a refusal (not even in strict mode); ``count`` as for ``warn``."""
        notice = Notice(code, Severity.INFO, as_problem(message), file, row, field, _shown(value))
        self._add(notice, count)

    def error(
        self,
        code: str,
        message: Problem | str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> ImportFailed:
        """The refusal to raise: ``raise report.error(…)``. It names file, row and field, and
        the source too when the file is one of several inside it (``feed.zip: stops.txt``)."""
        place = (
            self.source
            if file in (None, self.source)
            else _("%(archive)s: %(file)s", archive=self.source, file=file)
        )
        return ImportFailed(place, message, row, field, notice=code)

    @property
    def groups(self) -> list[NoticeGroup]:
        order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
        return sorted(self._groups.values(), key=lambda g: (order[g.severity], -g.count, g.code))

    def count(self, severity: Severity | None = None) -> int:
        return sum(
            group.count for group in self._groups.values() if severity in (None, group.severity)
        )

    def as_json(self) -> list[dict[str, Any]]:
        """The report as stored with the dataset."""
        return [
            {
                "code": group.code,
                "severity": group.severity.value,
                "count": group.count,
                "examples": [example.as_json() for example in group.examples],
            }
            for group in self.groups
        ]

    def lines(self) -> list[str]:
        """The report as the command prints it: one line per code, then its examples."""
        return report_lines(self.as_json())


def report_lines(stored: Iterable[dict[str, Any]]) -> list[str]:
    """Printable lines of a stored report (``ImportReport.as_json``), in the language of the
    moment: the command's is the city's."""
    lines: list[str] = []
    for group in stored:
        lines.append(f"{group['severity']}: {group['code']} × {group['count']}")
        for example in group["examples"]:
            lines.append(f"    {example_text(example)}")
    return lines


def example_text(example: dict[str, Any]) -> str:
    """One stored example as a line: the place, what is wrong there, and the value."""
    where = place_in_file(example["file"], example["row"], example["field"])
    said = problem_text(example.get("problem"))
    if example["value"] is not None:
        said = _("%(problem)s ('%(value)s')", problem=said, value=example["value"])
    return _("%(place)s: %(problem)s", place=where, problem=said) if where else said


def _shown(value: object) -> str | None:
    """A value as the report shows it: text, cut to a readable length."""
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"
