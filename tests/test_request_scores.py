"""Scores are always there for planners: computed when the demo loads, soon after a filing (by
each web process while idle, or by the queue on demand), and again after imports and other
weights, batch by batch."""

from __future__ import annotations

import time

import pytest
from shapely.geometry import Point
from sqlalchemy import func, select

from tests.conftest import reconfigure
from tests.factories import RAILWAY_SQUARE, add_service_area, file_request, offset
from tests.gtfs_feeds import write_feed
from transitreq import create_app
from transitreq.importers.demo_city import seed_demo_city
from transitreq.models import StopRequest
from transitreq.services.analysis.evaluation import evaluate_site
from transitreq.services.analysis.scores import due_count, score_basis, score_due
from transitreq.services.context import settings_of


def _scores(session) -> dict[int, float | None]:
    session.expire_all()
    return dict(session.execute(select(StopRequest.id, StopRequest.score)).all())


def test_the_demo_city_loads_with_every_request_scored(session):
    counts = seed_demo_city(session)
    scores = _scores(session)
    assert len(scores) == counts["requests"] > 0
    assert None not in scores.values()
    assert due_count(session) == 0
    basis = score_basis(settings_of(session).evaluation)
    assert set(session.scalars(select(StopRequest.score_basis))) == {basis}


def test_a_support_marks_due_the_requests_whose_demand_it_raises(session):
    """Demand counts requests and supporters within the demand radius: a support there makes
    every neighbour's score stale, and only theirs."""
    from transitreq.services.requests.filing import support_request

    add_service_area(session)
    near = file_request(session, point=offset(RAILWAY_SQUARE, 0, 100))
    beside = file_request(session, point=offset(RAILWAY_SQUARE, 90, 150))
    far = file_request(session, point=offset(RAILWAY_SQUARE, 180, 2000))
    ids = (near.id, beside.id, far.id)
    assert score_due(session) == 3
    assert due_count(session) == 0
    changed_at = dict(session.execute(select(StopRequest.id, StopRequest.updated_at)).all())
    support_request(session, near.reference, "fan@example.org")
    assert due_count(session) == 2
    # Being marked due is not a change to the request a resident or planner would see.
    assert (
        session.scalar(select(StopRequest.updated_at).where(StopRequest.id == beside.id))
        == (changed_at[beside.id])
    )
    assert score_due(session) == 2
    settings = settings_of(session).evaluation
    for request_id, point in zip(
        ids,
        (offset(RAILWAY_SQUARE, 0, 100), offset(RAILWAY_SQUARE, 90, 150), None),
        strict=True,
    ):
        if point is not None:
            expected = evaluate_site(session, Point(point), settings).score.total
            assert _scores(session)[request_id] == pytest.approx(expected)


def test_other_weights_make_every_score_due_and_the_rescore_uses_them(app, app_session):
    add_service_area(app_session)
    filed = [
        file_request(app_session, point=offset(RAILWAY_SQUARE, bearing, 400))
        for bearing in (0, 120, 240)
    ]
    ids = [stop_request.id for stop_request in filed]
    score_due(app_session)
    before = _scores(app_session)
    assert due_count(app_session) == 0
    reconfigure(app, SCORE_WEIGHT_DEMAND=0.0, SCORE_WEIGHT_ROUTES_PASSING=0.0)
    with app.app_context():
        session = app.extensions["transitreq.sessionmaker"]()
        assert due_count(session) == len(ids)
        assert score_due(session) == len(ids)
        after = _scores(session)
        settings = settings_of(session).evaluation
        for request_id, bearing in zip(ids, (0, 120, 240), strict=True):
            site = Point(offset(RAILWAY_SQUARE, bearing, 400))
            assert after[request_id] == pytest.approx(
                evaluate_site(session, site, settings).score.total
            )
        assert after != before
        session.close()


def test_an_import_rescores_every_request_awaiting_a_decision(app, app_session, tmp_path):
    add_service_area(app_session)
    filed_id = file_request(app_session, point=offset(RAILWAY_SQUARE, 45, 300)).id
    assert due_count(app_session) == 1
    result = app.test_cli_runner().invoke(args=["import-gtfs", str(write_feed(tmp_path / "f"))])
    assert result.exit_code == 0, result.output
    assert "Scored 1 request(s) awaiting a decision." in result.output
    assert due_count(app_session) == 0
    site = Point(offset(RAILWAY_SQUARE, 45, 300))
    settings = settings_of(app_session).evaluation
    assert _scores(app_session)[filed_id] == pytest.approx(
        evaluate_site(app_session, site, settings).score.total
    )


def test_each_web_process_scores_what_is_due_while_idle(database_url, tmp_path):
    """A filing answers before its score is computed; the process's score keeper computes it
    within moments, without any other command running."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "tests-only-secret",
            "TILE_URL": "",
            "RATELIMIT_ENABLED": False,
            "SCORE_IN_BACKGROUND": True,
            "SCORE_KEEPER_INTERVAL_S": 0.05,
            "SCORE_KEEPER_IDLE_S": 0.0,
        },
        instance_path=str(tmp_path / "instance"),
    )
    session = app.extensions["transitreq.sessionmaker"]()
    try:
        add_service_area(session)
        session.commit()
        client = app.test_client()
        response = client.post(
            "/api/requests",
            json={
                "title": "Stop by the 图书馆 <b>annex</b>",
                "description": "Nearest stop is far for the elderly.",
                "lat": offset(RAILWAY_SQUARE, 30, 250).y,
                "lon": offset(RAILWAY_SQUARE, 30, 250).x,
            },
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            session.expire_all()
            if session.scalar(select(func.count()).where(StopRequest.score.is_(None))) == 0:
                break
            time.sleep(0.1)
        assert due_count(session) == 0
        keeper = app.extensions["transitreq.score_keeper"]
        assert keeper.scored >= 1
    finally:
        app.extensions["transitreq.score_keeper"].stop()
        session.close()
        app.extensions["transitreq.engine"].dispose()
