"""Exports never alter a number or an identifier, anywhere on Earth.

Pins the bug where the spreadsheet formula guard put an apostrophe before every cell starting
with ``-``: south of the equator and west of Greenwich every coordinate does, so ``stops.txt``
carried ``'-30.034600,'-51.217700``, was not valid GTFS, and our own ``import-gtfs`` refused the
operator's feed once our stops were merged into it; ``requests.csv`` and ``projects.csv`` had
their coordinates altered too, and stops named ``-…`` or ``@…`` lost their names.

Residents file requests in four cities, one in each quadrant of the globe, planners approve some
into stop projects, and every export is downloaded through the real endpoints, read back and
compared with the database; the GTFS fragment is merged into São Paulo's published feed and
imported again with our own importer. On SpatiaLite and on PostGIS.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from geoalchemy2.shape import to_shape
from shapely.geometry import box, shape
from sqlalchemy import select

from tests.factories import add_route, add_service_area, add_user, log_in, take_to_stage
from tests.gtfs_feeds import SPO_ZIP, feed_rows
from transitreq.importers.gtfs import import_gtfs
from transitreq.models import Stop, StopProject, StopRequest
from transitreq.services.requests import decisions

EXPORTS = "/planning/exports"
MERGED_FEED = "spo-with-new-stops"


@dataclass(frozen=True)
class City:
    name: str
    lat: float
    lon: float


# One city in each quadrant: north-east, south-west, north-west, south-east.
CITIES = (
    City("Helsinki", 60.1699, 24.9384),
    City("Porto Alegre", -30.0346, -51.2177),
    City("Vancouver", 49.2827, -123.1207),
    City("Sydney", -33.8688, 151.2093),
)
# What residents of each city typed, and how a spreadsheet cell must show it: an apostrophe only
# where a formula could start (at the start, or after a separator a spreadsheet may split at).
# The stage the planners take the request's project to; None leaves the request unapproved.
TITLES = {
    "Helsinki": (
        ("-30 m from the tram stop, please", "'-30 m from the tram stop, please", "approved"),
        ("@Kauppatori ferry pier", "'@Kauppatori ferry pier", "site_survey"),
        ("ヘルシンキ中央駅 北口", "ヘルシンキ中央駅 北口", "in_service"),
        ("Mannerheimintie - Kaivokatu corner", "Mannerheimintie - Kaivokatu corner", None),
        ("Kerb by the bay;-2 steps down", "Kerb by the bay;'-2 steps down", None),
        ("Töölönlahti, pin from the map", "Töölönlahti, pin from the map", "approved"),
    ),
    "Porto Alegre": (
        ("-Rua da Praia, -30.0346", "'-Rua da Praia, '-30.0346", "approved"),
        ("@Mercado Público", "'@Mercado Público", "site_survey"),
        ("阿雷格里港 市场站", "阿雷格里港 市场站", "in_service"),
        ("Av. Borges de Medeiros - Centro", "Av. Borges de Medeiros - Centro", None),
        ("Praça XV|+1 abrigo", "Praça XV|'+1 abrigo", None),
        ("Usina do Gasômetro (pino no mapa)", "Usina do Gasômetro (pino no mapa)", "approved"),
    ),
    "Vancouver": (
        ("-Granville & Robson", "'-Granville & Robson", "approved"),
        ("@Waterfront Station east", "'@Waterfront Station east", "site_survey"),
        ("溫哥華 唐人街站", "溫哥華 唐人街站", "in_service"),
        ("Main St - Terminal Ave", "Main St - Terminal Ave", None),
        ("Stanley Park, =HYPERLINK(1)", "Stanley Park, '=HYPERLINK(1)", None),
        ("Gastown steam clock (map pin)", "Gastown steam clock (map pin)", "approved"),
    ),
    "Sydney": (
        ("-33.87 Circular Quay wharf 6", "'-33.87 Circular Quay wharf 6", "approved"),
        ("@Town Hall, George St", "'@Town Hall, George St", "site_survey"),
        ("悉尼 中央車站 東口", "悉尼 中央車站 東口", "in_service"),
        ("Oxford St - Taylor Sq", "Oxford St - Taylor Sq", None),
        ("Hyde Park; @night stop", "Hyde Park; '@night stop", None),
        ("Bondi Junction (map pin)", "Bondi Junction (map pin)", "approved"),
    ),
}
SPREADSHEET_CELL = {title: cell for titles in TITLES.values() for title, cell, _ in titles}
# Where each request's pin goes, north and east of the city centre in degrees. The first five
# are typed to four decimals; the last is dropped on the map, which gives seven.
PIN_OFFSETS = (
    (0.0031, -0.0042),
    (-0.0057, 0.0018),
    (0.0123, 0.0076),
    (-0.0008, -0.0111),
    (0.0064, 0.0029),
    (-0.0041234, 0.0029876),
)
MAP_DECIMALS = 7
# The spreadsheet and GTFS files give degrees to six decimals (about 10 cm).
FILE_DECIMALS = 6


@dataclass
class World:
    # Request reference → the city it was filed in.
    city_of: dict[str, str]
    project_ids: list[int]


def _file_through_the_api(client, city: City, title: str, lat: float, lon: float) -> str:
    body = {
        "title": title,
        "description": f"No stop within 600 m in {city.name}.",
        "served_groups": ["elderly"],
        "landmark": f"{city.name} centre",
        "lat": lat,
        "lon": lon,
        "reporter_name": "Private Resident",
        "reporter_contact": "private.resident@example.org",
    }
    response = client.post(
        "/api/requests", data=json.dumps(body, ensure_ascii=False), content_type="application/json"
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["reference"]


@pytest.fixture
def world(client, app_session) -> World:
    """Six requests in each of four cities, four of each city's approved into projects."""
    planner = add_user(app_session, "planner")
    add_route(app_session)
    city_of, project_ids = {}, []
    for city in CITIES:
        add_service_area(
            app_session,
            box(city.lon - 0.05, city.lat - 0.05, city.lon + 0.05, city.lat + 0.05),
            city.name,
        )
        for (title, _, stage), (north, east) in zip(TITLES[city.name], PIN_OFFSETS, strict=True):
            lat, lon = round(city.lat + north, MAP_DECIMALS), round(city.lon + east, MAP_DECIMALS)
            reference = _file_through_the_api(client, city, title, lat, lon)
            city_of[reference] = city.name
            stop_request = app_session.scalars(
                select(StopRequest).where(StopRequest.title == title)
            ).one()
            pin = to_shape(stop_request.location)
            assert (pin.y, pin.x) == (lat, lon)
            if stage is None:
                continue
            project = decisions.approve(
                app_session,
                reference,
                stop_request.version,
                planner,
                to_shape(stop_request.location),
            )
            take_to_stage(app_session, project, planner, stage)
            project_ids.append(project.id)
    return World(city_of, project_ids)


