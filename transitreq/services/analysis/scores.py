"""Each request's site score, cached in ``stop_requests.score`` for sorting and filtering.

The score is the site score of ``site_score`` at the request's pin. Computing it costs tens of
milliseconds (the catchment, the walk, the routes, demand), too much to spend while a resident
waits or for every request each time the queue is shown. So it is cached with the fingerprint of
the settings it was computed under (``score_basis``), and:

- a filing or support does not compute it but marks *due* the request and every request awaiting
  a decision whose demand term counts it (``mark_due_near``), in the filing's own transaction;
- an import marks every request awaiting a decision due (``mark_all_due``) and its command then
  scores them in batches (``score_due``); other weights or radii change the fingerprint, which
  makes every score due at once;
- due scores are computed by ``score_due``, called by each web process while it is idle
  (``web/score_keeper.py``), by ``flask rescore-requests``, after the demo loads, and by the
  review queue itself for the rows it is about to show (``score_requests``), so a planner never
  sees a request without a score that could have one.

Every batch is its own short transaction: the scores are computed by reads, then written in one
quick UPDATE per request. A request marked due again while its score was being computed keeps its
mark (the write only clears the mark it read), so a support that lands mid-computation is never
lost.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from functools import lru_cache

from shapely.geometry import Point
from sqlalchemy import String, Update, and_, bindparam, case, func, or_, select, update
from sqlalchemy.orm import Session

from transitreq.backends import Backend, backend_of
from transitreq.db import execute_built
from transitreq.geo.bound_site import bound_box, bound_radius_m, bound_site, site_values
from transitreq.geo.request_filters import request_lon_lat
from transitreq.i18n import _
from transitreq.models import StopRequest
from transitreq.services.analysis.evaluation import EvaluationSettings, site_score
from transitreq.services.context import settings_of
from transitreq.services.requests.rules import AWAITING_DECISION

# Requests scored per transaction: at ~30 ms each, a batch commits within about a second.
RESCORE_BATCH = 20
_TABLE = StopRequest.__table__
_DUE_PREFIX = "due-"


def score_basis(settings: EvaluationSettings) -> str:
    """A fingerprint of every setting the score depends on: other weights, radii or modes make
    every cached score due without anyone having to remember to rescore."""
    return hashlib.sha256(repr(settings).encode()).hexdigest()[:32]


def _due_mark() -> str:
    # Unique per marking, so a write can tell whether the request was marked again meanwhile.
    return f"{_DUE_PREFIX}{time.time_ns()}"


def _is_due(basis: str):
    return and_(
        _TABLE.c.status.in_([status.value for status in AWAITING_DECISION]),
        or_(_TABLE.c.score_basis.is_(None), _TABLE.c.score_basis != basis),
    )


@lru_cache(maxsize=4)
def _mark_due_near_statement(backend: Backend) -> Update:
    distance_m = backend.geodesic_distance_m(StopRequest.location, bound_site())
    # Locked in id order (PostgreSQL; SQLite writes one transaction at a time): two residents
    # filing or supporting near each other take their neighbours' rows in the same order, so
    # neither waits for a row the other holds while holding one it wants.
    near = (
        select(StopRequest.id)
        .where(backend.in_box(StopRequest.location, bound_box()))
        .where(StopRequest.status.in_(AWAITING_DECISION))
        .where(distance_m <= bound_radius_m())
        .order_by(StopRequest.id)
        .with_for_update(key_share=True)
    )
    # Only the mark: not ``updated_at``, which says when the request itself last changed.
    return (
        update(_TABLE)
        .where(_TABLE.c.id.in_(near.scalar_subquery()))
        .values(score_basis=bindparam("mark", type_=String), updated_at=_TABLE.c.updated_at)
    )


def mark_due_near(session: Session, point: Point, radius_m: float | None = None) -> None:
    """A request was filed or supported at ``point``: every request awaiting a decision within
    the demand radius (its own included) now counts one more resident asking. One statement,
    built once: it runs on every filing and support. A stop opened at ``point`` changes the
    scores within ``radius_m`` instead."""
    if radius_m is None:
        radius_m = settings_of(session).evaluation.demand_radius_m
    values = {**site_values(point, radius_m), "mark": _due_mark()}
    execute_built(session, _mark_due_near_statement(backend_of(session)), values)


def mark_all_due(session: Session) -> int:
    """What every score rests on changed (an import): mark each request awaiting a decision due,
    inside the caller's transaction; their old scores stay shown until replaced."""
    result = session.execute(
        update(_TABLE)
        .where(_TABLE.c.status.in_([status.value for status in AWAITING_DECISION]))
        .values(score_basis=_due_mark())
    )
    return result.rowcount


