"""Suggested stops checked against answers the tests work out themselves: an exhaustive search
over every pair of candidates (coverage and spacing computed here in local metres), site
evaluation for rank 1, the ranks' sum, and the spacing rule; on both databases, in all four
quadrants of the globe, and on the demo city (polygons, and walking along its streets)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from shapely.geometry import LineString, Point

from tests.suggestion_city import ACROSS_ROAD_M, ROUTES, build_city
from transitreq.config import default_settings
from transitreq.services.analysis.covering import CoveringProblem, greedy, solve, union_weight
from transitreq.services.analysis.evaluation import STRAIGHT_LINE, WALK, evaluate_site
from transitreq.services.analysis.suggestions import (
    SuggestionQuery,
    build_instance,
    stored_or_new,
    suggest,
)

SETTINGS = default_settings().evaluation
QUADRANTS = {
    "north-east (Helsinki)": (24.94, 60.17),
    "south-west (São Paulo)": (-46.63, -23.55),
    "north-west (New York)": (-73.98, 40.75),
    "south-east (Sydney)": (151.21, -33.87),
}


def _exhaustive(problem: CoveringProblem, count: int) -> float:
    conflicts = {tuple(sorted(pair)) for pair in problem.conflicts.tolist()}
    best = 0.0
    for choice in itertools.combinations(range(problem.candidate_count), count):
        if any(pair in conflicts for pair in itertools.combinations(choice, 2)):
            continue
        best = max(best, union_weight(problem, list(choice)))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_the_solver_finds_what_an_exhaustive_search_finds(seed):
    rng = np.random.default_rng(seed)
    cover = csr_matrix((rng.random((16, 120)) < 0.1).astype(float))
    weight = rng.integers(1, 30, 120).astype(float)
    conflicts = np.array([(i, i + 1) for i in range(0, 15, 2)])
    problem = CoveringProblem(cover, weight, conflicts)

    answer = solve(problem, 4)

    assert answer.covered == pytest.approx(_exhaustive(problem, 4))
    assert answer.method == "exact" and answer.gap == pytest.approx(0.0, abs=1e-9)
    assert sum(answer.marginal) == pytest.approx(answer.covered)
    assert answer.marginal == sorted(answer.marginal, reverse=True)
    chosen = set(answer.chosen)
    assert not any(a in chosen and b in chosen for a, b in conflicts)
    # The greedy fallback respects spacing too, and never beats the optimum.
    fallback = greedy(problem, 4)
    assert union_weight(problem, fallback) <= answer.covered + 1e-9
    assert not any(a in fallback and b in fallback for a, b in conflicts)


def _reference_problem(city, instance) -> CoveringProblem:
    """Coverage, who is already served and which candidates conflict, worked out here in the
    city's own local metres from the test's own layout."""
    x, y = city.from_wgs84.transform(instance.candidates.lon, instance.candidates.lat)
    sites = np.column_stack([x, y])
    people_xy = city.people_xy
    stops = np.array(city.stops_xy)
    to_stops = np.hypot(
        people_xy[:, None, 0] - stops[None, :, 0], people_xy[:, None, 1] - stops[None, :, 1]
    )
    unserved = ~(to_stops <= stops[None, :, 2]).any(axis=1)
    distance = np.hypot(
        sites[:, None, 0] - people_xy[None, :, 0], sites[:, None, 1] - people_xy[None, :, 1]
    )
    cover = csr_matrix(((distance <= 400.0) & unserved[None, :]).astype(float))
    conflicts = set()
    for _, start, end in ROUTES:
        direction = np.subtract(end, start) / np.hypot(*np.subtract(end, start))
        side = np.array([direction[1], -direction[0]]) * ACROSS_ROAD_M
        for line in (
            LineString([start, end]),
            LineString([np.add(end, side), np.add(start, side)]),
        ):
            near = [i for i, xy in enumerate(sites) if line.distance(Point(xy)) <= 50.0]
            along = {i: line.project(Point(sites[i])) for i in near}
            for a, b in itertools.combinations(near, 2):
                if abs(along[a] - along[b]) < 300.0:
                    conflicts.add((min(a, b), max(a, b)))
    return CoveringProblem(cover, city.people, np.array(sorted(conflicts)).reshape(-1, 2))


def _best_pair(problem: CoveringProblem) -> float:
    dense = problem.cover.toarray().astype(bool)
    conflicts = {tuple(pair) for pair in problem.conflicts.tolist()}
    best = float((dense @ problem.weight).max())
    for a in range(len(dense)):
        union = dense[a] | dense[a + 1 :]
        values = union @ problem.weight
        for offset in np.argsort(values)[::-1]:
            b = a + 1 + int(offset)
            if (a, b) not in conflicts:
                best = max(best, float(values[offset]))
                break
    return best


@pytest.mark.parametrize("origin", QUADRANTS.values(), ids=QUADRANTS.keys())
def test_two_stops_match_an_exhaustive_search_of_every_pair(session, origin):
    city = build_city(session, origin)
    instance = build_instance(session, SuggestionQuery(count=2), SETTINGS)
    assert 150 <= len(instance.candidates) <= 600
    reference = _reference_problem(city, instance)

    answer = suggest(session, SuggestionQuery(count=2), SETTINGS)

    assert answer.method == "exact" and answer.gap < 1e-6
    assert answer.newly_served == pytest.approx(_best_pair(reference), rel=0.01)
    assert sum(stop.newly_served for stop in answer.stops) == pytest.approx(answer.newly_served)
    # Rank 1 alone is what site evaluation says of its point.
    first = answer.stops[0]
    evaluation = evaluate_site(session, Point(first.lon, first.lat), SETTINGS)
    (circle,) = [c for c in evaluation.catchments if c.radius_m == 400]
    assert first.newly_served == pytest.approx(circle.newly_served, rel=0.01)
    assert first.newly_served_alone == pytest.approx(first.newly_served)


def test_chosen_stops_keep_the_spacing_along_their_routes(session):
    city = build_city(session, QUADRANTS["north-east (Helsinki)"])
    answer = suggest(session, SuggestionQuery(count=12), SETTINGS)
    assert len(answer.stops) >= 6
    sites = [np.array(city.from_wgs84.transform(stop.lon, stop.lat)) for stop in answer.stops]
    for _, start, end in ROUTES:
        line = LineString([start, end])
        on_line = [line.project(Point(xy)) for xy in sites if line.distance(Point(xy)) <= 50.0]
        for a, b in itertools.combinations(on_line, 2):
            assert abs(a - b) >= 300.0 - 1.0
        # And none within the spacing of the route's end stops.
        assert all(300.0 - 1.0 <= along <= line.length - 300.0 + 1.0 for along in on_line)
    assert answer.stops == sorted(answer.stops, key=lambda stop: stop.rank)
    assert [stop.rank for stop in answer.stops] == list(range(1, len(answer.stops) + 1))
    assert sum(stop.newly_served for stop in answer.stops) == pytest.approx(answer.newly_served)
    # Marginal figures fall (or stay) with rank: each is the best of what is left.
    figures = [stop.newly_served for stop in answer.stops]
    assert figures == sorted(figures, reverse=True)


@pytest.mark.demo_city
def test_demo_city_walks_where_its_streets_are_loaded(session):
    answer = suggest(session, SuggestionQuery(count=3), SETTINGS)
    assert answer.measure == WALK
    assert answer.stops
    first = answer.stops[0]
    evaluation = evaluate_site(session, Point(first.lon, first.lat), SETTINGS)
    (walking,) = [c for c in evaluation.catchments if (c.radius_m, c.measure) == (400, WALK)]
    assert first.newly_served == pytest.approx(walking.newly_served, rel=0.01)
    assert sum(stop.newly_served for stop in answer.stops) == pytest.approx(answer.newly_served)


def test_runs_are_stored_and_reused_until_the_stops_change(session):
    city = build_city(session, QUADRANTS["south-west (São Paulo)"])
    query = SuggestionQuery(count=3)
    first, reused = stored_or_new(session, query, SETTINGS)
    assert not reused and [stop.rank for stop in first.stops] == [1, 2, 3]
    again, reused = stored_or_new(session, query, SETTINGS)
    assert reused and again.id == first.id
    # A new stop where rank 1 was: the data changed, so the question is solved again.
    from geoalchemy2.shape import from_shape

    from transitreq.models import Stop

    top = first.stops[0]
    session.add(
        Stop(
            feed="town",
            gtfs_stop_id="new",
            name="New",
            location=from_shape(Point(top.lon, top.lat), 4326),
        )
    )
    session.commit()
    fresh, reused = stored_or_new(session, query, SETTINGS)
    assert not reused and fresh.id != first.id
    assert fresh.newly_served < first.newly_served
    del city


def test_straight_line_when_no_streets_are_loaded(session):
    build_city(session, QUADRANTS["north-west (New York)"])
    assert suggest(session, SuggestionQuery(count=1), SETTINGS).measure == STRAIGHT_LINE


def test_a_stop_moved_is_a_change_of_data(session):
    build_city(session, QUADRANTS["north-east (Helsinki)"])
    from geoalchemy2.shape import from_shape, to_shape

    from transitreq.models import Stop

    query = SuggestionQuery(count=2)
    first, _ = stored_or_new(session, query, SETTINGS)
    stop = session.query(Stop).filter_by(gtfs_stop_id="metro").one()
    where = to_shape(stop.location)
    stop.location = from_shape(Point(where.x + 0.001, where.y), 4326)
    session.commit()
    again, reused = stored_or_new(session, query, SETTINGS)
    assert not reused and again.id != first.id
