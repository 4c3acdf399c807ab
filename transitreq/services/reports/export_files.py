"""The export records written as files: CSV (RFC 4180), GeoJSON, and GTFS ``stops.txt``.

The CSV files for spreadsheets (``requests.csv``, ``projects.csv``) quote every cell, so a
separator inside one cannot split it whichever separator the spreadsheet's locale expects, and
pass their *free-text* columns (what residents and staff typed) through ``spreadsheet_safe``: a
formula that could start in a cell, at its start or after a separator or blanks, is given an
apostrophe before it. Numbers, coordinates, references and identifiers are never touched: a
longitude may well be ``-51.2177``. ``stops.txt`` is GTFS, read by programs, not spreadsheets:
it is written exactly as stored, minimally quoted, with no byte order mark; the spreadsheet
files begin with one, without which Excel reads "Töölö" as mojibake.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from transitreq.geo.geojson import feature_collection, point_feature
from transitreq.services.analysis.layers import PopulationLayer
from transitreq.services.reports.exports import GtfsStop, ProjectRecord, RequestRecord

# Six decimals of a degree is about 10 cm: as precise as a stop's position is known.
COORDINATE_DECIMALS = 6
# How lists (routes, references, milestone titles) are joined inside one CSV cell.
LIST_SEPARATOR = "; "
BYTE_ORDER_MARK = "\ufeff"
# What a spreadsheet may read as a formula: =, +, - or @ at the start of the cell, after blanks
# it trims, or after a separator (comma, semicolon, tab, pipe) that a spreadsheet in another
# locale splits the cell at, making what follows a cell of its own.
_FORMULA = re.compile(r"(^|[,;\t|])(\s*)(?=[=+\-@])")

# Columns holding what people typed (titles, district and project names); only these are guarded.
REQUEST_TEXT_COLUMNS = frozenset({"title", "district"})
PROJECT_TEXT_COLUMNS = frozenset({"name", "overdue_milestones"})
REQUEST_COLUMNS = (
    "reference",
    "title",
    "status",
    "district",
    "supporters",
    "score",
    "created_at",
    "lat",
    "lon",
    "project_id",
    "tracking_url",
)
PROJECT_COLUMNS = (
    "id",
    "stop_id",
    "name",
    "stage",
    "approved_at",
    "service_start_date",
    "launch_routes",
    "sign_offs_given",
    "sign_offs_required",
    "overdue_milestones",
    "lat",
    "lon",
    "request_references",
)
# GTFS stops.txt columns in the order of the reference. stop_code stays empty (the operator
# numbers its stops for riders) and wheelchair_boarding is 0, "no information", as we record
# none: both are there so the rows line up with the operator's own file when merged.
GTFS_STOP_COLUMNS = (
    "stop_id",
    "stop_code",
    "stop_name",
    "stop_desc",
    "stop_lat",
    "stop_lon",
    "location_type",
    "wheelchair_boarding",
)


def spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet shows as text: an apostrophe before each place a formula could start
    keeps ``=SUM(…)`` inert, whether the cell is read whole or split at a separator."""
    return _FORMULA.sub(r"\1\2'", text)


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC to the second, e.g. ``2026-03-05T09:30:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _degrees(value: float) -> str:
    return f"{value:.{COORDINATE_DECIMALS}f}"


def _cell(value: Any, guarded: bool) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return spreadsheet_safe(text) if guarded else text


