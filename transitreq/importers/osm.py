"""Importing an OpenStreetMap extract's walkable street network (``flask import-osm``).

The extract is read whole with pyosmium first: the ways ``osm_ways.is_walkable`` accepts become
edges, one per pair of consecutive nodes, each weighted by its geodesic length on the WGS 84
ellipsoid (steps 1 and 2 of the walking method, README). Only then is anything written, in one
transaction: the network replaces an earlier one of the same name (its nodes, edges and links
go with it), the population units and stops inside its extent are linked to it
(``street_links.py``), its named streets become places residents can search for (one per
street, its pieces standing together folded into one), and the import's record and report are
kept (``records.py``).

What the report says, and what refuses the file:

- **info** ``way_not_walkable``: a way tagged ``highway`` that the rule leaves out (a motorway,
  a private drive, ``foot=no``…), by way and tag;
- **info** ``node_outside_extract``: a walkable way runs on past the extract's edge (its node is
  not in the file); the edges touching that node are left out, the rest of the way is kept;
- **info** ``repeated_node``: a way naming the same node twice in a row (no edge between them);
- **refused**: a file that is missing, is not an OpenStreetMap file pyosmium can read, or holds
  no walkable way, or a name that is blank or too long. Nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import osmium
import shapely
from pyproj import Geod
from sqlalchemy import LargeBinary, bindparam, delete, func, insert
from sqlalchemy.orm import Session

from transitreq.db import unit_of_work
from transitreq.errors import ImportFailed
from transitreq.geo.streets import network_extent
from transitreq.importers.osm_ways import is_walkable
from transitreq.importers.problems import problem
from transitreq.importers.records import record_import
from transitreq.importers.report import ImportReport
from transitreq.importers.street_links import LinkCounts, link_network
from transitreq.models import (
    WGS84_SRID,
    DatasetKind,
    PlaceKind,
    StreetEdge,
    StreetNetwork,
    StreetNode,
)
from transitreq.services.places.index import replace_places, street_places

MAX_NAME_CHARS = StreetNetwork.__table__.c.name.type.length
WAY_NOT_WALKABLE = "way_not_walkable"
NODE_OUTSIDE_EXTRACT = "node_outside_extract"
REPEATED_NODE = "repeated_node"
READING_STAGE = "Reading ways"
WRITING_STAGE = "Writing the network"
# Rows per INSERT batch.
_BATCH = 5000
_WGS84 = Geod(ellps="WGS84")

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class StreetNetworkSummary:
    name: str
    ways: int
    nodes: int
    edges: int
    length_m: float
    linked: LinkCounts
    report: ImportReport = field(compare=False, repr=False)


@dataclass
class StreetWays:
    """Walkable ways as edges, before they are written: node locations (lon, lat) by
    OpenStreetMap id, and per edge its two nodes, its way and the way's ``highway``. The demo
    city builds one too (``demo_streets.py``)."""

    locations: dict[int, tuple[float, float]] = field(default_factory=dict)
    first: list[int] = field(default_factory=list)
    second: list[int] = field(default_factory=list)
    way: list[int] = field(default_factory=list)
    highway: list[str] = field(default_factory=list)
    ways: int = 0
    # Named walkable ways, for the place search: (way id, name, lon, lat of its middle node).
    named: list[tuple[int, str, float, float]] = field(default_factory=list)


def import_osm(
    session: Session, source: Path, name: str, progress: Progress | None = None
) -> StreetNetworkSummary:
    """Load the walkable network of an OpenStreetMap extract (``.osm.pbf``, or any format
    pyosmium reads) as ``name``, replacing an earlier network of that name, and link the
    population units and stops inside it. Raises ImportFailed with the database untouched."""
    source = Path(source)
    _check_name(name, source.name)
    notify = progress or _no_progress
    report = ImportReport(source.name)
    read = _read(source, report, notify)
    if not read.first:
        raise ImportFailed(source.name, problem("no_walkable_way"))
    with unit_of_work(session):
        network, linked = write_network(session, name, source.name, read, notify)
        streets = street_places(read.named)
        replace_places(session, (PlaceKind.STREET, PlaceKind.PLACE), name, streets)
        counts = {
            "ways": read.ways,
            "nodes": network.node_count,
            "edges": network.edge_count,
            "kilometres": round(network.length_m / 1000, 1),
            "population_units_linked": linked.units,
            "stops_linked": linked.stops,
            "street_names": len(streets),
        }
        extent = network_extent(network)
        record_import(session, DatasetKind.STREET_NETWORK, name, source, report, counts, extent)
    return StreetNetworkSummary(
        name, read.ways, network.node_count, network.edge_count, network.length_m, linked, report
    )


def write_network(
    session: Session, name: str, source: str, read: StreetWays, notify: Progress | None = None
) -> tuple[StreetNetwork, LinkCounts]:
    """Replace the network called ``name`` by these ways, and link the population units and
    stops inside it; the caller owns the transaction (and the import's record)."""
    notify = notify or _no_progress
    nodes = np.array(sorted({*read.first, *read.second}), dtype=np.int64)
    lon_lat = np.array([read.locations[node] for node in nodes])
    first_xy = np.array([read.locations[node] for node in read.first])
    second_xy = np.array([read.locations[node] for node in read.second])
    _, _, lengths = _WGS84.inv(first_xy[:, 0], first_xy[:, 1], second_xy[:, 0], second_xy[:, 1])
    lengths = np.asarray(lengths, dtype=float)
    (min_lon, min_lat), (max_lon, max_lat) = lon_lat.min(axis=0), lon_lat.max(axis=0)
    network = StreetNetwork(
        name=name,
        source=source,
        node_count=len(nodes),
        edge_count=len(read.first),
        length_m=float(lengths.sum()),
        min_lon=float(min_lon),
        min_lat=float(min_lat),
        max_lon=float(max_lon),
        max_lat=float(max_lat),
    )
    session.execute(delete(StreetNetwork).where(StreetNetwork.name == name))
    session.add(network)
    session.flush()
    _write_nodes(session, network, nodes, lon_lat, notify)
    _write_edges(session, network, read, first_xy, second_xy, lengths, notify)
    return network, link_network(session, network, notify)


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    """Progress reports go nowhere unless a caller listens."""


def _check_name(name: str, source: str) -> None:
    if not name or not name.strip():
        raise ImportFailed(source, problem("street_network_needs_name"), field="name")
    if len(name) > MAX_NAME_CHARS:
        said = problem("dataset_name_too_long", max_chars=MAX_NAME_CHARS)
        raise ImportFailed(source, said, field="name")


def _read(source: Path, report: ImportReport, notify: Progress) -> StreetWays:
    """Every walkable way's edges, and the locations of their nodes."""
    if not source.is_file():
        raise ImportFailed(source.name, problem("no_such_file", path=source.name))
    read = StreetWays()
    try:
        processor = (
            osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in processor:
            _read_way(way, source.name, read, report)
            if read.ways % 1000 == 0:
                notify(READING_STAGE, read.ways, read.ways)
    except (RuntimeError, ValueError, OSError) as error:
        said = str(error).splitlines()[0] if str(error) else error.__class__.__name__
        raise ImportFailed(source.name, problem("not_osm_file", error=said)) from None
    notify(READING_STAGE, read.ways, read.ways)
    return read


def _read_way(way, file: str, read: StreetWays, report: ImportReport) -> None:
    tags = {tag.k: tag.v for tag in way.tags}
    place = f"{file}: way/{way.id}"
    if not is_walkable(tags):
        report.info(
            WAY_NOT_WALKABLE,
            problem("way_not_walkable"),
            file=place,
            field="highway",
            value=_tag_summary(tags),
        )
        return
    read.ways += 1
    located = [node for node in way.nodes if node.location.valid()]
    if tags.get("name") and located:
        middle = located[len(located) // 2]
        read.named.append((way.id, tags["name"], middle.lon, middle.lat))
    previous: int | None = None
    for node in way.nodes:
        if not node.location.valid():
            report.info(
                NODE_OUTSIDE_EXTRACT,
                problem("node_outside_extract", node=node.ref),
                file=place,
                field="nodes",
                value=node.ref,
            )
            previous = None
            continue
        read.locations[node.ref] = (node.lon, node.lat)
        if previous == node.ref:
            report.info(REPEATED_NODE, problem("repeated_node"), file=place, field="nodes")
        elif previous is not None:
            read.first.append(previous)
            read.second.append(node.ref)
            read.way.append(way.id)
            read.highway.append(tags["highway"][:40])
        previous = node.ref


def _tag_summary(tags: dict[str, str]) -> str:
    keys = ("highway", "foot", "access", "area")
    return ", ".join(f"{key}={tags[key]}" for key in keys if key in tags)


def _geometry_insert(table, column: str):
    """A bulk INSERT taking the geometry as WKB through ST_GeomFromWKB on both backends; built
    afresh per import (compiling for SpatiaLite renames the function element in place)."""
    return insert(table).values(
        {column: func.ST_GeomFromWKB(bindparam("wkb", type_=LargeBinary), WGS84_SRID)}
    )


def _write_nodes(
    session: Session,
    network: StreetNetwork,
    nodes: np.ndarray,
    lon_lat: np.ndarray,
    notify: Progress,
) -> None:
    statement = _geometry_insert(StreetNode.__table__, "location")
    wkb = shapely.to_wkb(shapely.points(lon_lat)).tolist()
    total = len(nodes) + network.edge_count
    for start in range(0, len(nodes), _BATCH):
        rows = [
            {"network_id": network.id, "osm_id": int(osm_id), "wkb": blob}
            for osm_id, blob in zip(
                nodes[start : start + _BATCH], wkb[start : start + _BATCH], strict=True
            )
        ]
        session.execute(statement, rows)
        notify(WRITING_STAGE, min(start + _BATCH, len(nodes)), total)


def _write_edges(
    session: Session,
    network: StreetNetwork,
    read: StreetWays,
    first_xy: np.ndarray,
    second_xy: np.ndarray,
    lengths: np.ndarray,
    notify: Progress,
) -> None:
    statement = _geometry_insert(StreetEdge.__table__, "geom")
    wkb = shapely.to_wkb(shapely.linestrings(np.stack([first_xy, second_xy], axis=1))).tolist()
    total = network.node_count + network.edge_count
    for start in range(0, network.edge_count, _BATCH):
        stop = min(start + _BATCH, network.edge_count)
        rows = [
            {
                "network_id": network.id,
                "first_node": read.first[index],
                "second_node": read.second[index],
                "osm_way_id": read.way[index],
                "highway": read.highway[index],
                "length_m": float(lengths[index]),
                "first_lon": float(first_xy[index, 0]),
                "first_lat": float(first_xy[index, 1]),
                "second_lon": float(second_xy[index, 0]),
                "second_lat": float(second_xy[index, 1]),
                "wkb": wkb[index],
            }
            for index in range(start, stop)
        ]
        session.execute(statement, rows)
        notify(WRITING_STAGE, network.node_count + stop, total)
