"""Residents find a place by name (GET /api/places): stops, landmarks and service areas from our
own data, accents, case and punctuation ignored, Chinese found by any run of its characters,
platforms of one stop as one place, ranked, and kept in step with every change of its sources.
"""

from __future__ import annotations

import json

import pytest
from shapely.geometry import Point
from sqlalchemy import func, select, text

from tests.factories import (
    RAILWAY_SQUARE,
    add_service_area,
    add_user,
    file_request,
    geodesic_m,
    offset,
)
from tests.gtfs_feeds import SPO_ZIP, STOPS, zip_feed
from tests.reference_data import read_stops
from transitreq.backends import backend_of
from transitreq.errors import ImportFailed
from transitreq.geo.places import starting_with_statement
from transitreq.importers.areas import import_service_areas
from transitreq.importers.demo_city import seed_demo_city
from transitreq.importers.gtfs import import_gtfs
from transitreq.models import PlaceName
from transitreq.services.places.search import MAX_QUERY_CHARS, search_places
from transitreq.services.requests import decisions

# Four platforms of one stop around the square, 40 m out in each direction.
PLATFORMS = [offset(RAILWAY_SQUARE, bearing, 40) for bearing in (0, 90, 180, 270)]
NEAR_WEST = Point(24.91, 60.16)
NEAR_EAST = Point(24.97, 60.185)
PEOPLES_PARK = Point(24.95, 60.165)
# Named places of the test feed: (stop_id, name, point); all but the last lie in the area.
NAMED_STOPS = [
    *((f"RT{number}", "Rautatientori", point) for number, point in enumerate(PLATFORMS, 1)),
    ("TT", "Töölön tori", Point(24.9235, 60.1795)),
    ("KN", "Kaisaniemi", Point(24.9460, 60.1750)),
    ("VT", "Vanha tori", Point(24.9540, 60.1670)),
    ("TK1", "Torikatu", NEAR_WEST),
    ("TK2", "Torikatu", NEAR_EAST),
    ("RM", "人民公园", PEOPLES_PARK),
    ("BJ", "滨江路站", Point(24.96, 60.16)),
    ("OUT", "Torikortteli", Point(23.8, 61.5)),
]


def _stops_file(named=NAMED_STOPS) -> list[list[str]]:
    rows = [list(row) for row in STOPS]
    for stop_id, name, point in named:
        rows.append([stop_id, "", name, f"{point.y:.7f}", f"{point.x:.7f}", ""])
    return rows


def _import_city(session, tmp_path, named=NAMED_STOPS, feed="city"):
    archive = zip_feed(tmp_path, {"stops.txt": _stops_file(named)}, name=f"{feed}.zip")
    return import_gtfs(session, archive, feed)


def _places(client, query: str, **parameters) -> list[dict]:
    response = client.get("/api/places", query_string={"q": query, **parameters})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["places"]


def _names(client, query: str, **parameters) -> list[str]:
    return [place["name"] for place in _places(client, query, **parameters)]


@pytest.fixture
def city(app_session, tmp_path):
    add_service_area(app_session)
    _import_city(app_session, tmp_path)
    return app_session


def test_accents_case_and_punctuation_are_ignored(client, city):
    assert _names(client, "toolon tori") == ["Töölön tori"]
    assert _names(client, "TÖÖLÖN") == ["Töölön tori"]
    assert _names(client, "töölön-tori!") == ["Töölön tori"]
    assert _names(client, "kaisa") == ["Kaisaniemi"]
    # Full-width Latin letters, as a Chinese input method may type them, are the same letters.
    assert _names(client, "ＫＡＩＳＡ") == ["Kaisaniemi"]


def test_chinese_names_are_found_by_any_run_of_their_characters(client, city):
    file_request(city, landmark="人民公园东门", point=offset(PEOPLES_PARK, 90, 120))
    near = f"{PEOPLES_PARK.y},{PEOPLES_PARK.x}"

    assert _names(client, "人民", near=near) == ["人民公园", "人民公园东门"]
    # One character is enough, wherever it stands in the name.
    assert _names(client, "园", near=near) == ["人民公园", "人民公园东门"]
    assert _names(client, "东门") == ["人民公园东门"]
    assert _names(client, "路站") == ["滨江路站"]
    assert _names(client, "滨江") == ["滨江路站"]
    found = _places(client, "人民公园")[0]
    assert (found["name"], found["kind"]) == ("人民公园", "stop")
    assert geodesic_m(Point(found["lon"], found["lat"]), PEOPLES_PARK) < 0.1