def _download(client, path: str) -> bytes:
    response = client.get(f"{EXPORTS}/{path}")
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    return response.get_data()


def _spreadsheet_rows(client, path: str) -> list[dict[str, str]]:
    text = _download(client, path).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _stored_requests(session) -> dict[str, StopRequest]:
    session.expire_all()
    return {request.reference: request for request in session.scalars(select(StopRequest))}


def _stored_projects(session) -> dict[int, StopProject]:
    session.expire_all()
    return {project.id: project for project in session.scalars(select(StopProject))}


def _as_filed(lat: str, lon: str) -> tuple[float, float]:
    """A position as a file gives it: two numbers, or a ValueError if a cell is not one."""
    return float(lat), float(lon)


def _in_file_decimals(point) -> tuple[float, float]:
    """The stored position to the six decimals the files give: the very number stored for a pin
    typed to four decimals, and a map's seven-decimal pin rounded to the nearest 10 cm."""
    return round(point.y, FILE_DECIMALS), round(point.x, FILE_DECIMALS)


def _signs(rows: list[dict[str, str]]) -> set[tuple[str, str]]:
    """The hemispheres of the exported positions, read from the text of their cells."""
    return {
        ("S" if row["lat"].startswith("-") else "N", "W" if row["lon"].startswith("-") else "E")
        for row in rows
    }


