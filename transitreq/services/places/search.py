"""Finding a place by name: the search box on the residents' map.

Only our own data is searched (``place_names``: stops, landmarks, service areas, and streets
and places once an OpenStreetMap extract is imported); no outside geocoder is asked, so what a
resident types never leaves the service. Results are ranked, in this order:

1. places inside a service area before those outside it (which are still listed, flagged, so a
   resident learns why a familiar place cannot take a request);
2. the exact name, then names starting with the query, then names where it starts a word,
   then names merely containing it;
3. nearer to ``near`` (the map's centre, say) or, without it, to the middle of the service
   areas;

and same-named places standing together are shown once: platforms are grouped when stops are
imported, and a landmark beside a stop of its name gives way to the stop.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from shapely.geometry import Point
from sqlalchemy.orm import Session

from transitreq.errors import ValidationFailed
from transitreq.geo.places import (
    PlaceRow,
    distance_m,
    group_nearby,
    ids_in_service_areas,
    places_containing,
    places_starting_with,
)
from transitreq.geo.service_areas import service_areas_extent
from transitreq.i18n import _
from transitreq.models import PlaceKind, normalise_name
from transitreq.services.places.index import STOP_PLATFORMS_WITHIN_M

MAX_QUERY_CHARS = 100
DEFAULT_LIMIT = 10
MAX_LIMIT = 20
# Candidates read for each result asked for, leaving room for same-named ones to fold together.
CANDIDATES_PER_RESULT = 4
# Same-named places closer than this are one place (as platforms are when imported).
SAME_PLACE_WITHIN_M = STOP_PLATFORMS_WITHIN_M
# Which of two same-named places side by side is kept.
_KIND_ORDER = {kind: position for position, kind in enumerate(PlaceKind)}
EXACT, PREFIX, WORD_START, INSIDE_A_NAME = range(4)


@dataclass(frozen=True)
class PlaceMatch:
    """A place found, as residents see it in the list."""

    name: str
    kind: PlaceKind
    lat: float
    lon: float
    inside_service_area: bool


@dataclass(frozen=True)
class _Candidate:
    row: PlaceRow
    inside_service_area: bool
    # Outside a service area, how the name matches, metres from the centre, the name.
    rank: tuple[bool, int, float, str]

    @property
    def point(self) -> Point:
        return Point(self.row.lon, self.row.lat)


def query_text(text: str | None) -> str:
    """The query as matched (``normalise_name``), or a refusal naming ``q``."""
    text = (text or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        too_long = _(
            "Type at most %(max_chars)d characters of the name.", max_chars=MAX_QUERY_CHARS
        )
        raise ValidationFailed({"q": too_long})
    if not text:
        raise ValidationFailed({"q": _("Type part of the name of a street, stop or landmark.")})
    folded = normalise_name(text)
    if not folded:
        raise ValidationFailed({"q": _("Type at least one letter or number of the name.")})
    return folded


def _match(query: str, name: str) -> int:
    if name == query:
        return EXACT
    if name.startswith(query):
        return PREFIX
    return WORD_START if f" {query}" in name else INSIDE_A_NAME


def _candidates(
    session: Session, rows: list[PlaceRow], query: str, centre: Point | None
) -> list[_Candidate]:
    inside = ids_in_service_areas(session, [row.id for row in rows])
    return [
        _Candidate(
            row,
            row.id in inside,
            (
                row.id not in inside,
                _match(query, row.normalised_name),
                distance_m(centre, Point(row.lon, row.lat)) if centre is not None else 0.0,
                row.name,
            ),
        )
        for row in rows
    ]


def _one_per_place(candidates: list[_Candidate]) -> list[_Candidate]:
    """Same-named candidates standing together folded into one, the best-ranked first: each
    group keeps the place of the most telling kind (a stop before a landmark) at the best rank
    any of them earned."""
    by_name: dict[str, list[_Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_name[candidate.row.normalised_name].append(candidate)
    kept = []
    for same_name in by_name.values():
        for group in group_nearby([c.point for c in same_name], SAME_PLACE_WITHIN_M):
            members = [same_name[index] for index in group]
            shown = min(members, key=lambda c: (_KIND_ORDER[c.row.kind], c.rank))
            best_rank = min(member.rank for member in members)
            kept.append(_Candidate(shown.row, shown.inside_service_area, best_rank))
    return sorted(kept, key=lambda candidate: candidate.rank)


def _middle_of_service_areas(session: Session) -> Point | None:
    extent = service_areas_extent(session)
    if extent is None:
        return None
    lat, lon = extent.centre_lat_lon
    return Point(lon, lat)


def search_places(
    session: Session, text: str | None, near: Point | None = None, limit: int = DEFAULT_LIMIT
) -> list[PlaceMatch]:
    """Up to ``limit`` places named like ``text``, best first (see the module's docstring).

    Names starting with the query are read through the index; names merely containing it are
    read only when those leave the list short.
    """
    query = query_text(text)
    centre = near or _middle_of_service_areas(session)
    wanted = limit * CANDIDATES_PER_RESULT
    candidates = _candidates(
        session, places_starting_with(session, query, centre, wanted), query, centre
    )
    found = _one_per_place(candidates)
    if len(found) < limit:
        containing = places_containing(session, query, centre, wanted)
        found = _one_per_place(candidates + _candidates(session, containing, query, centre))
    return [
        PlaceMatch(
            name=candidate.row.name,
            kind=candidate.row.kind,
            lat=candidate.row.lat,
            lon=candidate.row.lon,
            inside_service_area=candidate.inside_service_area,
        )
        for candidate in found[:limit]
    ]
