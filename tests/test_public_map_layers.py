"""The residents' map layers at a zoom: requests (and stops) counted per grid cell where many,
shown one by one where few; their HTTP caching (ETag, 304) and compression."""

from __future__ import annotations

import gzip
import json
import random
from datetime import UTC, datetime

import brotli
import pytest
from sqlalchemy import insert

from tests.factories import (
    RAILWAY_SQUARE,
    add_service_area,
    file_request,
    log_in,
)
from transitreq.models import RequestStatus, StopRequest
from transitreq.services.requests.filing import support_request

# One city in each quarter of the globe: north-east, south-west, north-west, south-east.
CITIES = {
    "Helsinki": (24.94, 60.17),
    "São Paulo": (-46.63, -23.55),
    "New York": (-73.99, 40.73),
    "Sydney": (151.21, -33.87),
}
HALF_SIDE_DEG = 0.08


def _insert_requests(session, points: list[tuple[float, float]], title: str = "Stop") -> None:
    """Requests straight into the table (filing each would check service areas and score it:
    not what these tests are about)."""
    now = datetime.now(UTC)
    session.execute(
        insert(StopRequest),
        [
            {
                "title": f"{title} {number}",
                "description": "A stop is needed here.",
                "served_groups": ["other"],
                "landmark": "",
                "location": f"SRID=4326;POINT({lon} {lat})",
                "status": RequestStatus.SUBMITTED,
                "notify_progress": False,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for number, (lon, lat) in enumerate(points)
        ],
    )
    session.commit()


def _scatter(centre: tuple[float, float], count: int, half_side: float, seed: int):
    rng = random.Random(seed)
    lon, lat = centre
    return [
        (
            rng.uniform(lon - half_side, lon + half_side),
            rng.uniform(lat - half_side, lat + half_side),
        )
        for _ in range(count)
    ]


def _bbox(centre: tuple[float, float], half_side: float) -> str:
    lon, lat = centre
    return f"{lon - half_side},{lat - half_side},{lon + half_side},{lat + half_side}"


def _inside(point, centre, half_side) -> bool:
    return abs(point[0] - centre[0]) <= half_side and abs(point[1] - centre[1]) <= half_side


@pytest.mark.parametrize("city", CITIES)
def test_bubbles_count_every_request_in_the_box_in_each_quarter_of_the_globe(
    client, app_session, city
):
    centre = CITIES[city]
    points = _scatter(centre, 600, 0.12, seed=len(city))
    _insert_requests(app_session, points)
    half_side = HALF_SIDE_DEG
    expected = sum(_inside(point, centre, half_side) for point in points)

    layer = client.get(f"/api/layers/requests?bbox={_bbox(centre, half_side)}&zoom=12").get_json()

    bubbles = [feature for feature in layer["features"] if feature["properties"].get("cluster")]
    alone = [feature for feature in layer["features"] if not feature["properties"].get("cluster")]
    assert layer["clustered"] is True
    assert layer["total"] == expected
    assert sum(feature["properties"]["count"] for feature in bubbles) + len(alone) == expected
    # Far fewer features than requests, each bubble of several, drawn inside the box its
    # requests span, which lies in the box asked for.
    assert len(layer["features"]) < expected / 2
    for bubble in bubbles:
        west, south, east, north = bubble["properties"]["bounds"]
        lon, lat = bubble["geometry"]["coordinates"]
        assert bubble["properties"]["count"] >= 2
        assert west - 1e-4 <= lon <= east + 1e-4 and south - 1e-4 <= lat <= north + 1e-4
        assert _inside((west, south), centre, half_side + 1e-4)
        assert _inside((east, north), centre, half_side + 1e-4)
    for request in alone:
        assert request["properties"]["title"].startswith("Stop ")
        assert request["id"].startswith("SR-")


def test_requests_are_shown_one_by_one_when_zoomed_in_to_the_streets(client, app_session):
    add_service_area(app_session)
    markup = "<img src=x onerror=alert(1)> 公交站 {{ 7*7 }}"
    filed = file_request(app_session, title=markup)
    _insert_requests(app_session, _scatter((RAILWAY_SQUARE.x, RAILWAY_SQUARE.y), 40, 0.003, 1))

    layer = client.get(
        f"/api/layers/requests?bbox={_bbox((RAILWAY_SQUARE.x, RAILWAY_SQUARE.y), 0.004)}&zoom=17"
    ).get_json()

    assert layer["clustered"] is False
    assert layer["total"] == len(layer["features"]) == 41
    mine = next(feature for feature in layer["features"] if feature["id"] == filed.reference)
    # Data, as typed: the map script sets it as text.
    assert mine["properties"]["title"] == markup
    assert mine["properties"]["status_label"]
    # Rounded to what zoom 17 shows (a pixel is about 1e-5 degrees).
    lon, lat = mine["geometry"]["coordinates"]
    assert lon == round(RAILWAY_SQUARE.x, 5) and lat == round(RAILWAY_SQUARE.y, 5)


def test_a_whole_city_at_city_zoom_answers_the_same_few_features_whatever_its_size(
    client, app_session
):
    centre = CITIES["Helsinki"]
    box = _bbox(centre, HALF_SIDE_DEG)
    _insert_requests(app_session, _scatter(centre, 300, 0.07, seed=3))
    small = client.get(f"/api/layers/requests?bbox={box}&zoom=12").get_json()
    _insert_requests(app_session, _scatter(centre, 3000, 0.07, seed=4))
    large = client.get(f"/api/layers/requests?bbox={box}&zoom=12").get_json()

    assert (small["total"], large["total"]) == (300, 3300)
    # The grid at zoom 12 over this box has about 15 × 9 cells: the answer is bounded by them.
    assert len(large["features"]) <= 16 * 10
    assert len(json.dumps(large)) < 40_000


def test_stops_are_counted_per_cell_too(client, app_session):
    from transitreq.models import Stop

    centre = CITIES["Sydney"]
    points = _scatter(centre, 120, 0.05, seed=9)
    app_session.add_all(
        Stop(
            feed="test",
            gtfs_stop_id=str(number),
            name=f"Stop {number}",
            location=f"SRID=4326;POINT({lon} {lat})",
        )
        for number, (lon, lat) in enumerate(points)
    )
    app_session.commit()

    layer = client.get(f"/api/layers/stops?bbox={_bbox(centre, 0.06)}&zoom=11").get_json()

    counted = sum(
        feature["properties"]["count"] if feature["properties"].get("cluster") else 1
        for feature in layer["features"]
    )
    assert counted == layer["total"] == 120
    assert layer["clustered"] is True


@pytest.mark.parametrize(
    "bbox", ["179.5,-17.5,180,-16.5", "-180,-17.5,-179.5,-16.5", "-180,-90,180,90"]
)
def test_boxes_at_the_antimeridian_and_the_whole_globe_answer_without_failing(
    client, app_session, bbox
):
    _insert_requests(app_session, [(179.9, -17.0), (-179.9, -17.0), (0.0, 0.0)])
    for layer in ("requests", "stops", "routes", "new-stops"):
        response = client.get(f"/api/layers/{layer}?bbox={bbox}&zoom=3")
        assert response.status_code == 200, (layer, response.get_data(as_text=True))
    requests_layer = client.get(f"/api/layers/requests?bbox={bbox}&zoom=3").get_json()
    assert requests_layer["total"] == (3 if bbox.startswith("-180,-90") else 1)


@pytest.mark.parametrize("zoom", ["20", "-1", "abc", "1.5", "１２", "999999999999"])
def test_a_zoom_that_is_not_one_names_the_field(client, zoom):
    for layer in ("requests", "stops", "routes", "new-stops"):
        response = client.get(f"/api/layers/{layer}?bbox=24.9,60.1,25,60.2&zoom={zoom}")
        assert response.status_code == 422
        assert response.get_json()["error"]["field"] == "zoom"


def test_layers_are_not_sent_again_until_their_data_changes(client, app_session):
    add_service_area(app_session)
    filed = file_request(app_session)
    url = "/api/layers/requests?bbox=24.9,60.15,24.98,60.19&zoom=14"

    first = client.get(url)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert first.headers["Cache-Control"] == "public, no-cache"
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag

    # Another zoom, another language, another answer.
    assert client.get(url.replace("zoom=14", "zoom=15")).headers["ETag"] != etag
    chinese = client.get(url, headers={"Accept-Language": "zh-CN"})
    assert chinese.headers["ETag"] != etag

    # A supporter more changes the layer (its count is in the features).
    support_request(app_session, filed.reference, "someone@example.org", "")
    supported = client.get(url, headers={"If-None-Match": etag})
    assert supported.status_code == 200
    assert supported.get_json()["features"][0]["properties"]["supporters"] == 1
    # So does a new request.
    etag = supported.headers["ETag"]
    file_request(app_session, title="Another stop")
    refiled = client.get(url, headers={"If-None-Match": etag})
    assert refiled.status_code == 200
    assert refiled.get_json()["total"] == 2


def test_feed_layers_may_be_kept_for_minutes_and_errors_are_not_tagged(client, app_session):
    routes = client.get("/api/layers/routes?bbox=24.9,60.15,24.98,60.19&zoom=13")
    assert routes.headers["Cache-Control"] == "public, max-age=300"
    assert routes.headers["ETag"]
    bad = client.get("/api/layers/routes?bbox=24.9,60.15,24.98&zoom=13")
    assert bad.status_code == 422
    assert "ETag" not in bad.headers


@pytest.mark.parametrize(
    ("encoding", "decode"), [("br", brotli.decompress), ("gzip", gzip.decompress)]
)
def test_compressed_layers_and_pages_decode_to_the_same_answer(
    client, app_session, encoding, decode
):
    centre = CITIES["Helsinki"]
    _insert_requests(app_session, _scatter(centre, 500, 0.07, seed=5))
    url = f"/api/layers/requests?bbox={_bbox(centre, HALF_SIDE_DEG)}&zoom=13"

    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": encoding})

    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert json.loads(decode(packed.data)) == plain.get_json()
    assert len(packed.data) < len(plain.data) / 3
    # A page carries the CSRF token beside what the visitor typed: never compressed (BREACH).
    page = client.get("/", headers={"Accept-Encoding": encoding})
    assert "Content-Encoding" not in page.headers
    assert page.get_data(as_text=True).count('id="request-form"') == 1
    # Static files stream: compressed as they stream, with brotli only.
    script = client.get("/static/js/map_core.js", headers={"Accept-Encoding": encoding})
    plain_script = client.get("/static/js/map_core.js").data
    if encoding == "br":
        assert script.headers["Content-Encoding"] == "br"
        assert brotli.decompress(script.data) == plain_script
    else:
        assert "Content-Encoding" not in script.headers and script.data == plain_script

    # A 304 carries nothing to compress; a tiny answer is sent as it is.
    unchanged = client.get(
        url, headers={"Accept-Encoding": encoding, "If-None-Match": packed.headers["ETag"]}
    )
    assert unchanged.status_code == 304
    assert unchanged.data == b"" and "Content-Encoding" not in unchanged.headers
    tiny = client.get(
        "/api/layers/requests?bbox=0,0,0.001,0.001&zoom=13", headers={"Accept-Encoding": encoding}
    )
    assert len(tiny.data) < 1024 and "Content-Encoding" not in tiny.headers
    assert tiny.get_json()["total"] == 0


def test_a_compressed_export_downloads_the_same_file(client, app_session):
    add_service_area(app_session)
    for number in range(30):
        file_request(app_session, title=f"Stop at the corner {number}")
    log_in(client, app_session)

    plain = client.get("/planning/exports/requests.csv")
    packed = client.get("/planning/exports/requests.csv", headers={"Accept-Encoding": "gzip"})

    assert plain.status_code == packed.status_code == 200
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert packed.headers["Content-Disposition"] == plain.headers["Content-Disposition"]


def test_two_workers_give_the_same_tag_and_see_each_others_changes(
    client, app_session, database_url, tmp_path
):
    """gunicorn runs several processes: the tag comes from the database, not from a worker's
    memory, so every worker agrees, and a change made through one is seen by the others."""
    from transitreq import create_app

    add_service_area(app_session)
    file_request(app_session)
    other_worker = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "tests-only-secret",
            "TILE_URL": "",
            "RATELIMIT_ENABLED": False,
        },
        instance_path=str(tmp_path / "other-worker"),
    )
    url = "/api/layers/requests?bbox=24.9,60.15,24.98,60.19&zoom=13"
    try:
        other = other_worker.test_client()
        etag = client.get(url).headers["ETag"]
        assert other.get(url).headers["ETag"] == etag
        assert other.get(url, headers={"If-None-Match": etag}).status_code == 304

        file_request(app_session, title="Filed through the first worker")
        changed = other.get(url, headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.get_json()["total"] == 2
    finally:
        other_worker.extensions["transitreq.engine"].dispose()
