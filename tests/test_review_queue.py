"""Planners filter, sort and page the review queue; the map features follow the same filters."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from shapely.geometry import Point, box
from sqlalchemy import update

from tests.factories import (
    RAILWAY_SQUARE,
    add_service_area,
    file_request,
    log_in,
    offset,
)
from transitreq.config import default_settings
from transitreq.models import RequestStatus, StopRequest
from transitreq.services.analysis.evaluation import evaluate_site
from transitreq.services.requests.filing import support_request

# Central Helsinki split into two districts at the railway square's longitude.
WEST = box(24.90, 60.150, RAILWAY_SQUARE.x, 60.190)
EAST = box(RAILWAY_SQUARE.x, 60.150, 24.98, 60.190)


@dataclass
class Filed:
    reference: str
    title: str
    status: str
    supporters: int
    score: float
    district: str
    point: Point
    request_id: int


SPECS = [
    # title, bearing from the square, metres, status, supporters, score
    ("Stop by the library", 270, 900, "submitted", 0, 12.0),
    ("Stop for the clinic", 90, 700, "under_review", 3, 55.5),
    ("Night bus stop at the market", 200, 1500, "submitted", 1, 80.0),
    ("Stop at the school gate", 20, 1200, "needs_info", 2, 33.3),
    ("Stop near the harbour", 150, 1700, "approved", 0, 70.0),
    ("Stop for the library annex", 60, 2200, "rejected", 4, 5.0),
    ("Stop by the swimming hall", 300, 2000, "submitted", 2, 45.0),
]


@pytest.fixture
def queue(app_session):
    add_service_area(app_session, WEST, "West")
    add_service_area(app_session, EAST, "East")
    filed = []
    for number, (title, bearing, metres, status, supporters, score) in enumerate(SPECS):
        point = offset(RAILWAY_SQUARE, bearing, metres)
        stop_request = file_request(
            app_session, title=title, point=point, landmark=f"Landmark {number}"
        )
        for supporter in range(supporters):
            support_request(app_session, stop_request.reference, f"s{supporter}@example.org")
        app_session.execute(
            update(StopRequest)
            .where(StopRequest.id == stop_request.id)
            .values(status=RequestStatus(status), score=score)
        )
        app_session.commit()
        filed.append(
            Filed(
                stop_request.reference,
                title,
                status,
                supporters,
                score,
                "West" if point.x < RAILWAY_SQUARE.x else "East",
                point,
                stop_request.id,
            )
        )
    return filed


@pytest.fixture
def planner(client, app_session):
    return log_in(client, app_session, role="planner")


def _get(client, **params):
    response = client.get("/api/planner/requests", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _references(body) -> list[str]:
    return [row["reference"] for row in body["rows"]]


def _feature_references(body) -> set[str]:
    return {feature["id"] for feature in body["features"]["features"]}


def test_planner_sees_every_request_newest_first_with_map_features(client, planner, queue):
    body = _get(client)
    newest_first = [item.reference for item in sorted(queue, key=lambda i: -i.request_id)]
    assert _references(body) == newest_first
    assert body["total"] == len(queue)
    assert _feature_references(body) == {item.reference for item in queue}
    by_reference = {row["reference"]: row for row in body["rows"]}
    for item in queue:
        row = by_reference[item.reference]
        assert row["district"] == item.district
        assert row["supporters"] == item.supporters
        assert row["score"] == item.score
        assert row["status"] == item.status
        assert row["review_url"] == f"/planning/requests/{item.reference}"
        assert row["lon"] == pytest.approx(item.point.x, abs=1e-6)


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({"status": "submitted"}, lambda i: i.status == "submitted"),
        ({"status": "submitted,needs_info"}, lambda i: i.status in ("submitted", "needs_info")),
        ({"district": "East"}, lambda i: i.district == "East"),
        ({"q": "library"}, lambda i: "library" in i.title.lower()),
        ({"q": "LANDMARK 3"}, lambda i: i.title == "Stop at the school gate"),
        ({"min_score": "40", "max_score": "75"}, lambda i: 40 <= i.score <= 75),
        (
            {"status": "submitted", "district": "West", "min_score": "20"},
            lambda i: i.status == "submitted" and i.district == "West" and i.score >= 20,
        ),
    ],
    ids=["status", "statuses", "district", "text", "landmark", "score", "combined"],
)
def test_filters_narrow_table_and_map_alike(client, planner, queue, params, keep):
    body = _get(client, **params)
    expected = {item.reference for item in queue if keep(item)}
    assert expected, "each case must keep something"
    assert set(_references(body)) == expected
    assert _feature_references(body) == expected
    assert body["total"] == len(expected)


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ("50%", ["Half the street: 50% of us are over 70"]),
        ("a_b", ["Platform a_b please"]),
        ("c:\\", ["Path c:\\ in the title"]),
        ("公交站", ["在医院门口设公交站"]),
        ("HALF THE", ["Half the street: 50% of us are over 70"]),
    ],
)
def test_text_search_takes_wildcards_literally_in_any_script(
    client, planner, app_session, query, wanted
):
    add_service_area(app_session)
    titles = [
        "Half the street: 50% of us are over 70",
        "Stop 50 metres on",
        "Platform a_b please",
        "Platform axb please",
        "Path c:\\ in the title",
        "在医院门口设公交站",
    ]
    for title in titles:
        file_request(app_session, title=title)
    app_session.commit()
    assert [row["title"] for row in _get(client, q=query)["rows"]] == wanted


def test_search_by_reference_finds_exactly_that_request(client, planner, queue):
    wanted = queue[3]
    assert _references(_get(client, q=wanted.reference.lower())) == [wanted.reference]


def test_bbox_keeps_only_requests_in_view(client, planner, queue):
    view = box(RAILWAY_SQUARE.x - 0.02, RAILWAY_SQUARE.y - 0.01, RAILWAY_SQUARE.x + 0.02, 60.19)
    body = _get(client, bbox=",".join(str(value) for value in view.bounds))
    expected = {item.reference for item in queue if view.covers(item.point)}
    assert 0 < len(expected) < len(queue)
    assert _feature_references(body) == expected


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("supporters", lambda i: (i.supporters, i.request_id)),
        ("-supporters", lambda i: (-i.supporters, -i.request_id)),
        ("score", lambda i: (i.score, i.request_id)),
        ("-score", lambda i: (-i.score, -i.request_id)),
        ("created_at", lambda i: (i.request_id,)),
        ("status", lambda i: (list(RequestStatus).index(RequestStatus(i.status)), i.request_id)),
    ],
)
def test_sorting(client, planner, queue, sort, key):
    expected = [item.reference for item in sorted(queue, key=key)]
    assert _references(_get(client, sort=sort)) == expected


def test_paging_splits_the_sorted_table_but_the_map_shows_all(client, planner, queue):
    expected = [item.reference for item in sorted(queue, key=lambda i: -i.score)]
    seen = []
    for page in (1, 2, 3):
        body = _get(client, sort="-score", per_page=3, page=page)
        assert body["pages"] == 3
        assert body["total"] == len(queue)
        assert body["map"] == "points"
        assert len(body["features"]["features"]) == len(queue)
        seen += _references(body)
    assert seen == expected


@pytest.mark.parametrize(
    ("params", "field", "label"),
    [
        ({"per_page": "201"}, "per_page", "Rows per page"),
        ({"per_page": "ten"}, "per_page", "Rows per page"),
        ({"page": "0"}, "page", "Page"),
        ({"sort": "title"}, "sort", "Sort by"),
        ({"status": "lost"}, "status", "Status"),
        ({"min_score": "abc"}, "min_score", "Score from"),
        ({"max_score": "nan"}, "max_score", "Score to"),
        ({"min_score": "60", "max_score": "10"}, "min_score", "Score from"),
        ({"district": "Atlantis"}, "district", "district"),
        ({"q": "bus\x00stop"}, "q", "Search"),
        ({"bbox": "24.98,60.19,24.90,60.15"}, "bbox", "Map view"),
        ({"zoom": "23"}, "zoom", "Map zoom"),
        ({"zoom": "1.5"}, "zoom", "Map zoom"),
    ],
)
def test_malformed_filters_are_named_by_their_labels(client, planner, queue, params, field, label):
    """Planners read the error: it names the filter as the page labels it, never the
    parameter's internal name."""
    response = client.get("/api/planner/requests", query_string=params)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["field"] == field
    assert label in error["message"]
    assert f"“{field}”" not in error["message"] or field == label
    assert not error["message"].startswith(f"{field} ")


