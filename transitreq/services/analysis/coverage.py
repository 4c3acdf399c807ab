"""Keeping the stored coverage up to date, and what other features read from it.

The store (``geo/coverage_refresh.py``) is refreshed inside the transaction of whatever changed
its inputs: a GTFS import, a population import, the demo city, a stop project going into
service; ``flask refresh-coverage`` does the rest (after changing the mode settings, say). A
store computed for other stops or settings is never used: the evaluation measures afresh and
logs that the store is stale.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from transitreq.geo.coverage_refresh import (
    current_stop_revision,
    refresh_dataset,
    refresh_near_new_stop,
)
from transitreq.geo.metric import BoundingBox
from transitreq.geo.stored_gap import UnservedUnit, unserved_units
from transitreq.models import POINTS, PopulationDataset
from transitreq.services.analysis.evaluation import (
    COVERAGE_GAP_RADIUS_M,
    EvaluationSettings,
    stored_coverage_of,
)
from transitreq.services.context import settings_of


def refresh_coverage(
    session: Session, dataset_ids: list[int] | None = None, *, only_stale: bool = False
) -> list[str]:
    """Recompute the stored coverage of the datasets named (all by default), within the
    caller's transaction; with ``only_stale``, only those not up to date. The names refreshed."""
    settings = settings_of(session).evaluation
    statement = select(PopulationDataset).order_by(PopulationDataset.id)
    if dataset_ids is not None:
        statement = statement.where(PopulationDataset.id.in_(dataset_ids))
    refreshed = []
    for dataset in session.scalars(statement).all():
        if only_stale and stored_coverage_of(session, dataset, settings, quiet=True) is not None:
            continue
        refresh_dataset(
            session, dataset, settings.modes, settings.coverage_radii_m, settings.metric_srid
        )
        refreshed.append(dataset.name)
    return refreshed


def up_to_date_datasets(session: Session) -> set[int]:
    """The datasets whose store is up to date now, with the stops' revision locked until the
    transaction ends: no other stop change can slip in before ``take_in_new_stop``."""
    current_stop_revision(session, lock=True)
    settings = settings_of(session).evaluation
    return {
        dataset.id
        for dataset in session.scalars(select(PopulationDataset))
        if stored_coverage_of(session, dataset, settings, quiet=True) is not None
    }


def take_in_new_stop(session: Session, stop_id: int, up_to_date: set[int]) -> list[str]:
    """After one stop was added: each store up to date before it (``up_to_date_datasets``)
    takes it in around it, in milliseconds rather than a whole refresh; any other store, or
    one the change cannot be bounded in, is refreshed whole. The names refreshed."""
    settings = settings_of(session).evaluation
    rules, radii_m = settings.modes, settings.coverage_radii_m
    whole = []
    for dataset in session.scalars(select(PopulationDataset).order_by(PopulationDataset.id)):
        if dataset.id in up_to_date and refresh_near_new_stop(
            session, dataset, rules, radii_m, stop_id
        ):
            continue
        whole.append(dataset.id)
    return refresh_coverage(session, whole) if whole else []


def unserved_population_units(
    session: Session,
    dataset: PopulationDataset,
    box: BoundingBox,
    radius_m: float = COVERAGE_GAP_RADIUS_M,
    settings: EvaluationSettings | None = None,
) -> list[UnservedUnit] | None:
    """The units in ``box`` no stop reaches at ``radius_m`` (each stop as far as its modes
    reach), with their people and metres to the nearest stop: points whole, polygons as their
    part beyond reach. None when the store cannot answer (stale, or a polygon dataset at a
    radius not stored): measure afresh then, or ask for ``flask refresh-coverage``."""
    settings = settings or settings_of(session).evaluation
    state = stored_coverage_of(session, dataset, settings)
    if state is None or (dataset.geometry_kind != POINTS and radius_m not in state.radii_m):
        return None
    return unserved_units(session, dataset, box, radius_m, settings.modes)
