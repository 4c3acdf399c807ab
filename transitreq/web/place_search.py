"""What the home page's place search (``static/js/place_search.js``) is told: where to ask, how
close to zoom to each kind of place, and every sentence it shows.

The script has no strings of its own, as the map script has none (``web/map_messages.py``):
each is looked up here by key, ``{name}`` marking a value it fills in as text, so the page can be
translated without touching the script.
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from transitreq.i18n import _
from transitreq.models import PlaceKind
from transitreq.services.places.search import DEFAULT_LIMIT
from transitreq.web.app_settings import service_area_name

# How close the map comes to a place picked from the list: a stop or a landmark close enough to
# tap the exact kerb (17), a street or a named place a little wider, a whole area wider still.
ZOOM_BY_KIND = {
    PlaceKind.STOP: 17,
    PlaceKind.LANDMARK: 17,
    PlaceKind.STREET: 16,
    PlaceKind.PLACE: 15,
    PlaceKind.AREA: 14,
}
# Zoom on the resident's own position: inside the service area as close as on a stop; outside,
# wide enough to see where they are.
LOCATION_ZOOM = 17
OUTSIDE_ZOOM = 13


def place_search_config() -> dict[str, Any]:
    """The page's configuration for the place search, written into it with ``tojson``."""
    return {
        "places_url": url_for("api.places"),
        "placement_url": url_for("api.nearby"),
        "limit": DEFAULT_LIMIT,
        "zoom": {kind.value: zoom for kind, zoom in ZOOM_BY_KIND.items()},
        "location_zoom": LOCATION_ZOOM,
        "outside_zoom": OUTSIDE_ZOOM,
        "area": service_area_name(),
        "messages": place_search_messages(),
    }


def place_search_messages() -> dict[str, str]:
    """Every sentence the place search shows, in the reader's language."""
    return {
        "search.found.one": _("1 place found: use the up and down arrow keys to choose it."),
        "search.found.other": _("{count} places found: use the up and down arrow keys to choose."),
        "search.none": _("No street, stop or landmark matches “{query}”. Try part of the name."),
        "search.failed": _("The search did not answer; try again, or find the place on the map."),
        "kind.stop": _("Stop"),
        "kind.landmark": _("Landmark"),
        "kind.area": _("Area"),
        "kind.street": _("Street"),
        "kind.place": _("Place"),
        "place.outside": _("outside the service area"),
        "picked": _(
            "The map shows {name}. Click or tap the exact spot for the stop, or place the pin here."
        ),
        "picked.outside": _("{name} is outside {area}, where requests are taken."),
        "location.finding": _("Finding your location…"),
        "location.found": _(
            "The map shows your location (within about {accuracy} m). Click or "
            "tap the exact spot for the stop, or place the pin here."
        ),
        "location.outside": _("Your location is outside {area}, where requests are taken."),
        "location.denied": _(
            "Your browser did not share your location. Find the place by name "
            "or on the map instead."
        ),
        "location.unavailable": _(
            "Your location could not be found just now. Find the place by "
            "name or on the map instead."
        ),
        "location.unsupported": _(
            "This browser cannot share your location. Find the place by name or on the map instead."
        ),
        "back.done": _("The map shows {area} again."),
    }