def test_filter_errors_are_named_in_chinese_too(client, planner, queue):
    response = client.get(
        "/api/planner/requests",
        query_string={"min_score": "60", "max_score": "10"},
        headers={"Accept-Language": "zh-CN"},
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == "“评分下限”不能大于“评分上限”。"


def test_filing_and_support_mark_the_score_due_and_the_queue_computes_it(app, app_session, client):
    """Scores are computed after the answer: the filing leaves it due, and the queue a
    planner opens shows it computed, never a blank."""
    from transitreq.services.analysis.scores import due_count

    add_service_area(app_session)
    settings = app.extensions["transitreq.settings"].evaluation
    site = Point(offset(RAILWAY_SQUARE, 45, 200))
    filed = file_request(app_session, point=site)
    app_session.expire_all()
    assert app_session.get(StopRequest, filed.id).score is None
    assert due_count(app_session) == 1
    log_in(client, app_session, role="planner")
    row = _get(client)["rows"][0]
    expected = evaluate_site(app_session, site, settings).score.total
    assert row["score"] == pytest.approx(expected, abs=0.05)
    app_session.expire_all()
    assert app_session.get(StopRequest, filed.id).score == pytest.approx(expected)
    assert due_count(app_session) == 0
    before = expected
    for number in range(3):
        support_request(app_session, filed.reference, f"fan{number}@example.org")
    app_session.expire_all()
    # Supported: the old score stays shown until the new one is computed.
    assert app_session.get(StopRequest, filed.id).score == pytest.approx(before)
    assert due_count(app_session) == 1
    assert app.test_cli_runner().invoke(args=["rescore-requests"]).exit_code == 0
    app_session.expire_all()
    refreshed = app_session.get(StopRequest, filed.id)
    assert refreshed.score > before
    assert refreshed.score == pytest.approx(evaluate_site(app_session, site, settings).score.total)
    # The score is cache, not a change a planner must reload for: the version stays.
    assert refreshed.version == 1


def test_rescore_command_scores_again_only_requests_awaiting_a_decision(app, app_session):
    """After a new feed or population layer the cached scores are stale; the operator's
    command brings those that still guide a decision up to date and leaves decided ones."""
    from tests.factories import add_user
    from transitreq.services.requests import decisions

    add_service_area(app_session)
    settings = app.extensions["transitreq.settings"].evaluation
    waiting = [
        file_request(app_session, point=offset(RAILWAY_SQUARE, bearing, 300)) for bearing in (0, 90)
    ]
    rejected = file_request(app_session, point=offset(RAILWAY_SQUARE, 180, 300))
    decisions.reject(
        app_session, rejected.reference, rejected.version, add_user(app_session), "low_demand"
    )
    app_session.execute(update(StopRequest).values(score=-1.0))  # stale, as after an import
    app_session.commit()

    result = app.test_cli_runner().invoke(args=["rescore-requests"])

    assert result.exit_code == 0, result.output
    assert "Scored 2 request(s) awaiting a decision." in result.output
    app_session.expire_all()
    for filed in waiting:
        site = Point(offset(RAILWAY_SQUARE, 0 if filed is waiting[0] else 90, 300))
        rescored = app_session.get(StopRequest, filed.id)
        assert rescored.score == pytest.approx(
            evaluate_site(app_session, site, settings).score.total
        )
        assert rescored.version == 1  # cache, not a change a planner must reload for
    assert app_session.get(StopRequest, rejected.id).score == -1.0


def test_default_settings_score_sessions_without_an_app(session):
    from transitreq.services.analysis.scores import score_due

    add_service_area(session)
    filed_id = file_request(session).id
    assert score_due(session) == 1
    expected = evaluate_site(session, RAILWAY_SQUARE, default_settings().evaluation).score.total
    assert session.get(StopRequest, filed_id).score == pytest.approx(expected)


@pytest.mark.parametrize(
    "path",
    [
        "/api/planner/requests",
        "/api/planner/layers/population?bbox=24.93,60.16,24.95,60.18",
        "/api/planner/layers/coverage-gap?bbox=24.93,60.16,24.95,60.18",
    ],
)
def test_anonymous_callers_get_401_and_other_staff_403(client, app_session, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "login_required"
    log_in(client, app_session, role="department")
    assert client.get(path).status_code == 403


def test_anonymous_visitor_of_the_map_page_is_sent_to_log_in(client):
    response = client.get("/planning/")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_planner_opens_the_map_page(client, planner, queue):
    response = client.get("/planning/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "window.transitreqMap" in html
    assert 'id="queue-table"' in html
    assert "js/planner_map.js" in html


def test_a_district_outside_the_view_matches_nothing(client, planner, queue):
    body = _get(client, district="East", bbox="24.90,60.15,24.92,60.16")
    assert body["total"] == 0
    assert body["rows"] == []
    assert body["features"]["features"] == []
