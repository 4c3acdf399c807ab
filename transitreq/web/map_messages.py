"""Every sentence the map script shows, handed to it in the page's map configuration.

The script has no strings of its own: it looks each one up here by key (``{name}`` marks a value
it fills in as text), so a page's maps speak the page's language.
"""

from __future__ import annotations

from transitreq.i18n import _


def map_messages() -> dict[str, str]:
    """The map script's catalogue for this request."""
    return {
        "map.label": _("Map: arrow keys move it, plus and minus zoom"),
        "map.role": _("map"),
        "map.layers": _("Map layers"),
        "map.zoom_in": _("Zoom in"),
        "map.zoom_out": _("Zoom out"),
        "map.close_popup": _("Close"),
        "map.layer_failed": _("A map layer could not be loaded; move the map to try again."),
        "map.zoom_in.stops": _("Zoom in to see the stops."),
        "map.zoom_in.requests": _("Too many requests to show here; zoom in."),
        "map.zoom_in.routes": _("Too many routes to show here; zoom in."),
        "map.zoom_in.new_stops": _("Zoom in to see the new stops."),
        "layer.routes": _("Lines"),
        "layer.stops": _("Stops"),
        "layer.new_stops": _("New stops (planned and in service)"),
        "layer.requests": _("Stop requests"),
        "route.tooltip": _("Line {name} ({mode})"),
        "mode.bus": _("bus"),
        "mode.trolleybus": _("trolleybus"),
        "mode.tram": _("tram"),
        "mode.metro": _("metro"),
        "mode.rail": _("train"),
        "mode.ferry": _("ferry"),
        "mode.cable_tram": _("cable tram"),
        "mode.aerial_lift": _("aerial lift"),
        "mode.funicular": _("funicular"),
        "mode.monorail": _("monorail"),
        "mode.other": _("other"),
        "stop.tooltip.one": _("Stop {name} (line {lines})"),
        "stop.tooltip.other": _("Stop {name} (lines {lines})"),
        "stop.tooltip_no_line": _("Stop {name} (no line)"),
        "new_stop.tooltip": _("New stop {name}: {where}"),
        "new_stop.planned": _("planned: {stage}"),
        "request.tooltip": _("{title} ({status})"),
        "map.clustered": _(
            "A number in a circle is how many requests or stops stand there: click it or zoom "
            "in to see each one."
        ),
        "cluster.requests.one": _("{count} request here: click to zoom in"),
        "cluster.requests.other": _("{count} requests here: click to zoom in"),
        "cluster.stops.one": _("{count} stop here: click to zoom in"),
        "cluster.stops.other": _("{count} stops here: click to zoom in"),
        "cluster.new_stops.one": _("{count} new stop here: click to zoom in"),
        "cluster.new_stops.other": _("{count} new stops here: click to zoom in"),
        "request.supporters.one": _("{count} supporter"),
        "request.supporters.other": _("{count} supporters"),
    }