ALL_QUADRANTS = {("N", "E"), ("S", "W"), ("N", "W"), ("S", "E")}


def test_requests_csv_keeps_every_coordinate_reference_and_id_as_stored(client, app_session, world):
    log_in(client, app_session)
    rows = _spreadsheet_rows(client, "requests.csv")
    stored = _stored_requests(app_session)
    assert sorted(row["reference"] for row in rows) == sorted(stored) == sorted(world.city_of)
    for row in rows:
        stop_request = stored[row["reference"]]
        pin = to_shape(stop_request.location)
        assert _as_filed(row["lat"], row["lon"]) == _in_file_decimals(pin), row
        assert row["project_id"] == (
            str(stop_request.project_id) if stop_request.project_id else ""
        )
        assert row["tracking_url"] == f"http://transitreq.test/requests/{stop_request.reference}"
        assert row["district"] == world.city_of[stop_request.reference]
        assert int(row["supporters"]) == stop_request.supporter_count
        if stop_request.score is None:
            assert row["score"] == ""
        else:
            assert float(row["score"]) == pytest.approx(stop_request.score)
        # Text residents typed is guarded only where a formula could start.
        assert row["title"] == SPREADSHEET_CELL[stop_request.title]
    assert _signs(rows) == ALL_QUADRANTS


def test_projects_csv_keeps_every_coordinate_stop_id_and_reference_as_stored(
    client, app_session, world
):
    log_in(client, app_session)
    rows = _spreadsheet_rows(client, "projects.csv")
    stored = _stored_projects(app_session)
    assert [int(row["id"]) for row in rows] == sorted(stored) == sorted(world.project_ids)
    for row in rows:
        project = stored[int(row["id"])]
        site = to_shape(project.location)
        assert _as_filed(row["lat"], row["lon"]) == _in_file_decimals(site), row
        assert row["stop_id"] == f"TRQ-{project.id}"
        assert row["stage"] == project.status.value
        assert row["request_references"] == "; ".join(r.reference for r in project.requests)
        assert row["launch_routes"] == "; ".join(project.launch_routes or ())
        assert row["name"] == SPREADSHEET_CELL[project.name]
    assert {row["stage"] for row in rows} == {"approved", "site_survey", "in_service"}
    assert _signs(rows) == ALL_QUADRANTS


def test_geojson_exports_place_every_request_and_project_at_its_stored_site(
    client, app_session, world
):
    log_in(client, app_session)
    requests = json.loads(_download(client, "requests.geojson"))["features"]
    stored_requests = _stored_requests(app_session)
    assert sorted(feature["id"] for feature in requests) == sorted(stored_requests)
    for feature in requests:
        stop_request = stored_requests[feature["id"]]
        pin = to_shape(stop_request.location)
        lon, lat = feature["geometry"]["coordinates"]
        assert abs(lon - pin.x) <= 1e-6 and abs(lat - pin.y) <= 1e-6, feature
        # GeoJSON is read by programs: titles are exactly what residents wrote.
        assert feature["properties"]["title"] == stop_request.title
        assert feature["properties"]["project_id"] == stop_request.project_id

    projects = json.loads(_download(client, "projects.geojson"))["features"]
    stored_projects = _stored_projects(app_session)
    assert sorted(feature["id"] for feature in projects) == sorted(stored_projects)
    for feature in projects:
        project = stored_projects[feature["id"]]
        assert shape(feature["geometry"]).distance(to_shape(project.location)) <= 1e-6
        assert feature["properties"]["name"] == project.name
        assert feature["properties"]["stop_id"] == f"TRQ-{project.id}"
        assert feature["properties"]["request_references"] == [
            r.reference for r in project.requests
        ]
    hemispheres = {
        (lat < 0, lon < 0)
        for feature in requests + projects
        for lon, lat in [feature["geometry"]["coordinates"]]
    }
    assert len(hemispheres) == 4


