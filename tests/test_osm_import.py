"""Planners load a city's walkable streets from an OpenStreetMap extract (``flask import-osm``):
which ways count, what is written, what replaces what, and what refuses the file.

The two real extracts are checked against the independent reading in ``tests/osm_reference.py``
on both databases; small files written by the test show the rest.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyproj import Geod
from sqlalchemy import func, select

from tests.gtfs_feeds import DURING_THE_FEED, zip_feed
from tests.osm_files import TOWN_NODES, write_osm
from tests.osm_reference import HELSINKI_OSM, SPO_OSM, read_extract
from transitreq.errors import ImportFailed
from transitreq.importers.gtfs import import_gtfs
from transitreq.importers.osm import import_osm
from transitreq.importers.osm_ways import is_walkable
from transitreq.importers.population import import_population
from transitreq.models import (
    DatasetImport,
    DatasetKind,
    Stop,
    StreetEdge,
    StreetLink,
    StreetNetwork,
    StreetNode,
)
from transitreq.services.places.search import search_places

_WGS84 = Geod(ellps="WGS84")

# (tags, walkable?): step 1 of the method, one row per clause.
TRUTH_TABLE = [
    ({"highway": "footway"}, True),
    ({"highway": "residential"}, True),
    ({"highway": "steps"}, True),
    ({"highway": "crossing"}, True),
    ({"highway": "corridor"}, True),
    ({"highway": "bridleway"}, True),
    ({"highway": "tertiary_link"}, True),
    ({"highway": "primary", "oneway": "yes"}, True),
    ({"highway": "footway", "foot": "no"}, False),
    ({"highway": "service", "access": "private"}, False),
    ({"highway": "service", "access": "no"}, False),
    ({"highway": "service", "access": "private", "foot": "yes"}, True),
    ({"highway": "service", "access": "no", "foot": "designated"}, True),
    ({"highway": "track", "access": "private", "foot": "permissive"}, True),
    ({"highway": "service", "access": "destination"}, True),
    ({"highway": "trunk"}, False),
    ({"highway": "trunk", "foot": "yes"}, True),
    ({"highway": "trunk_link", "foot": "designated"}, True),
    ({"highway": "trunk", "foot": "permissive"}, False),
    ({"highway": "motorway"}, False),
    ({"highway": "motorway", "foot": "designated"}, False),
    ({"highway": "motorway", "foot": "yes"}, True),
    ({"highway": "motorway_link", "foot": "yes"}, False),
    ({"highway": "pedestrian", "area": "yes"}, False),
    ({"highway": "pedestrian", "area": "no"}, True),
    ({"highway": "construction"}, False),
    ({"highway": "proposed"}, False),
    ({"highway": "platform"}, False),
    ({"highway": "bus_stop"}, False),
    ({"building": "yes"}, False),
]


@pytest.mark.parametrize(("tags", "walkable"), TRUTH_TABLE, ids=lambda value: str(value))
def test_which_ways_are_walkable_follows_the_method(tags, walkable):
    assert is_walkable(tags) is walkable


def _counts(session) -> dict[str, int]:
    session.expire_all()
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model))
        for model in (StreetNetwork, StreetNode, StreetEdge, StreetLink, DatasetImport)
    }


@pytest.mark.parametrize("extract", [SPO_OSM, HELSINKI_OSM], ids=["sao_paulo", "helsinki"])
def test_a_real_extract_becomes_every_walkable_edge_with_its_geodesic_length(session, extract):
    expected = read_extract(extract)
    summary = import_osm(session, extract, "city")
    assert (summary.ways, summary.nodes, summary.edges) == (
        expected.ways,
        len(expected.location),
        len(expected.edges),
    )
    assert summary.length_m == pytest.approx(sum(metres for *_, metres in expected.edges))
    network = session.scalars(select(StreetNetwork)).one()
    assert (network.node_count, network.edge_count) == (summary.nodes, summary.edges)
    lons = [lon for lon, _ in expected.location.values()]
    lats = [lat for _, lat in expected.location.values()]
    assert (network.min_lon, network.min_lat, network.max_lon, network.max_lat) == (
        min(lons),
        min(lats),
        max(lons),
        max(lats),
    )
    stored = {
        (first, second): length
        for first, second, length in session.execute(
            select(StreetEdge.first_node, StreetEdge.second_node, StreetEdge.length_m)
        )
    }
    assert len(stored) == len({(a, b) for a, b, _ in expected.edges})
    for a, b, metres in expected.edges[::97]:
        assert stored[a, b] == pytest.approx(metres, abs=1e-6)
    # The ways the rule leaves out are reported, each with its tags.
    record = session.scalars(select(DatasetImport)).one()
    assert (record.kind, record.name, record.source) == (
        DatasetKind.STREET_NETWORK,
        "city",
        extract.name,
    )
    assert record.counts["edges"] == summary.edges
    (left_out,) = [group for group in record.report if group["code"] == "way_not_walkable"]
    assert left_out["count"] == expected.highway_ways - expected.ways
    assert left_out["examples"][0]["file"].startswith(f"{extract.name}: way/")


def test_each_edge_joins_consecutive_nodes_and_leaves_out_what_the_extract_lacks(session, tmp_path):
    summary = import_osm(session, write_osm(tmp_path / "town.osm"), "town")
    edges = set(session.execute(select(StreetEdge.first_node, StreetEdge.second_node)).all())
    # The motorway (3-6) is left out; way 13 stops where it leaves the extract (7-99).
    assert edges == {(1, 2), (2, 3), (3, 4), (2, 5), (4, 7)}
    assert summary.nodes == 6
    nodes = set(session.scalars(select(StreetNode.osm_id)))
    assert nodes == {1, 2, 3, 4, 5, 7}
    lengths = dict(
        session.execute(
            select(StreetEdge.first_node, StreetEdge.length_m).where(StreetEdge.second_node == 5)
        ).all()
    )
    (lon_a, lat_a), (lon_b, lat_b) = TOWN_NODES[2], TOWN_NODES[5]
    assert lengths[2] == pytest.approx(_WGS84.inv(lon_a, lat_a, lon_b, lat_b)[2], abs=1e-6)
    codes = {group.code: group for group in summary.report.groups}
    assert codes["node_outside_extract"].examples[0].file == "town.osm: way/13"
    assert codes["node_outside_extract"].examples[0].field == "nodes"
    assert codes["way_not_walkable"].examples[0].value == "highway=motorway"


def test_named_streets_become_places_residents_can_search_for(session, tmp_path):
    import_osm(session, write_osm(tmp_path / "town.osm"), "town")
    (found,) = [place for place in search_places(session, "rantakatu") if place.kind == "street"]
    assert found.name == "Rantakatu"
    # Its point is the way's middle node.
    assert (found.lon, found.lat) == pytest.approx(TOWN_NODES[3])
    summary = import_osm(session, HELSINKI_OSM, "helsinki")
    streets = [
        place
        for place in search_places(session, "mannerheimintie", limit=20)
        if place.kind == "street" and place.name == "Mannerheimintie"
    ]
    # One long avenue, many ways (carriageways, pieces between junctions): one place.
    assert len(streets) == 1
    record = session.scalars(select(DatasetImport).where(DatasetImport.name == "helsinki")).one()
    assert record.counts["street_names"] > 50
    assert summary.report is not None


def test_importing_the_same_name_again_replaces_that_network_only(session, tmp_path):
    import_osm(session, write_osm(tmp_path / "town.osm"), "town")
    import_osm(session, write_osm(tmp_path / "other.osm"), "other")
    smaller = write_osm(tmp_path / "town2.osm", ways=[(10, [1, 2, 3], {"highway": "residential"})])
    summary = import_osm(session, smaller, "town")
    assert summary.edges == 2
    counts = _counts(session)
    assert counts["street_networks"] == 2
    assert counts["street_edges"] == 5 + 2
    assert counts["dataset_imports"] == 2
    town = session.scalars(select(StreetNetwork).where(StreetNetwork.name == "town")).one()
    assert (town.source, town.edge_count) == ("town2.osm", 2)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"this is not an OpenStreetMap file\n", "not an OpenStreetMap file"),
        (b"\x00\x00\x00\x0dOSMHeader-broken", "not an OpenStreetMap file"),
    ],
    ids=["text", "damaged"],
)
def test_a_file_that_is_not_an_extract_is_refused_and_nothing_is_written(
    session, tmp_path, content, problem
):
    import_osm(session, write_osm(tmp_path / "town.osm"), "town")
    before = _counts(session)
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(content)
    with pytest.raises(ImportFailed) as refused:
        import_osm(session, bad, "town")
    assert str(refused.value).startswith("broken.osm.pbf: ")
    assert problem in str(refused.value)
    assert _counts(session) == before


def test_a_missing_file_or_one_without_walkable_ways_is_refused(session, tmp_path):
    with pytest.raises(ImportFailed, match="no such file"):
        import_osm(session, tmp_path / "absent.osm.pbf", "town")
    motorway_only = write_osm(tmp_path / "m.osm", ways=[(1, [1, 2], {"highway": "motorway"})])
    with pytest.raises(ImportFailed, match="no walkable way"):
        import_osm(session, motorway_only, "town")
    with pytest.raises(ImportFailed, match="needs a name"):
        import_osm(session, write_osm(tmp_path / "town.osm"), " ")
    assert _counts(session) == dict.fromkeys(_counts(session), 0)


def _town_population(tmp_path: Path) -> Path:
    # One unit by the footway's end, one beside the street, one 500 m from every street.
    path = tmp_path / "people.csv"
    path.write_text(
        "lon,lat,population\n24.9421,60.1721,10\n24.9450,60.1712,20\n24.9500,60.1760,30\n",
        encoding="utf-8",
    )
    return path


def _links(session) -> dict[str, list[tuple]]:
    session.expire_all()
    rows = session.execute(
        select(StreetLink.population_unit_id, StreetLink.stop_id, StreetLink.link_m)
    ).all()
    return {
        "units": sorted(round(link_m, 1) for unit, _, link_m in rows if unit is not None),
        "stops": sorted(round(link_m, 1) for _, stop, link_m in rows if stop is not None),
    }


def test_units_and_stops_are_linked_whichever_is_imported_first(session, tmp_path):
    feed = zip_feed(tmp_path)
    # The network first, then the people and the stops.
    import_osm(session, write_osm(tmp_path / "town.osm"), "town")
    import_population(session, _town_population(tmp_path), name="people")
    import_gtfs(session, feed, "city", today=DURING_THE_FEED)
    after = _links(session)
    # The third unit is farther than 100 m from every street: not linked, not reachable.
    # The others join the street beside them and the footway's end, the nearest points.
    beside = _WGS84.inv(24.9450, 60.1712, 24.9450, 60.1711)[2]
    by_the_end = _WGS84.inv(24.9421, 60.1721, *TOWN_NODES[5])[2]
    assert after["units"] == pytest.approx(sorted([beside, by_the_end]), abs=0.06)
    # Platform C1 (24.9410, 60.1710) is 11 m from the street; the harbour is far from it.
    stops = dict(session.execute(select(Stop.gtfs_stop_id, Stop.id)).all())
    linked_stops = set(
        session.scalars(select(StreetLink.stop_id).where(StreetLink.stop_id.is_not(None)))
    )
    assert stops["C1"] in linked_stops and stops["HRB"] not in linked_stops
    # Re-importing the network links them again: the same links, whatever came first.
    import_osm(session, write_osm(tmp_path / "town.osm"), "town")
    assert _links(session) == after
    # Replacing the people or the feed replaces their links.
    import_population(session, _town_population(tmp_path), name="people")
    import_gtfs(session, feed, "city", today=DURING_THE_FEED)
    assert _links(session) == after


def test_the_command_loads_an_extract_and_prints_its_report(app, tmp_path):
    from transitreq import migrate

    migrate.upgrade(app.extensions["transitreq.engine"])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-osm", str(write_osm(tmp_path / "town.osm"))])
    assert result.exit_code == 0, result.output
    assert "Street network 'town' loaded: 3 walkable ways, 6 nodes, 5 edges" in result.output
    assert "info: node_outside_extract × 1" in result.output
    assert "town.osm: way/13, field 'nodes'" in result.output
    bad = tmp_path / "bad.osm.pbf"
    bad.write_text("nope", encoding="utf-8")
    result = runner.invoke(args=["import-osm", str(bad), "--name", "town"])
    assert result.exit_code == 1
    assert "bad.osm.pbf: not an OpenStreetMap file" in result.output