def test_platforms_of_one_stop_come_as_one_place_at_their_centroid(client, city):
    file_request(city, landmark="Rautatientori", point=offset(RAILWAY_SQUARE, 45, 60))

    found = _places(client, "rautatientori")

    # The four platforms, and the landmark a resident named after them beside them: one place.
    assert len(found) == 1
    assert (found[0]["name"], found[0]["kind"]) == ("Rautatientori", "stop")
    centroid = Point(
        sum(point.x for point in PLATFORMS) / 4, sum(point.y for point in PLATFORMS) / 4
    )
    assert geodesic_m(Point(found[0]["lon"], found[0]["lat"]), centroid) < 0.1
    # Same-named stops far apart are different places.
    assert _names(client, "torikatu") == ["Torikatu", "Torikatu"]


def test_ranked_inside_first_then_by_match_then_nearest(client, city):
    """Inside the area before outside; exact, then prefix, then word start, then anywhere in a
    name; nearer to ``near`` first among equals."""
    west = f"{NEAR_WEST.y},{NEAR_WEST.x}"
    east = f"{NEAR_EAST.y},{NEAR_EAST.x}"

    from_west = _places(client, "tori", near=west)
    from_east = _places(client, "tori", near=east)

    assert [place["name"] for place in from_west] == [
        "Torikatu",  # starts with "tori", 0 km from the west
        "Torikatu",  # the same name 4 km away
        "Töölön tori",  # "tori" starts a word, 2.2 km from the west
        "Vanha tori",  # and 2.6 km
        "Rautatientori",  # "tori" inside a word
        "Torikortteli",  # starts with "tori", but outside the service area
    ]
    assert geodesic_m(Point(from_west[0]["lon"], from_west[0]["lat"]), NEAR_WEST) < 1
    assert geodesic_m(Point(from_east[0]["lon"], from_east[0]["lat"]), NEAR_EAST) < 1
    assert [place["name"] for place in from_east][2:4] == ["Vanha tori", "Töölön tori"]
    assert [place["inside_service_area"] for place in from_west] == [True] * 5 + [False]
    # The exact name before longer ones starting with it.
    file_request(city, landmark="Kaisaniemi park gate", point=NEAR_WEST)
    assert _names(client, "kaisaniemi", near=west) == ["Kaisaniemi", "Kaisaniemi park gate"]


