"""Which OpenStreetMap ways people can walk along: step 1 of the walking method (README).

A way is walkable when its ``highway`` is one of ``WALKABLE_HIGHWAYS``, except

- ``foot=no``;
- ``access=no`` or ``access=private``, unless ``foot`` is ``yes``, ``designated`` or
  ``permissive`` (a private road with a public footpath right of way);
- ``trunk`` and ``trunk_link`` only with ``foot=yes`` or ``foot=designated`` (fast roads are
  walked where a pavement is mapped on them, and that is what those tags say);
- ``motorway`` only with ``foot=yes``;
- ``area=yes`` (a pedestrian square's outline is not a path along its edge);
- ``highway`` ``construction``, ``proposed`` or ``platform`` (not built yet, or a platform's
  outline), which the list leaves out anyway and are named here so nobody adds them.

One-way tags are not read: on foot every edge is walked both ways. The rule is a pure
function of the tags, so the tests can hold it to a truth table.
"""

from __future__ import annotations

from collections.abc import Mapping

WALKABLE_HIGHWAYS = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "steps",
        "living_street",
        "residential",
        "service",
        "unclassified",
        "track",
        "cycleway",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "trunk",
        "trunk_link",
        "road",
        "crossing",
        "corridor",
        "bridleway",
        "motorway",
    }
)
NOT_BUILT_OR_OUTLINE = frozenset({"construction", "proposed", "platform"})
_TRUNKS = frozenset({"trunk", "trunk_link"})
_FOOT_OVERRIDES_ACCESS = frozenset({"yes", "designated", "permissive"})
_FOOT_ON_TRUNK = frozenset({"yes", "designated"})


def is_walkable(tags: Mapping[str, str]) -> bool:
    """Whether a way with these tags is part of the walking network (see the module's rule)."""
    highway = tags.get("highway")
    if highway not in WALKABLE_HIGHWAYS or highway in NOT_BUILT_OR_OUTLINE:
        return False
    foot = tags.get("foot")
    if foot == "no" or tags.get("area") == "yes":
        return False
    if tags.get("access") in ("no", "private") and foot not in _FOOT_OVERRIDES_ACCESS:
        return False
    if highway in _TRUNKS:
        return foot in _FOOT_ON_TRUNK
    if highway == "motorway":
        return foot == "yes"
    return True
