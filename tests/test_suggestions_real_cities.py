"""Suggested stops on the real reference cities, on both databases: Helsinki's 250 m grid
(polygons, areal weighting) and points by straight line, Helsinki on foot along its
OpenStreetMap extract, and São Paulo's hexgrid south of the equator and west of Greenwich.

For each: rank 1 newly serves what site evaluation answers for its point (within 1 %, or one
person), the ranks' figures add up to the total, no chosen stop is too close to an existing
stop (evaluation's own flag), and no two chosen stops on a shared route are closer than the
minimum spacing.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from shapely.geometry import Point

from tests.factories import geodesic_m
from tests.helsinki import EVERY_STOP_ALIKE, GRID, POINTS
from tests.test_sao_paulo import HEXGRID_NAME, sao_paulo  # noqa: F401 - the loaded city
from tests.test_sao_paulo import SETTINGS as SPO_SETTINGS
from tests.test_walking_helsinki import SETTINGS as WALK_SETTINGS
from tests.test_walking_helsinki import walking_helsinki  # noqa: F401 - the loaded city
from transitreq.geo.metric import BoundingBox
from transitreq.models import StreetNetwork
from transitreq.services.analysis.evaluation import STRAIGHT_LINE, WALK, evaluate_site
from transitreq.services.analysis.suggestions import SuggestionQuery, build_instance, suggest

CENTRAL_HELSINKI = BoundingBox(24.90, 60.155, 24.99, 60.20)
CENTRAL_SAO_PAULO = BoundingBox(-46.83, -23.80, -46.36, -23.36)


def _close(actual: float, expected: float) -> bool:
    return abs(actual - expected) <= max(0.01 * abs(expected), 1.0)


def _check(session, query, settings, measure, dataset=None):
    answer = suggest(session, query, settings)
    assert answer.measure == measure
    assert answer.stops, "no suggestion at all"
    assert sum(stop.newly_served for stop in answer.stops) == pytest.approx(answer.newly_served)
    assert answer.newly_served >= answer.greedy_newly_served - 1e-6
    evaluations = [
        evaluate_site(session, Point(stop.lon, stop.lat), settings, dataset)
        for stop in answer.stops
    ]
    (first,) = [
        c for c in evaluations[0].catchments if (c.radius_m, c.measure) == (query.radius_m, measure)
    ]
    assert _close(answer.stops[0].newly_served, first.newly_served), (
        answer.stops[0],
        first.newly_served,
    )
    assert not any(evaluation.too_close_to_a_stop for evaluation in evaluations)
    for (a, ea), (b, eb) in itertools.combinations(zip(answer.stops, evaluations, strict=True), 2):
        shared = {r.route_id for r in ea.routes_passing_by} & {
            r.route_id for r in eb.routes_passing_by
        }
        if shared:
            assert (
                geodesic_m(Point(a.lon, a.lat), Point(b.lon, b.lat))
                >= 0.99 * settings.min_stop_spacing_m
            )
    return answer


@pytest.mark.parametrize("dataset", (GRID, POINTS))
def test_helsinki_by_straight_line(helsinki_session, dataset):
    # 250 m: at 400 m central Helsinki has hardly anyone no stop serves yet.
    query = SuggestionQuery(count=5, radius_m=250, box=CENTRAL_HELSINKI, dataset=dataset)
    _check(helsinki_session, query, EVERY_STOP_ALIKE, STRAIGHT_LINE, dataset)


@pytest.fixture(params=("spatialite", "postgis"))
def walking_session(request, walking_helsinki):  # noqa: F811
    session = walking_helsinki[request.param]()
    yield session
    session.close()


def test_helsinki_on_foot(walking_session):
    network = walking_session.query(StreetNetwork).one()
    box = BoundingBox(network.min_lon, network.min_lat, network.max_lon, network.max_lat)
    # Central Helsinki's stops stand so close that a 300 m spacing leaves hardly a candidate
    # in the extract: 150 m leaves some, and stations reach no farther than the radius.
    # and a 200 m walk leaves some people no stop reaches yet (at 400 m, none in the extract).
    settings = replace(
        WALK_SETTINGS,
        catchment_radii_m=(200, 400),
        min_stop_spacing_m=150.0,
        modes=replace(WALK_SETTINGS.modes, catchment_m={}),
    )
    query = SuggestionQuery(count=4, radius_m=200, box=box)
    # Every eighth candidate's people newly served on foot, as the optimisation counts them,
    # is what site evaluation answers for its point.
    instance = build_instance(walking_session, query, settings)
    assert instance.measure == WALK and len(instance.candidates) > 0
    counted = instance.problem.cover @ instance.problem.weight
    step = max(1, len(instance.candidates) // 8)
    for index in range(0, len(instance.candidates), step):
        site = Point(instance.candidates.lon[index], instance.candidates.lat[index])
        (walk,) = [
            c
            for c in evaluate_site(walking_session, site, settings).catchments
            if (c.radius_m, c.measure) == (200, WALK)
        ]
        assert _close(float(counted[index]), walk.newly_served), (index, counted[index], walk)
    answer = suggest(walking_session, query, settings)
    assert answer.measure == WALK
    if answer.stops:
        _check(walking_session, query, settings, WALK)
    else:
        # Nobody a candidate reaches is beyond every stop's walk: then none is suggested.
        assert float(counted.max()) == 0.0


@pytest.fixture(params=("spatialite", "postgis"))
def spo_session(request, sao_paulo):  # noqa: F811
    session = sao_paulo[request.param].sessions()
    yield session
    session.close()


def test_sao_paulo_by_straight_line(spo_session):
    # 150 m, as the evaluation tests take: at 400 m every hexgrid point is within reach of a
    # stop already.
    settings = replace(SPO_SETTINGS, min_stop_spacing_m=150.0)
    query = SuggestionQuery(count=5, radius_m=150, box=CENTRAL_SAO_PAULO, dataset=HEXGRID_NAME)
    _check(spo_session, query, settings, STRAIGHT_LINE, HEXGRID_NAME)
