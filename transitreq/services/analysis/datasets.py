"""What the planners' numbers rest on: every feed, population layer, service-area set and street
network loaded, with its import's record (``models/imports.py``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from transitreq.models import DatasetImport, DatasetKind

# The order the Data page lists kinds in: the network first, then where people live.
KIND_ORDER = (
    DatasetKind.GTFS,
    DatasetKind.POPULATION,
    DatasetKind.SERVICE_AREAS,
    DatasetKind.STREET_NETWORK,
)


def loaded_datasets(session: Session) -> dict[DatasetKind, list[DatasetImport]]:
    """Each kind's records, the latest import first."""
    records = session.scalars(
        select(DatasetImport).order_by(DatasetImport.imported_at.desc(), DatasetImport.id.desc())
    ).all()
    return {kind: [record for record in records if record.kind is kind] for kind in KIND_ORDER}