def merge_stops(source: Path, fragment: str, destination: Path) -> tuple[Path, int]:
    """An operator's feed with our stops appended to its stops.txt, as a GTFS merge does it: the
    feed's own columns in its order, then those of ours it lacks (blank on its own rows), each of
    our values under its column's name; every other file copied unchanged.

    Returns the merged feed and the row (the header is row 1) of our first stop in stops.txt.
    """
    ours = csv.DictReader(io.StringIO(fragment, newline=""))
    our_rows = list(ours)
    with zipfile.ZipFile(source) as feed:
        with feed.open("stops.txt") as raw:
            theirs = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
            their_rows = list(theirs)
            columns = list(theirs.fieldnames)
        columns += [column for column in ours.fieldnames if column not in columns]
        merged = io.StringIO()
        writer = csv.DictWriter(merged, columns, restval="", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(their_rows + our_rows)
        with zipfile.ZipFile(destination, "w") as out:
            for member in feed.namelist():
                if member == "stops.txt":
                    out.writestr(member, merged.getvalue().encode("utf-8"))
                else:
                    out.writestr(member, feed.read(member))
    return destination, len(their_rows) + 2


def test_new_stops_merged_into_a_published_feed_import_again_exactly_as_stored(
    client, app_session, world, tmp_path
):
    """The operator's merge of our stops.txt into São Paulo's feed as published, imported by our
    own importer: every stop of ours is there, with its stop_id, its name as stored (``-…``,
    ``@…``, CJK) and its position, and the report says nothing about our rows."""
    log_in(client, app_session)
    fragment = _download(client, "stops.txt").decode("utf-8")
    stored = _stored_projects(app_session)
    ours = {f"TRQ-{project_id}": project for project_id, project in stored.items()}
    # The fragment itself holds each stop as stored: its name, and its site to six decimals.
    assert {
        row["stop_id"]: (row["stop_name"], _as_filed(row["stop_lat"], row["stop_lon"]))
        for row in csv.DictReader(io.StringIO(fragment, newline=""))
    } == {
        stop_id: (project.name, _in_file_decimals(to_shape(project.location)))
        for stop_id, project in ours.items()
    }
    merged, first_row_of_ours = merge_stops(SPO_ZIP, fragment, tmp_path / "spo-merged.zip")

    summary = import_gtfs(app_session, merged, MERGED_FEED)

    assert summary.stops == len(feed_rows(SPO_ZIP, "stops.txt")) + len(ours)
    imported = {
        stop.gtfs_stop_id: stop
        for stop in app_session.scalars(
            select(Stop).where(Stop.feed == MERGED_FEED, Stop.gtfs_stop_id.in_(list(ours)))
        )
    }
    assert imported.keys() == ours.keys()
    for stop_id, project in ours.items():
        site, stop = to_shape(project.location), imported[stop_id]
        assert stop.name == project.name
        position = to_shape(stop.location)
        assert abs(position.x - site.x) <= 1e-6 and abs(position.y - site.y) <= 1e-6, stop_id
    names = {stop.name for stop in imported.values()}
    assert {name[:1] for name in names} >= {"-", "@"}
    assert any("\u3040" <= character <= "\u9fff" for name in names for character in name)
    positions = [to_shape(stop.location) for stop in imported.values()]
    assert {(p.y < 0, p.x < 0) for p in positions} == {
        (False, False),
        (True, True),
        (False, True),
        (True, False),
    }

    # The feed as published gets one notice, that its calendar has expired; none is about us.
    about_our_rows = [
        (group.code, example.row, example.field)
        for group in summary.report.groups
        for example in group.examples
        if example.file == "stops.txt" and (example.row or 0) >= first_row_of_ours
    ]
    assert about_our_rows == []
    assert [(group.code, group.count) for group in summary.report.groups] == [("feed_expired", 1)]
