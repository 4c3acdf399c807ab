"""What a reader of the Chinese pages would see in English: the check every Chinese page test
makes.

A page is read as a browser shows it: text outside ``<script>`` and ``<style>``, plus the
attributes people read or hear (``title``, ``alt``, ``aria-label``, ``placeholder``, a button's
``value``). What the test itself put there (a resident's title, a route's name) is named in
``data`` and taken out first; what is English in every language (product and format names, the
language switch's "English") is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

# Names that stay as they are in a Chinese page: formats, standards, products, and the name
# the language switch gives English in English.
ALLOWED_WORDS = frozenset(
    {
        "API",
        "CSV",
        "English",
        "GTFS",
        "GeoJSON",
        "GeoPackage",
        "GeoParquet",
        "GeoTIFF",
        "FlatGeobuf",
        "HTTPS",
        "JPEG",
        "JSON",
        "Leaflet",
        "MB",
        "Open311",
        "OpenAPI",
        "OpenStreetMap",
        "PNG",
        "PostGIS",
        "Shapefile",
        "SpatiaLite",
        "Swagger",
        "WebP",
        "WGS",
        # A key's name as keyboards print it (the planners' map lists its shortcuts).
        "Esc",
        "km",
        # The score's formula, written as mathematics is in either language.
        "min",
        "transitreq",
    }
)
_READ_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder")
_SKIPPED = ("script", "style", "template")
# A Latin word of two letters or more, with the digits that end a name ("Open311");
# references (SR-2026-000123), e-mail addresses and web addresses are taken out before looking.
_WORD = re.compile(r"[A-Za-z][A-Za-z’'-]*[A-Za-z]\d*")
_NOT_WORDS = re.compile(
    r"[A-Z]{2,}-\d{4}-\d+|\S+@\S+\.\S+|https?://\S+|/[\w./{}?=&%-]+|\b[\w-]+\.(?:csv|json|txt|zip)\b"
)


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        values = dict(attrs)
        for name in _READ_ATTRIBUTES:
            if values.get(name):
                self.parts.append(values[name] or "")
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def visible_text(html: str) -> list[str]:
    """The page's text as a reader meets it, one piece per text node or read attribute."""
    parser = _VisibleText()
    parser.feed(html)
    return [" ".join(part.split()) for part in parser.parts if part.strip()]


def english_words(text: str, data: Iterable[str] = ()) -> list[str]:
    """The English words in ``text`` once the test's own ``data`` is taken out."""
    for value in sorted(data, key=len, reverse=True):
        if value:
            text = text.replace(value, " ")
    text = _NOT_WORDS.sub(" ", text)
    return [word for word in _WORD.findall(text) if word not in ALLOWED_WORDS]


def english_on_page(html: str, data: Iterable[str] = ()) -> list[str]:
    """Each piece of the page that still shows English: empty for a fully Chinese page."""
    data = list(data)
    return [piece for piece in visible_text(html) if english_words(piece, data)]
