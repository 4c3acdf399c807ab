"""The stops of a GTFS feed: where each stop is, and what becomes of one without a place.

A stop without usable coordinates (blank, not a number, out of range, or at 0, 0) cannot be put
on the map or counted in any catchment. Whether that matters depends on the trips: when a trip
calls at it, the service measured there would be lost or misplaced, so the feed is refused
naming the stop's row and field; when none does, it is left out with a warning and nothing any
answer rests on goes with it. stops.txt is read before stop_times.txt, so the decision waits
for the calls.
"""

from __future__ import annotations

from dataclasses import dataclass

from transitreq.errors import ImportFailed
from transitreq.importers.gtfs_files import FeedFiles, KeyedRows, Progress
from transitreq.importers.gtfs_values import Row
from transitreq.importers.problems import problem
from transitreq.models import Stop

# Text limits come from the model, so a feed is refused with a message before the database would.
_STOP_ID_CHARS = Stop.__table__.c.gtfs_stop_id.type.length
_STOP_CODE_CHARS = Stop.__table__.c.code.type.length
_STOP_NAME_CHARS = Stop.__table__.c.name.type.length
# What a stop time at each other location_type is refused with.
_NOT_A_STOP = {
    1: "station_not_stop",
    2: "entrance_not_stop",
    3: "node_not_stop",
    4: "boarding_area_not_stop",
}


@dataclass(frozen=True, slots=True)
class FeedStop:
    gtfs_stop_id: str
    code: str | None
    name: str
    lon: float
    lat: float


@dataclass(frozen=True)
class Locations:
    """stops.txt: the stops (location_type 0), the other locations' types by stop_id, and the
    stops without usable coordinates, with the refusal each would be if a trip called there."""

    stops: dict[str, FeedStop]
    others: dict[str, int]
    unlocated: dict[str, ImportFailed]


def read_stops(files: FeedFiles, progress: Progress | None) -> Locations:
    """Stops and platforms (location_type empty or 0), and the types of every other location."""
    locations = Locations({}, {}, {})
    keys = KeyedRows(
        files, "stops.txt", "stop_id", lambda row: row.identifier("stop_id", _STOP_ID_CHARS)
    )
    for row in files.rows("stops.txt", ("stop_id", "stop_name", "stop_lat", "stop_lon"), progress):
        if (stop_id := keys.first(row)) is None:
            continue
        location_type = row.option("location_type", range(5), "option_read_as_stop")
        row.option("wheelchair_boarding", range(3), "option_ignored")
        row.check_url("stop_url")
        if location_type != 0:
            locations.others[stop_id] = location_type
            continue
        code = row.code("stop_code", _STOP_CODE_CHARS)
        name = row.name("stop_name", _STOP_NAME_CHARS) or _stand_in_name(row, stop_id, code)
        try:
            lon, lat = row.lon_lat("stop_lat", "stop_lon")
        except ImportFailed as unusable:
            locations.unlocated[stop_id] = unusable
            continue
        locations.stops[stop_id] = FeedStop(stop_id, code, name, lon, lat)
    if not locations.stops and not locations.unlocated:
        raise files.error("empty_file", problem("no_stops"), "stops.txt")
    return locations


def _stand_in_name(row: Row, stop_id: str, code: str | None) -> str:
    """A name for a stop published without one: riders know it by its code, if anything."""
    named_by = "stop_code" if code else "stop_id"
    row.warn("missing_required_field", "stop_name", problem("stop_named_by", column=named_by))
    return code or stop_id


def called_stop(row: Row, locations: Locations) -> str:
    """The stop a stop_times.txt row calls at. A call at a station or other location, at an
    unknown stop or at a stop without usable coordinates refuses the feed."""
    stop_id = row.required("stop_id")
    if stop_id in locations.others:
        said = problem(_NOT_A_STOP[locations.others[stop_id]], value=stop_id)
        raise row.error("location_with_unexpected_stop_time", "stop_id", said)
    if (unusable := locations.unlocated.get(stop_id)) is not None:
        said = problem("unlocated_called", problem=unusable.problem, row=row.number)
        raise row.files.error(
            "stop_without_location", said, "stops.txt", unusable.row, unusable.field
        )
    return row.reference("stop_id", locations.stops, "stops.txt")


def located_stops(files: FeedFiles, locations: Locations) -> dict[str, FeedStop]:
    """Stops without coordinates that no trip calls at (a call would have been refused) are
    left out: no service is lost with them."""
    for unusable in locations.unlocated.values():
        said = problem("unlocated_left_out", problem=unusable.problem)
        files.warn("stop_without_location", said, "stops.txt", unusable.row, unusable.field)
    return locations.stops
