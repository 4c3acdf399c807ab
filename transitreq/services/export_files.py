"""The export records written as files: CSV (RFC 4180), GeoJSON, and GTFS ``stops.txt``.

CSV files are opened in spreadsheets, where a cell starting with ``=``, ``+``, ``-`` or ``@``
runs as a formula: residents write request titles, so every text cell passes through
``spreadsheet_safe``. Numbers are written as numbers and never touched (a longitude may well be
negative). The spreadsheet exports begin with a UTF-8 byte order mark, without which Excel reads
"Töölö" as mojibake; ``stops.txt`` has none, as GTFS tools expect plain UTF-8.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from transitreq.geo.geojson import feature_collection, point_feature
from transitreq.services.exports import GtfsStop, ProjectRecord, RequestRecord

# Six decimals of a degree is about 10 cm: as precise as a stop's position is known.
COORDINATE_DECIMALS = 6
# How lists (routes, references, milestone titles) are joined inside one CSV cell.
LIST_SEPARATOR = "; "
BYTE_ORDER_MARK = "\ufeff"
# What a spreadsheet reads as the start of a formula (tab and line breaks included, as a
# cell may be trimmed before it is parsed).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")

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
    """Text a spreadsheet shows as text: a leading apostrophe keeps ``=SUM(…)`` inert."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC to the second, e.g. ``2026-03-05T09:30:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _degrees(value: float) -> str:
    return f"{value:.{COORDINATE_DECIMALS}f}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return spreadsheet_safe(value)
    return str(value)


def _csv(columns: Sequence[str], rows: Iterable[Sequence[Any]], byte_order_mark: bool) -> str:
    """RFC 4180: comma separated, CRLF line ends, fields quoted when they need it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return (BYTE_ORDER_MARK if byte_order_mark else "") + buffer.getvalue()


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
    return _csv(
        REQUEST_COLUMNS, ([row[column] for column in REQUEST_COLUMNS] for row in rows), True
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
    return _csv(PROJECT_COLUMNS, rows, True)


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
    return _csv(GTFS_STOP_COLUMNS, rows, False)
