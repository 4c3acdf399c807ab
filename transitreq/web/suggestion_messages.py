"""Every sentence of the planners' map's Suggested stops layer
(``static/js/planner_suggestions.js``), looked up by key as the other scripts' are
(``web/planner_messages.py``): ``{name}`` marks a value the script fills in as text."""

from __future__ import annotations

from transitreq.i18n import _


def suggestion_messages() -> dict[str, str]:
    """The Suggested stops layer's catalogue for this request."""
    return {
        "suggest.layer": _("Suggested stops ({count})"),
        "suggest.loading": _("Finding the best sites for new stops…"),
        "suggest.failed": _("Could not suggest stops here; try again."),
        "suggest.none": _("No candidate site here newly serves anyone."),
        "suggest.marker": _("No. {rank}: newly serves {people} more people"),
        "suggest.popup.title": _("Suggested stop No. {rank}"),
        "suggest.popup.marginal": _("Newly serves {people} people beyond the stops ranked above"),
        "suggest.popup.alone": _("Alone it would newly serve {people} people within {metres} m"),
        "suggest.popup.route": _("On {route}"),
        "suggest.summary": _("{count} stops newly serve {people} people ({method}, gap {gap} %)."),
        "suggest.method.exact": _("exact"),
        "suggest.method.greedy": _("greedy"),
    }
