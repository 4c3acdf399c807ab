"""The sentences the maps show about walking catchments, handed to their scripts by key.

Kept apart from ``map_messages`` so the walking measure's words live with the feature; the
planner's and the evaluation's maps add them to their configuration (``map_shell(messages=…)``).
"""

from __future__ import annotations

from transitreq.i18n import _


def walk_messages() -> dict[str, str]:
    """The walking catchments' catalogue for this request."""
    return {
        "walk.area": _("Within a {radius} m walk along the streets"),
        "walk.people": _("People within a {radius} m walk"),
        "walk.newly": _("Newly served within a {radius} m walk"),
        "walk.no_data": _("no population data"),
        "walk.nearest": _("{name}, {metres} m ({walk} m on foot)"),
        "walk.gap_layer": _("Coverage gap on foot (beyond a {radius} m walk of a stop)"),
    }
