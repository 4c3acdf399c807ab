"""Every sentence the request form's script (``static/js/request_form.js``) shows, handed to it
in the home page's form configuration.

The script has no strings of its own, as the map script has none (``web/map_messages.py``): it
looks each one up here by key, ``{name}`` marking a value it fills in as text. A counted sentence
comes as ``key.one`` and ``key.other`` (and ``key.none`` where none reads better in words
than a 0); the script picks by the count, and Chinese, with one form, gives one and other the
same words.
"""

from __future__ import annotations

from typing import Any

from transitreq.i18n import _


def request_form_config() -> dict[str, Any]:
    """The page's configuration for the request form's script, written with ``tojson``."""
    return {"messages": form_messages()}


def form_messages() -> dict[str, str]:
    """The request form script's catalogue for this request."""
    return {
        "pin.title": _("Requested stop"),
        "pin.placed": _("Pin placed at {coordinates}."),
        "coordinates.format": _(
            "Type latitude, then longitude, in decimal degrees, e.g. {example}."
        ),
        "coordinates.range": _(
            "Latitude goes from -90 to 90 and longitude from -180 to 180: please check the numbers."
        ),
        "nearby.looking": _("Looking for requests nearby…"),
        "nearby.failed": _("Could not check for nearby requests; you can still send yours."),
        "nearby.meta.none": _("{distance} m away · no supporters yet · {reference}"),
        "nearby.meta.one": _("{distance} m away · {count} supporter · {reference}"),
        "nearby.meta.other": _("{distance} m away · {count} supporters · {reference}"),
        "nearby.support": _("Support this instead"),
        "support.contact": _("Your e-mail or phone"),
        "support.name": _("Your name"),
        "support.optional": _("(optional)"),
        "support.notify": _("E-mail me when this stop makes progress"),
        "support.notify_hint": _(
            "Only with an e-mail address: a phone number gets no e-mail. Every e-mail has a "
            "link to stop them."
        ),
        "support.submit": _("Support {reference}"),
    }
