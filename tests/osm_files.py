"""Small OpenStreetMap files written by the tests (OSM XML, which pyosmium reads like PBF)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import quoteattr

# A few streets beside the minimal GTFS feed's platform C1 (60.1710, 24.9410), in lon/lat.
TOWN_NODES = {
    1: (24.9400, 60.1711),
    2: (24.9420, 60.1711),
    3: (24.9440, 60.1711),
    4: (24.9460, 60.1711),
    5: (24.9420, 60.1720),
    6: (24.9440, 60.1700),
    7: (24.9480, 60.1711),
}
TOWN_WAYS = [
    (10, [1, 2, 3, 4], {"highway": "residential", "name": "Rantakatu"}),
    (11, [2, 5], {"highway": "footway"}),
    (12, [3, 6], {"highway": "motorway"}),
    # Runs on past the extract's edge: node 99 is not in the file.
    (13, [4, 7, 99], {"highway": "service"}),
]


def write_osm(
    path: Path,
    nodes: dict[int, tuple[float, float]] = TOWN_NODES,
    ways: Iterable[tuple[int, list[int], dict[str, str]]] = TOWN_WAYS,
) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="tests">']
    for node_id, (lon, lat) in sorted(nodes.items()):
        lines.append(f'  <node id="{node_id}" version="1" lat="{lat!r}" lon="{lon!r}"/>')
    for way_id, refs, tags in ways:
        lines.append(f'  <way id="{way_id}" version="1">')
        lines += [f'    <nd ref="{ref}"/>' for ref in refs]
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
