"""What each public map layer was drawn from, as a few numbers read from the database: when
any of them changes, so may the layer (the web layer makes them its ``ETag``).

Read from the database on every call rather than kept in a worker's memory, so every gunicorn
worker (and both backends) give the same answer for the same data, and a change made through
one worker is seen by all at once. Each table contributes its row count, its largest id and,
when it has one, its latest ``updated_at``: a new row raises the id, a removed one lowers the
count, an edited one (status, title, a milestone's date) moves ``updated_at``. A feed or area
import replaces its rows (new ids) and adds a ``dataset_imports`` record.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transitreq.models import (
    DatasetImport,
    Milestone,
    Route,
    ServiceArea,
    Stop,
    StopProject,
    StopRequest,
    Support,
)

# The tables each layer's features are made of.
_LAYER_TABLES: dict[str, tuple[Any, ...]] = {
    "requests": (StopRequest, Support),
    "stops": (Stop, Route, DatasetImport),
    "routes": (Route, DatasetImport),
    "new_stops": (StopProject, Milestone),
    "service_areas": (ServiceArea, DatasetImport),
}
LAYERS = frozenset(_LAYER_TABLES)


def _table_summary(model: Any) -> list[Any]:
    columns = [
        select(func.count()).select_from(model).scalar_subquery(),
        select(func.max(model.id)).scalar_subquery(),
    ]
    if hasattr(model, "updated_at"):
        columns.append(select(func.max(model.updated_at)).scalar_subquery())
    return columns


def layer_version(session: Session, layer: str) -> tuple[Any, ...]:
    """The numbers ``layer`` depends on, in one statement."""
    columns = [column for model in _LAYER_TABLES[layer] for column in _table_summary(model)]
    row = session.execute(select(*columns)).one()
    return tuple(str(value) for value in row)
