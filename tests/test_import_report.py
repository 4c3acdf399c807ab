"""The import report: notices counted per code with their first examples, strict mode refusing
on a warning, and the record an import leaves for the Data page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from transitreq.errors import ImportFailed
from transitreq.importers.records import record_import
from transitreq.importers.report import EXAMPLES_PER_CODE, ImportReport, Severity
from transitreq.models import DatasetImport, DatasetKind


def test_notices_are_counted_per_code_with_the_first_examples():
    report = ImportReport("feed.zip")
    for row in range(2, 120):
        report.warn(
            "invalid_color",
            "not a colour",
            file="routes.txt",
            row=row,
            field="route_color",
            value="0",
        )
    report.info("feed_expired", "the calendar ended on 2020-05-01")
    groups = report.groups
    assert [(g.code, g.severity, g.count) for g in groups] == [
        ("invalid_color", Severity.WARNING, 118),
        ("feed_expired", Severity.INFO, 1),
    ]
    assert [example.row for example in groups[0].examples] == list(range(2, 2 + EXAMPLES_PER_CODE))
    assert report.lines()[:2] == [
        "warning: invalid_color × 118",
        "    routes.txt, row 2, field 'route_color': not a colour ('0')",
    ]
    assert report.count(Severity.WARNING) == 118


def test_strict_refuses_on_the_first_warning_naming_the_place():
    report = ImportReport("feed.zip", strict=True)
    with pytest.raises(ImportFailed) as refusal:
        report.warn("invalid_color", "not a colour", file="routes.txt", row=7, field="route_color")
    assert refusal.value.message.startswith(
        "feed.zip: routes.txt, row 7, field 'route_color': not a colour"
    )
    assert refusal.value.notice == "invalid_color"


def test_an_import_record_replaces_the_earlier_one_of_its_dataset(session):
    for stops in (10, 12):
        report = ImportReport("feed.zip")
        report.warn("duplicate_row", "identical row dropped", file="calendar.txt", row=3)
        record_import(session, DatasetKind.GTFS, "hsl", "/data/feed.zip", report, {"stops": stops})
        session.commit()
    records = session.scalars(select(DatasetImport)).all()
    assert [(r.kind, r.name, r.source, r.counts) for r in records] == [
        (DatasetKind.GTFS, "hsl", "feed.zip", {"stops": 12})
    ]
    assert records[0].report[0]["code"] == "duplicate_row"


def test_one_notice_can_stand_for_many_alike_and_strict_ignores_info():
    """A raster's reader counts a window's empty cells in one call, not one call per cell."""
    report = ImportReport("people.tif", strict=True)
    report.info("raster_cells_without_data", "cells without data; skipped", count=52_000)
    report.info("raster_cells_without_data", "cells without data; skipped", count=341)
    (group,) = report.groups
    assert (group.count, len(group.examples)) == (52_341, 2)
    assert report.lines()[0] == "info: raster_cells_without_data × 52341"
    with pytest.raises(ImportFailed, match="row 4, field 'population': negative"):
        report.warn("raster_negative_cells", "negative", row=4, field="population", count=9)