def test_limit_caps_the_list(client, city):
    assert len(_places(client, "tori", limit=2)) == 2
    assert len(_places(client, "tori")) == 6


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "!?…"}, "q"),
        ({"q": "x" * (MAX_QUERY_CHARS + 1)}, "q"),
        ({"q": "tori", "limit": "0"}, "limit"),
        ({"q": "tori", "limit": "21"}, "limit"),
        ({"q": "tori", "limit": "ten"}, "limit"),
        ({"q": "tori", "limit": "9" * 5000}, "limit"),
        ({"q": "tori", "near": "by the station"}, "near"),
        ({"q": "tori", "near": "95,24.9"}, "near"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(client, city, query, field):
    response = client.get("/api/places", query_string=query)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["field"] == field, error
    assert error["message"]


def test_swapped_near_says_so(client, city):
    response = client.get("/api/places?q=tori&near=95,24.9")
    assert response.get_json()["error"]["code"] == "swapped_coordinates"
    assert "24.9, 95" in response.get_json()["error"]["message"]


def test_sao_paulo_names_are_found_without_their_accents(client, app_session):
    add_service_area(app_session, Point(-46.64, -23.53).buffer(0.08), "Centro")
    import_gtfs(app_session, SPO_ZIP, "spo")

    assert _names(client, "consolacao")[0] == "Consolação"
    assert _names(client, "SÃO BENTO")[0] == "São Bento"
    # "são" starts a word in "Jardim São Paulo-ayrton Senna", after the names starting with it.
    found = _names(client, "sao", limit=20)
    assert found.index("Jardim São Paulo-ayrton Senna") > found.index("São Bento")


def test_prefix_search_reads_the_index(city, backend):
    statement = starting_with_statement(backend_of(city), "tori", RAILWAY_SQUARE, 40)
    dialect = city.get_bind().dialect
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if backend == "postgis":
        city.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(row[0] for row in city.execute(text(f"EXPLAIN {sql}")))
    else:
        plan = "\n".join(row[-1] for row in city.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    city.rollback()
    assert "ix_place_names_normalised_name" in plan, plan


# --- kept in step with the sources ------------------------------------------------------------


def test_reimporting_a_feed_replaces_its_names_and_no_other(client, city, tmp_path):
    _import_city(city, tmp_path, [("K", "Kumpula", NEAR_EAST)], feed="other")
    renamed = [
        (stop_id, "Kaisaniemenranta" if name == "Kaisaniemi" else name, point)
        for stop_id, name, point in NAMED_STOPS
    ]
    _import_city(city, tmp_path / "again", renamed)

    assert _names(client, "kaisaniemi") == []
    assert _names(client, "kaisaniemenranta") == ["Kaisaniemenranta"]
    assert _names(client, "kumpula") == ["Kumpula"]


def test_a_refused_import_leaves_the_names_as_they_were(client, city, tmp_path):
    before = _names(client, "tori")
    broken = _stops_file([("KN", "Kaisaniemenranta", Point(24.946, 60.175))])
    broken[2][3] = "north"  # a platform trips call at, its latitude not a number
    archive = zip_feed(tmp_path / "broken", {"stops.txt": broken}, name="city.zip")
    with pytest.raises(ImportFailed):
        import_gtfs(city, archive, "city")

    assert _names(client, "tori") == before
    assert _names(client, "kaisaniemenranta") == []


def test_a_filed_request_makes_its_landmark_findable_at_its_pin(client, app_session):
    add_service_area(app_session)
    pin = offset(RAILWAY_SQUARE, 200, 300)
    body = {
        "title": "Stop by the library",
        "description": "The library has no stop within 700 m.",
        "served_groups": ["elderly"],
        "landmark": "Oodi library gate",
        "lat": pin.y,
        "lon": pin.x,
    }
    filed = client.post("/api/requests", data=json.dumps(body), content_type="application/json")
    assert filed.status_code == 201

    found = _places(client, "library")
    assert [(place["name"], place["kind"]) for place in found] == [
        ("Oodi library gate", "landmark")
    ]
    assert geodesic_m(Point(found[0]["lon"], found[0]["lat"]), pin) < 0.1


def test_merging_a_request_takes_its_landmark_away_and_rejecting_does_not(client, app_session):
    add_service_area(app_session)
    planner = add_user(app_session, "planner")
    kept = file_request(app_session, landmark="Hakaniemi market hall")
    merged = file_request(app_session, landmark="Hakaniemi halli", point=NEAR_EAST)
    rejected = file_request(app_session, landmark="Hakaniemi bridge", point=NEAR_WEST)

    decisions.merge(app_session, merged.reference, merged.version, planner, kept.reference)
    decisions.reject(app_session, rejected.reference, rejected.version, planner, "low_demand")

    assert sorted(_names(client, "hakaniemi")) == ["Hakaniemi bridge", "Hakaniemi market hall"]


def test_importing_service_areas_makes_them_findable(client, app_session, tmp_path):
    add_service_area(app_session)
    areas = tmp_path / "districts.geojson"
    kallio = {
        "type": "Feature",
        "properties": {"name": "Kallio"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[24.94, 60.18], [24.96, 60.18], [24.96, 60.19], [24.94, 60.18]]],
        },
    }
    areas.write_text(json.dumps({"type": "FeatureCollection", "features": [kallio]}))
    import_service_areas(app_session, areas)

    found = _places(client, "kallio")
    assert [(place["name"], place["kind"]) for place in found] == [("Kallio", "area")]
    assert found[0]["inside_service_area"] is True
    assert _names(client, "central helsinki") == ["Central Helsinki"]


@pytest.mark.demo_city
def test_the_demo_city_is_searchable_and_seeding_again_adds_no_names(session):
    count = session.scalar(select(func.count(PlaceName.id)))
    seed_demo_city(session)

    assert session.scalar(select(func.count(PlaceName.id))) == count
    kinds = dict(
        session.execute(select(PlaceName.kind, func.count()).group_by(PlaceName.kind)).all()
    )
    # The demo's streets add its river and its footbridge.
    assert set(kinds) == {"stop", "area", "landmark", "street", "place"}
    assert search_places(session, "riverbend")[0].kind == "area"


# --- the real Helsinki feed -------------------------------------------------------------------


def test_helsinki_platforms_fold_into_one_stop_each(helsinki_session):
    """The 14 platforms named Rautatientori in the HSL feed are one place, at their centroid
    as read from stops.txt independently of the importer."""
    platforms = [stop.point for stop in read_stops() if stop.name == "Rautatientori"]
    centroid = Point(
        sum(point.x for point in platforms) / len(platforms),
        sum(point.y for point in platforms) / len(platforms),
    )

    found = search_places(helsinki_session, "rautatientori")

    assert len(platforms) == 14
    assert [place.name for place in found].count("Rautatientori") == 1
    first = found[0]
    assert (first.name, first.kind) == ("Rautatientori", "stop")
    assert geodesic_m(Point(first.lon, first.lat), centroid) < 0.5
    # Prefix matches first: the railway station's names before "Pohj. Rautatiekatu".
    names = [place.name for place in search_places(helsinki_session, "rautatie")]
    assert names.index("Pohj. Rautatiekatu") > names.index("Rautatientori")
