"""The queue with more requests than the map can show one by one: a page and a count for the
table, and counts per grid cell for the map, the same on both databases, in every quadrant."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from tests.factories import log_in
from transitreq.models import RequestStatus, StopRequest
from transitreq.services.analysis.queue import MAX_MAP_POINTS

# Four places, one per quadrant: Santiago, Sydney, New York, Helsinki.
CENTRES = [(-70.65, -33.45), (151.21, -33.87), (-74.0, 40.71), (24.94, 60.17)]
PER_CENTRE = MAX_MAP_POINTS // 4 + 50


@pytest.fixture
def crowded(app_session):
    """More requests than MAX_MAP_POINTS, tightly around four centres, a tenth of them
    submitted and the rest under review; CJK and markup in their titles."""
    rng = random.Random(7)
    now = datetime.now(UTC)
    rows = []
    for centre_number, (lon, lat) in enumerate(CENTRES):
        for number in range(PER_CENTRE):
            created = now - timedelta(minutes=len(rows))
            rows.append(
                {
                    "title": f"站 <i>{centre_number}</i>-{number}",
                    "description": "Generated.",
                    "served_groups": [],
                    "landmark": "",
                    "location": (
                        f"SRID=4326;POINT({lon + rng.uniform(-0.002, 0.002)} "
                        f"{lat + rng.uniform(-0.002, 0.002)})"
                    ),
                    "status": RequestStatus.SUBMITTED
                    if number % 10 == 0
                    else RequestStatus.UNDER_REVIEW,
                    "notify_progress": False,
                    "created_at": created,
                    "updated_at": created,
                    "version": 1,
                    "score": float(number % 100),
                }
            )
    app_session.execute(insert(StopRequest), rows)
    app_session.commit()
    return rows


def _get(client, **params):
    response = client.get("/api/planner/requests", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def test_many_matches_come_as_counts_per_cell_in_every_quadrant(client, app_session, crowded):
    log_in(client, app_session, role="planner")
    response = _get(client, zoom=3, per_page=20)
    body = response.get_json()
    assert body["total"] == len(crowded) > MAX_MAP_POINTS
    assert body["map"] == "clusters"
    assert len(body["rows"]) == 20
    assert body["pages"] == math.ceil(len(crowded) / 20)
    cells = body["features"]["features"]
    assert sorted(cell["properties"]["count"] for cell in cells) == [PER_CENTRE] * 4
    for lon, lat in CENTRES:
        nearest = min(
            cells,
            key=lambda cell: (
                abs(cell["geometry"]["coordinates"][0] - lon)
                + abs(cell["geometry"]["coordinates"][1] - lat)
            ),
        )
        assert nearest["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=0.002)
    # Only counts and positions: nothing of what residents wrote.
    assert "站" not in json.dumps(body["features"])


def test_a_finer_zoom_splits_cells_and_filters_apply_to_them(client, app_session, crowded):
    log_in(client, app_session, role="planner")
    near_helsinki = "24.93,60.16,24.95,60.18"
    fine = _get(client, zoom=18, bbox=near_helsinki, status="under_review").get_json()
    submitted = PER_CENTRE // 10 + (1 if PER_CENTRE % 10 else 0)
    # Fewer than MAX_MAP_POINTS: each request, with its reference, status and score.
    assert fine["map"] == "points"
    assert fine["total"] == PER_CENTRE - submitted
    assert {feature["properties"]["status"] for feature in fine["features"]["features"]} == {
        "under_review"
    }
    assert all(feature["id"].startswith("SR-") for feature in fine["features"]["features"])


def test_the_last_page_and_the_response_stay_small(client, app_session, crowded):
    log_in(client, app_session, role="planner")
    total = len(crowded)
    last = math.ceil(total / 50)
    response = _get(client, zoom=12, sort="-score", page=last, per_page=50)
    body = response.get_json()
    assert body["page"] == last
    assert len(body["rows"]) == total - 50 * (last - 1)
    assert [row["score"] for row in body["rows"]] == sorted(
        (row["score"] for row in body["rows"]), reverse=True
    )
    # A page of rows and a handful of cells, whatever the city's size.
    assert len(response.get_data()) < 40_000
