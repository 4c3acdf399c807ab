"""The record each import leaves: what it loaded and what it found (``models/imports.py``)."""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from transitreq.geo.metric import BoundingBox
from transitreq.importers.report import ImportReport
from transitreq.models import DatasetImport, DatasetKind


def who_imports() -> str:
    """The operating-system user running an import command, for the record."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def record_import(
    session: Session,
    kind: DatasetKind,
    name: str,
    source: Path | str,
    report: ImportReport,
    counts: dict[str, Any],
    extent: BoundingBox | None = None,
    service: tuple[date | None, date | None, date | None] = (None, None, None),
    imported_by: str | None = None,
) -> DatasetImport:
    """Replace the dataset's record with this import's; call inside the import's transaction,
    so the record and the data commit (or roll back) together."""
    session.execute(
        delete(DatasetImport).where(DatasetImport.kind == kind, DatasetImport.name == name)
    )
    start, end, measured_on = service
    record = DatasetImport(
        kind=kind,
        name=name,
        source=Path(source).name,
        imported_by=who_imports() if imported_by is None else imported_by,
        strict=report.strict,
        counts=counts,
        min_lon=extent.min_lon if extent else None,
        min_lat=extent.min_lat if extent else None,
        max_lon=extent.max_lon if extent else None,
        max_lat=extent.max_lat if extent else None,
        service_start=start,
        service_end=end,
        measured_on=measured_on,
        report=report.as_json(),
    )
    session.add(record)
    return record