def _spreadsheet_csv(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], text_columns: frozenset[str]
) -> str:
    """RFC 4180 for spreadsheets: comma separated, CRLF line ends, every cell quoted, the
    free-text cells guarded, and a byte order mark."""
    guarded = [column in text_columns for column in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(columns)
    writer.writerows(
        [_cell(value, guard) for value, guard in zip(row, guarded, strict=True)] for row in rows
    )
    return BYTE_ORDER_MARK + buffer.getvalue()


def _gtfs_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GTFS text file: RFC 4180 as GTFS reads it, every value exactly as stored."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([_cell(value, False) for value in row] for row in rows)
    return buffer.getvalue()


def _request_values(record: RequestRecord) -> dict[str, Any]:
    return {
        "reference": record.reference,
        "title": record.title,
        "status": record.status,
        "district": record.district,
        "supporters": record.supporters,
        "score": record.score,
        "created_at": iso_utc(record.created_at),
        "project_id": record.project_id,
        "tracking_url": record.tracking_url,
    }


def requests_csv(records: Sequence[RequestRecord]) -> str:
    rows = (
        _request_values(record) | {"lat": _degrees(record.lat), "lon": _degrees(record.lon)}
        for record in records
    )
    return _spreadsheet_csv(
        REQUEST_COLUMNS,
        ([row[column] for column in REQUEST_COLUMNS] for row in rows),
        REQUEST_TEXT_COLUMNS,
    )


def requests_geojson(records: Sequence[RequestRecord]) -> dict[str, Any]:
    """Point features with the CSV's columns as properties (the position is the geometry)."""
    return feature_collection(
        [
            point_feature(record.lon, record.lat, _request_values(record), record.reference)
            for record in records
        ]
    )


def _project_values(record: ProjectRecord) -> dict[str, Any]:
    return {
        "id": record.project_id,
        "stop_id": record.stop_id,
        "name": record.name,
        "stage": record.stage.value,
        "approved_at": iso_utc(record.approved_at),
        "service_start_date": (
            record.service_start_date.isoformat() if record.service_start_date else None
        ),
        "launch_routes": list(record.launch_routes),
        "sign_offs_given": record.sign_offs_given,
        "sign_offs_required": record.sign_offs_required,
        "overdue_milestones": list(record.overdue_milestones),
        "request_references": list(record.request_references),
    }


def projects_csv(records: Sequence[ProjectRecord]) -> str:
    rows = []
    for record in records:
        values = _project_values(record) | {
            "lat": _degrees(record.lat),
            "lon": _degrees(record.lon),
        }
        rows.append(
            [
                LIST_SEPARATOR.join(value) if isinstance(value, list) else value
                for value in (values[column] for column in PROJECT_COLUMNS)
            ]
        )
    return _spreadsheet_csv(PROJECT_COLUMNS, rows, PROJECT_TEXT_COLUMNS)


def projects_geojson(records: Sequence[ProjectRecord]) -> dict[str, Any]:
    return feature_collection(
        [
            point_feature(record.lon, record.lat, _project_values(record), record.project_id)
            for record in records
        ]
    )


def stops_txt(stops: Sequence[GtfsStop]) -> str:
    """A GTFS stops.txt fragment: every row a stop (location_type 0) with its own stop_id."""
    rows = (
        (
            stop.stop_id,
            "",
            stop.stop_name,
            stop.stop_desc,
            _degrees(stop.stop_lat),
            _degrees(stop.stop_lon),
            0,
            0,
        )
        for stop in stops
    )
    return _gtfs_csv(GTFS_STOP_COLUMNS, rows)


COVERAGE_GAP_COLUMNS = (
    "dataset",
    "radius_m",
    "kind",
    "lat",
    "lon",
    "population",
    "area_km2",
    "people_per_km2",
)
# The dataset's name was typed by whoever imported it.
COVERAGE_GAP_TEXT_COLUMNS = frozenset({"dataset"})


def coverage_gap_csv(layer: PopulationLayer) -> str:
    """One row per part of the coverage gap (a unit's uncovered part, a point, or a grid cell
    of them) at a point inside it, then a row ``total`` with everyone beyond reach."""
    rows = []
    for part in layer.parts:
        inside = part.geometry.representative_point()
        density = part.people_per_km2
        rows.append(
            [
                layer.dataset,
                f"{layer.radius_m:g}",
                part.kind,
                _degrees(inside.y),
                _degrees(inside.x),
                f"{part.population:.1f}",
                f"{part.area_km2:.4f}",
                "" if density is None else f"{density:.1f}",
            ]
        )
    total = f"{layer.total_population:.1f}"
    rows.append([layer.dataset, f"{layer.radius_m:g}", "total", "", "", total, "", ""])
    return _spreadsheet_csv(COVERAGE_GAP_COLUMNS, rows, COVERAGE_GAP_TEXT_COLUMNS)


SUGGESTION_COLUMNS = (
    "rank",
    "lat",
    "lon",
    "newly_served",
    "newly_served_alone",
    "route_id",
    "route",
    "radius_m",
    "measure",
    "method",
    "run_id",
)
SUGGESTION_TEXT_COLUMNS = frozenset({"route"})


def _suggestion_values(run: Any, stop: Any) -> dict[str, Any]:
    """A suggested stop's row; people as stored (``repr`` of the float: every digit kept)."""
    return {
        "rank": stop.rank,
        "newly_served": repr(float(stop.newly_served)),
        "newly_served_alone": repr(float(stop.newly_served_alone)),
        "route_id": stop.route_id,
        "route": stop.route_name,
        "radius_m": run.radius_m,
        "measure": run.measure,
        "method": run.method,
        "run_id": run.id,
    }


def suggestions_csv(run: Any) -> str:
    """A stored suggestions run (``models/suggestions.py``), one row per stop in rank order."""
    rows = (
        _suggestion_values(run, stop) | {"lat": _degrees(stop.lat), "lon": _degrees(stop.lon)}
        for stop in run.stops
    )
    return _spreadsheet_csv(
        SUGGESTION_COLUMNS,
        ([row[column] for column in SUGGESTION_COLUMNS] for row in rows),
        SUGGESTION_TEXT_COLUMNS,
    )


def suggestions_geojson(run: Any) -> dict[str, Any]:
    """Point features with the CSV's columns as properties, people as numbers."""
    return feature_collection(
        [
            point_feature(
                stop.lon,
                stop.lat,
                _suggestion_values(run, stop)
                | {
                    "newly_served": float(stop.newly_served),
                    "newly_served_alone": float(stop.newly_served_alone),
                },
                stop.rank,
            )
            for stop in run.stops
        ]
    )
