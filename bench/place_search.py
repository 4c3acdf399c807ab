"""Benchmark: finding a place by name, on the Helsinki feed and with a city's streets added.

On each backend a fresh database gets the HSL feed of ``../shared/data/helsinki`` (1,361 stops,
folded into 580 places) and its service area; the search is timed as the API runs it
(``search_places``: both matching steps, the service-area flags, the folding of same-named
places) for queries that take each path:

- one letter and three letters (names starting with them: the index answers);
- a whole name (one exact place);
- part of a word (``atien``) and a name nobody has (``zzq``): too few names start with them,
  so every name is read for those containing them.

Then 50,000 generated street names (about what an OpenStreetMap extract of a large city holds)
are added as one dataset and the same queries timed again.

    .venv/bin/python bench/place_search.py
    .venv/bin/python bench/place_search.py --streets 200000 --backends postgis
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Point, box

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import databases  # noqa: E402
from tests.reference_data import GTFS_ZIP  # noqa: E402
from transitreq import migrate  # noqa: E402
from transitreq.db import make_engine, make_sessionmaker  # noqa: E402
from transitreq.importers.gtfs import import_gtfs  # noqa: E402
from transitreq.models import PlaceKind, ServiceArea  # noqa: E402
from transitreq.services.places.index import NewPlace, replace_places  # noqa: E402
from transitreq.services.places.search import search_places  # noqa: E402

QUERIES = ("k", "kai", "rautatientori", "atien", "zzq")
HELSINKI_BOX = (24.8, 60.1, 25.1, 60.3)
CENTRE = Point(24.94, 60.17)
_SYLLABLES = ("ka", "la", "mä", "ne", "ri", "tu", "vo", "sö", "hel", "pi", "kon", "ran", "jär")
_ENDINGS = ("katu", "tie", "kuja", "polku", "raitti", "ranta", "puisto")


def _street_names(count: int, seed: int) -> list[NewPlace]:
    rng = random.Random(seed)
    min_lon, min_lat, max_lon, max_lat = HELSINKI_BOX
    places = []
    for number in range(count):
        stem = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        name = stem.capitalize() + rng.choice(_ENDINGS)
        point = Point(rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat))
        places.append(NewPlace(PlaceKind.STREET, name, f"way/{number}", point))
    return places


def _timed(session, query: str, repeats: int) -> tuple[float, int]:
    """Median milliseconds of ``repeats`` searches (after three to warm up), and how many
    places the search found."""
    for _ in range(3):
        found = search_places(session, query, CENTRE)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        found = search_places(session, query, CENTRE)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(found)


def _report(session, label: str, repeats: int) -> None:
    print(f"  {label}")
    for query in QUERIES:
        median_ms, found = _timed(session, query, repeats)
        print(f"    {query!r:18} {median_ms:7.2f} ms  ({found} places)")


def run(backend: str, streets: int, repeats: int, tmp: Path) -> None:
    if backend == "postgis":
        url = databases.create_postgis_database()
    else:
        url = databases.spatialite_database(tmp)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        session = make_sessionmaker(engine)()
        boundary = MultiPolygon([box(*HELSINKI_BOX)])
        session.add(ServiceArea(name="Helsinki", boundary=from_shape(boundary, srid=4326)))
        session.commit()
        started = time.perf_counter()
        import_gtfs(session, GTFS_ZIP, "hsl")
        print(f"{backend}: HSL feed imported in {time.perf_counter() - started:.1f} s")
        _report(session, "HSL stops", repeats)
        started = time.perf_counter()
        replace_places(session, (PlaceKind.STREET,), "bench-streets", _street_names(streets, 1))
        session.commit()
        written_s = time.perf_counter() - started
        print(f"  {streets:,} street names written in {written_s:.1f} s")
        _report(session, f"HSL stops and {streets:,} streets", repeats)
        session.close()
    finally:
        engine.dispose()
        if backend == "postgis":
            databases.drop_postgis_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streets", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--backends", nargs="+", default=["spatialite", "postgis"])
    arguments = parser.parse_args()
    tmp = Path(__file__).resolve().parent / "results"
    tmp.mkdir(exist_ok=True)
    for backend in arguments.backends:
        run(backend, arguments.streets, arguments.repeats, tmp)


if __name__ == "__main__":
    main()
