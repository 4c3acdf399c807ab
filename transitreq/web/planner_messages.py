"""Every sentence the staff pages' scripts show: the planners' map and queue
(``static/js/planner_map.js``), the review page's approval pin (``review_map.js``) and the API
documentation page (``api_docs.js``).

Like the map script's own catalogue (``web/map_messages.py``), the scripts hold no sentences:
each is looked up here by key, ``{name}`` marking a value the script fills in as text, and
``key.one`` / ``key.other`` the two forms of a counted sentence. The planners' map and the
review map find these in their map configuration; the API page in its own.
"""

from __future__ import annotations

from transitreq.i18n import _


def planner_messages() -> dict[str, str]:
    """The staff scripts' catalogue for this request."""
    return {
        "planner.layer.population": _("Population density"),
        "planner.layer.gap": _("Coverage gap (beyond {metres} m of a stop)"),
        "planner.loading": _("Loading…"),
        "planner.queue_failed": _("Could not load the queue; try again."),
        "planner.no_match": _("No request matches these filters."),
        "planner.count.one": _("{count} request matches."),
        "planner.count.other": _("{count} requests match."),
        "planner.count_clustered.one": _(
            "{count} request matches (grouped by area on the map; zoom in to see each)."
        ),
        "planner.count_clustered.other": _(
            "{count} requests match (grouped by area on the map; zoom in to see each)."
        ),
        "planner.cell.one": _("{count} request here; click to zoom in"),
        "planner.cell.other": _("{count} requests here; click to zoom in"),
        "planner.page": _("Page {page} of {pages}"),
        "planner.age.today": _("today"),
        "planner.age.one": _("{count} day"),
        "planner.age.other": _("{count} days"),
        "planner.show_on_map": _("Show on map"),
        "planner.assigned_to": _("Assigned to {name}"),
        "planner.suggestion.more.one": _(
            "A suggested site {metres} m away newly serves {count} more person"
        ),
        "planner.suggestion.more.other": _(
            "A suggested site {metres} m away newly serves {count} more people"
        ),
        "planner.suggestion.fewer.one": _(
            "A suggested site {metres} m away newly serves {count} fewer person"
        ),
        "planner.suggestion.fewer.other": _(
            "A suggested site {metres} m away newly serves {count} fewer people"
        ),
        "planner.suggestion.same": _(
            "A suggested site {metres} m away newly serves as many people"
        ),
        "planner.marker.one": _("{reference} · {count} supporter"),
        "planner.marker.other": _("{reference} · {count} supporters"),
        "planner.marker_scored.one": _("{reference} · {count} supporter · score {score}"),
        "planner.marker_scored.other": _("{reference} · {count} supporters · score {score}"),
        "planner.people.one": _("{count} person"),
        "planner.people.other": _("{count} people"),
        "planner.people_density.one": _("{count} person, {density} per km²"),
        "planner.people_density.other": _("{count} people, {density} per km²"),
        "planner.evaluating": _("Evaluating the site…"),
        "planner.evaluation_failed": _("Could not evaluate this site; try again."),
        "planner.summary.reference": _("Reference"),
        "planner.summary.status": _("Status"),
        "planner.summary.supporters": _("Supporters"),
        "planner.summary.score": _("Score"),
        "planner.summary.score_value": _("{score} / 100"),
        "planner.summary.people": _("People within {metres} m"),
        "planner.summary.newly_served": _("Newly served within {metres} m"),
        "planner.summary.no_population": _("no population data"),
        "planner.summary.demand": _("Demand within {metres} m"),
        "planner.summary.demand_value": _("{requests} request(s), {supporters} supporter(s)"),
        "planner.summary.routes": _("Routes passing by"),
        "planner.summary.nearest_stop": _("Nearest stop"),
        "planner.summary.stop_distance": _("{name}, {metres} m"),
        "planner.summary.none": _("none"),
        "planner.summary.open": _("Open the review page"),
        "planner.catchment": _("{metres} m walking catchment"),
        "planner.legend.density": _("People per km²"),
        "planner.legend.below": _("under {to}"),
        "planner.legend.range": _("{from}–{to}"),
        "planner.legend.above": _("{from} or more"),
        "planner.legend.gap": _("People beyond {metres} m of every stop"),
        "planner.legend.gap_walk": _("People beyond a {metres} m walk of every stop"),
        "planner.legend.total.one": _("{count} person in the gap in this view"),
        "planner.legend.total.other": _("{count} people in the gap in this view"),
        "planner.notice.zoom_in": _(
            "{layer}: zoom in to see it. It is drawn for views up to {largest} × {largest} km; "
            "this view is {width} × {height} km."
        ),
        "planner.notice.error": _("{layer}: {message}"),
        "planner.notice.failed": _("{layer}: could not be loaded. Move the map to try again."),
        "planner.notice.failed_plain": _("The server could not answer; try again."),
        "planner.notice.no_population": _(
            "{layer}: no population data covers this view. Import it on the Data page."
        ),
        "planner.announce.step": _("Request {position} of {count}: {title}"),
        "planner.announce.opened": _("Summary of {title}"),
        "planner.announce.closed": _("Summary closed."),
        "planner.announce.first": _("This is the first request on this page."),
        "planner.announce.last": _("This is the last request on this page."),
        "planner.announce.empty": _("The queue shows no request."),
        "review.pin": _("Where the stop goes"),
        "api_docs.server": _("Server"),
    }
