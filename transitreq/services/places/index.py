"""Keeping ``place_names`` in step with its sources, inside the transaction that changes them.

Each source owns its rows, told apart by kind and dataset, and replaces them whole or one by
one; the caller owns the transaction, so a rolled-back import or filing leaves the names as
they were. Who calls what:

- a GTFS import (and the demo city) → ``refresh_stops(feed)``;
- a service-area import (and the demo city) → ``refresh_areas()``;
- filing a request → ``add_landmark``; merging it away → ``remove_landmark`` (a merged request
  lives on in the one it joined, as on the map); the demo city → ``refresh_landmarks()``;
- an OpenStreetMap import → ``replace_places(session, (STREET, PLACE), extract_name,
  street_places(…))``; the demo city names its river and footbridge the same way.

Why a table of its own rather than searching stops, requests and areas on each keystroke: the
folded form of each name must be computed in Python anyway (``models/places.py``), platforms of
one stop are grouped once per import instead of once per query, and one narrow table with one
index answers every kind, OpenStreetMap's streets included, in one query.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from transitreq.geo.places import group_nearby
from transitreq.models import (
    WGS84_SRID,
    PlaceKind,
    PlaceName,
    ServiceArea,
    Stop,
    StopRequest,
    normalise_name,
)
from transitreq.services.requests.rules import SHOWN

# Platforms of one name this close to one another are one place to a resident (the 14 around
# Helsinki's Rautatientori lie within 280 m, each within 250 m of the next); farther apart,
# same-named stops are different places, e.g. at either end of a long street.
STOP_PLATFORMS_WITHIN_M = 250.0
# The datasets of rows that do not come from a named import.
LANDMARKS_DATASET = "requests"
AREAS_DATASET = "service_areas"


@dataclass(frozen=True)
class NewPlace:
    """A place as a source gives it, before it is written."""

    kind: PlaceKind
    name: str
    source_id: str
    point: Point  # WGS 84


def replace_places(
    session: Session, kinds: tuple[PlaceKind, ...], dataset: str, places: Iterable[NewPlace]
) -> int:
    """Replace every row of ``dataset`` with one of ``kinds`` by ``places``; names with nothing
    to match (punctuation only) are left out. Returns how many rows were written."""
    rows = []
    for place in places:
        if place.kind not in kinds:
            raise ValueError(f"a {place.kind} among the places replacing {kinds} of {dataset}")
        if _matchable(place.name):
            rows.append(_row(place, dataset))
    session.execute(
        delete(PlaceName).where(PlaceName.kind.in_(kinds), PlaceName.dataset == dataset)
    )
    if rows:
        session.execute(insert(PlaceName), rows)
    return len(rows)


def _matchable(name: str) -> bool:
    return bool(normalise_name(name))


def _row(place: NewPlace, dataset: str) -> dict:
    name = place.name.strip()[: PlaceName.__table__.c.name.type.length]
    return {
        "kind": place.kind,
        "name": name,
        "normalised_name": normalise_name(name),
        "dataset": dataset,
        "source_id": place.source_id,
        "location": from_shape(place.point, srid=WGS84_SRID),
    }


def stop_places(stops: Iterable[tuple[str, str, Point]]) -> list[NewPlace]:
    """One place per group of same-named platforms standing together, at their centroid, named
    as most of them spell it; ``stops`` are (GTFS stop_id, name, point)."""
    by_name: dict[str, list[tuple[str, str, Point]]] = defaultdict(list)
    for stop in stops:
        by_name[normalise_name(stop[1])].append(stop)
    places = []
    for same_name in by_name.values():
        same_name.sort()
        for group in group_nearby([point for _, _, point in same_name], STOP_PLATFORMS_WITHIN_M):
            members = [same_name[index] for index in group]
            spelling = Counter(name for _, name, _ in members).most_common(1)[0][0]
            centroid = Point(
                sum(point.x for _, _, point in members) / len(members),
                sum(point.y for _, _, point in members) / len(members),
            )
            places.append(NewPlace(PlaceKind.STOP, spelling, members[0][0], centroid))
    return places


# Named ways of one street standing this close (their middles, one after the other) are one
# street to a resident; a street of the same name across town stays another.
STREET_PIECES_WITHIN_M = 500.0


def street_places(ways: Iterable[tuple[int, str, float, float]]) -> list[NewPlace]:
    """One place per street of an OpenStreetMap extract: its named ways ((way id, name, lon,
    lat of the way's middle)) grouped by name and by standing together, each group at the
    middle of its piece nearest the group's centroid, so the point lies on the street."""
    by_name: dict[str, list[tuple[int, str, Point]]] = defaultdict(list)
    for way_id, name, lon, lat in ways:
        by_name[normalise_name(name)].append((way_id, name, Point(lon, lat)))
    places = []
    for same_name in by_name.values():
        same_name.sort()
        for group in group_nearby([point for _, _, point in same_name], STREET_PIECES_WITHIN_M):
            members = [same_name[index] for index in group]
            spelling = Counter(name for _, name, _ in members).most_common(1)[0][0]
            centre_x = sum(point.x for _, _, point in members) / len(members)
            centre_y = sum(point.y for _, _, point in members) / len(members)
            way_id, _, point = min(
                members, key=lambda m: (m[2].x - centre_x) ** 2 + (m[2].y - centre_y) ** 2
            )
            places.append(NewPlace(PlaceKind.STREET, spelling, f"way/{way_id}", point))
    return places


def refresh_stops(session: Session, feed: str) -> int:
    """The feed's stops as places, replacing its earlier ones (none when the feed is gone)."""
    rows = session.execute(
        select(Stop.gtfs_stop_id, Stop.name, Stop.location).where(Stop.feed == feed)
    )
    stops = [(stop_id, name, to_shape(location)) for stop_id, name, location in rows]
    return replace_places(session, (PlaceKind.STOP,), feed, stop_places(stops))


def refresh_areas(session: Session) -> int:
    """Every service area as a place, at a point surely inside it."""
    areas = session.execute(select(ServiceArea.id, ServiceArea.name, ServiceArea.boundary))
    places = [
        NewPlace(PlaceKind.AREA, name, str(area_id), to_shape(boundary).representative_point())
        for area_id, name, boundary in areas
    ]
    return replace_places(session, (PlaceKind.AREA,), AREAS_DATASET, places)


def _landmark(stop_request: StopRequest) -> NewPlace:
    return NewPlace(
        PlaceKind.LANDMARK,
        stop_request.landmark,
        str(stop_request.id),
        to_shape(stop_request.location),
    )


def refresh_landmarks(session: Session) -> int:
    """The landmarks of every request shown on the map (all but merged ones), at their pins."""
    shown = session.scalars(
        select(StopRequest).where(StopRequest.status.in_(SHOWN), StopRequest.landmark != "")
    )
    places = [_landmark(stop_request) for stop_request in shown]
    return replace_places(session, (PlaceKind.LANDMARK,), LANDMARKS_DATASET, places)


def add_landmark(session: Session, stop_request: StopRequest) -> None:
    """A request just filed: its landmark becomes a place at its pin. Flushes, for the id."""
    if not _matchable(stop_request.landmark):
        return
    session.flush()
    session.execute(insert(PlaceName), [_row(_landmark(stop_request), LANDMARKS_DATASET)])


def remove_landmark(session: Session, stop_request: StopRequest) -> None:
    """A request merged away: its landmark is no longer a place of its own."""
    session.execute(
        delete(PlaceName).where(
            PlaceName.kind == PlaceKind.LANDMARK,
            PlaceName.dataset == LANDMARKS_DATASET,
            PlaceName.source_id == str(stop_request.id),
        )
    )
