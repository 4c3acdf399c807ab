"""The GeoReport v2 shapes on the wire: JSON, or XML written with ElementTree.

Both formats carry the same data: a JSON list of objects is an XML root holding one element per
object (``<service_requests><request>…``), nested lists are named after their items
(``<formats><format>…``), ``null`` is an empty element and booleans are ``true``/``false``.
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree

from flask import Response

FORMATS = {"json": "application/json", "xml": "text/xml"}

# The element each nested list's items get, by the list's own name.
_LIST_ITEMS = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}

_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# Characters XML 1.0 cannot carry at all, even escaped; replaced rather than sent broken.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def format_of(path: str) -> str:
    """The format a response should use: XML for ``….xml``, JSON for anything else."""
    return "xml" if path.endswith(".xml") else "json"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("\ufffd", str(value))


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ElementTree.SubElement(element, key), item)
    elif isinstance(value, list):
        for item in value:
            _fill(ElementTree.SubElement(element, _LIST_ITEMS.get(element.tag, "item")), item)
    else:
        element.text = _text(value)


def to_xml(data: Any, root: str, item: str | None = None) -> bytes:
    """``data`` under ``<root>``; a list puts each entry in its own ``<item>``."""
    element = ElementTree.Element(root)
    if isinstance(data, list):
        for entry in data:
            _fill(ElementTree.SubElement(element, item or "item"), entry)
    else:
        _fill(element, data)
    return _DECLARATION + ElementTree.tostring(element, encoding="utf-8")


def render(fmt: str, data: Any, root: str, item: str | None = None, status: int = 200) -> Response:
    """A response in ``fmt`` ("json" or "xml"), UTF-8 as the standard requires."""
    if fmt == "xml":
        body = to_xml(data, root, item)
    else:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(body, status=status, content_type=f"{FORMATS[fmt]}; charset=utf-8")


def render_errors(fmt: str, status: int, errors: list[tuple[int, str]]) -> Response:
    """The standard's error list: ``[{"code", "description"}]`` / ``<errors><error>…``."""
    data = [{"code": code, "description": description} for code, description in errors]
    return render(fmt, data, "errors", "error", status)