def due_count(session: Session) -> int:
    """How many requests awaiting a decision have no up-to-date score."""
    basis = score_basis(settings_of(session).evaluation)
    return session.execute(
        select(func.count()).select_from(_TABLE).where(_is_due(basis))
    ).scalar_one()


def _compute(session: Session, ids: Iterable[int]) -> list[tuple[int, str | None, float]]:
    """Scores for ``ids`` with the mark each was read with; reads only."""
    settings = settings_of(session).evaluation
    lon, lat = request_lon_lat()
    rows = session.execute(
        select(_TABLE.c.id, _TABLE.c.score_basis, lon, lat).where(_TABLE.c.id.in_(list(ids)))
    ).all()
    return [
        (request_id, basis, site_score(session, Point(x, y), settings).total)
        for request_id, basis, x, y in rows
    ]


def _write(session: Session, scored: list[tuple[int, str | None, float]], basis: str) -> None:
    """Store the scores; a request marked again meanwhile keeps its (newer) mark.

    Plain UPDATEs, so the request's optimistic-locking version does not move: a planner who
    opened the request before a resident supported it can still decide on it.
    """
    for request_id, read_basis, score in scored:
        unchanged = (
            _TABLE.c.score_basis.is_(None)
            if read_basis is None
            else _TABLE.c.score_basis == read_basis
        )
        session.execute(
            update(_TABLE)
            .where(_TABLE.c.id == request_id)
            .values(score=score, score_basis=case((unchanged, basis), else_=_TABLE.c.score_basis))
        )


def write_scores(session: Session, ids: Iterable[int]) -> dict[int, float]:
    """Compute and store the scores of ``ids`` inside the caller's transaction (the demo city
    is loaded with its scores); returns them by id."""
    ids = list(ids)
    if not ids:
        return {}
    session.flush()
    scored = _compute(session, ids)
    _write(session, scored, score_basis(settings_of(session).evaluation))
    return {request_id: score for request_id, _read, score in scored}


def score_requests(session: Session, ids: Iterable[int]) -> dict[int, float]:
    """Compute and store the scores of ``ids`` now, committed; returns them by id."""
    scores = write_scores(session, ids)
    session.commit()
    return scores


def refresh_score(session: Session, stop_request: StopRequest) -> float:
    """Score one request now and commit (the demo's requests, tests, a planner's one request)."""
    session.flush()
    score = score_requests(session, [stop_request.id])[stop_request.id]
    session.expire(stop_request, ["score", "score_basis"])
    return score


def score_due(
    session: Session,
    *,
    deadline: float | None = None,
    keep_going: Callable[[], bool] | None = None,
    batch: int = RESCORE_BATCH,
    progress: Callable[[str, int, int], None] | None = None,
) -> int:
    """Score due requests, newest first, in batches of ``batch``, each committed; stop
    at ``deadline`` (``time.monotonic()``) or when ``keep_going()`` says so. Returns how many.

    Several processes may run this at once (each gunicorn worker's keeper): the worst case is a
    batch computed twice, with the same result.
    """
    basis = score_basis(settings_of(session).evaluation)
    total = due_count(session) if progress is not None else 0
    done = 0
    scored_ids: set[int] = set()
    while True:
        if deadline is not None and time.monotonic() >= deadline:
            break
        if keep_going is not None and not keep_going():
            break
        ids = list(
            session.scalars(
                select(_TABLE.c.id).where(_is_due(basis)).order_by(_TABLE.c.id.desc()).limit(batch)
            )
        )
        session.rollback()  # end the read: nothing is held while scores are computed
        if not ids or scored_ids.issuperset(ids):
            # Nothing due, or only requests marked again since this run scored them: the next
            # run takes those.
            break
        scored_ids.update(ids)
        scored = _compute(session, ids)
        _write(session, scored, basis)
        session.commit()
        done += len(scored)
        if progress is not None:
            progress(_("Scoring requests"), done, max(total, done))
    return done


def rescore_open_requests(
    session: Session, progress: Callable[[str, int, int], None] | None = None
) -> int:
    """Score again every request still awaiting a decision (``flask rescore-requests`` and
    after each import): mark them all due, then score them batch by batch; returns how many.

    Decided requests keep the score they were decided on.
    """
    mark_all_due(session)
    session.commit()
    return score_due(session, progress=progress)
