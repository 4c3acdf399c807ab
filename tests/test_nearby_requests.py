"""Before filing, residents see requests within 300 m; distances are geodesic metres."""

from __future__ import annotations

import pytest

from tests.databases import assert_uses_spatial_index
from tests.factories import RAILWAY_SQUARE, add_service_area, file_request, geodesic_m, offset
from transitreq.backends import backend_of
from transitreq.geo.nearby import requests_within_statement, requests_within_values
from transitreq.models import RequestStatus
from transitreq.services.requests.filing import nearby_requests
from transitreq.services.requests.rules import move


def _file_at_offsets(session, offsets):
    filed = []
    for bearing, distance_m in offsets:
        point = offset(RAILWAY_SQUARE, bearing, distance_m)
        filed.append(
            (file_request(session, point=point, reporter_contact="", notify_progress=False), point)
        )
    return filed


def test_requests_within_radius_are_listed_nearest_first_with_true_distance(session):
    add_service_area(session)
    filed = _file_at_offsets(session, [(0, 250), (90, 120), (200, 299), (270, 301), (45, 900)])

    found = nearby_requests(session, RAILWAY_SQUARE, 300)

    expected = sorted(
        ((item, geodesic_m(point, RAILWAY_SQUARE)) for item, point in filed),
        key=lambda pair: pair[1],
    )
    expected = [(item.id, metres) for item, metres in expected if metres <= 300]
    assert [item.stop_request.id for item in found] == [item_id for item_id, _ in expected]
    for item, (_, metres) in zip(found, expected, strict=True):
        # Geodesic on the WGS 84 ellipsoid on both backends: agrees with pyproj to millimetres.
        assert item.distance_m == pytest.approx(metres, abs=0.01)


def test_merged_requests_are_not_offered(session):
    add_service_area(session)
    (kept, _), (merged, _) = _file_at_offsets(session, [(10, 50), (20, 60)])
    move(session, merged, RequestStatus.MERGED, actor="planner")
    session.commit()
    assert [item.stop_request.id for item in nearby_requests(session, RAILWAY_SQUARE, 300)] == [
        kept.id
    ]


def test_closed_requests_are_shown_but_not_supportable(session):
    add_service_area(session)
    ((rejected, _),) = _file_at_offsets(session, [(10, 50)])
    move(session, rejected, RequestStatus.REJECTED, actor="planner")
    session.commit()
    (item,) = nearby_requests(session, RAILWAY_SQUARE, 300)
    assert item.stop_request.status is RequestStatus.REJECTED
    assert item.supportable is False


@pytest.mark.parametrize("latitude", [0.0, 60.17, 78.2])
def test_search_box_never_misses_a_point_on_the_circle(session, latitude):
    from shapely.geometry import Point

    from transitreq.geo.metric import box_around

    centre = Point(24.94, latitude)
    box = box_around(centre.x, centre.y, 300)
    for bearing in range(0, 360, 5):
        edge = offset(centre, bearing, 300)
        assert box.min_lon <= edge.x <= box.max_lon
        assert box.min_lat <= edge.y <= box.max_lat


def test_nearby_query_uses_the_spatial_index(session):
    add_service_area(session)
    _file_at_offsets(session, [(0, 100)])
    statement = requests_within_statement(backend_of(session))
    values = requests_within_values(RAILWAY_SQUARE, 300, tuple(RequestStatus))
    assert_uses_spatial_index(session, statement, "idx_stop_requests_location", values)
